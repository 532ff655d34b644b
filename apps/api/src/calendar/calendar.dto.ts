import { z } from 'zod';
import { DEADLINE_KIND_NAMES, type DeadlineKind } from '@app/deadlines';
import { isoDuration } from '../deadlines/deadlines.dto.js';

/**
 * GET /v1/deadlines.ics: the filters of GET /v1/deadlines (validated alike), and the feed token
 * (read by the guard). Not strict: calendar apps may add parameters of their own to a feed URL.
 */
export const calendarFeedQuery = z.object({
  within: isoDuration.optional(),
  kind: z.enum(DEADLINE_KIND_NAMES as [DeadlineKind, ...DeadlineKind[]]).optional(),
  token: z.string().max(200).optional(),
});
export type CalendarFeedQuery = z.output<typeof calendarFeedQuery>;
