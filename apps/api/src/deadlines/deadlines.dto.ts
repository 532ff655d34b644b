import { DEADLINE_KIND_NAMES } from '@app/deadlines';
import { pageQuery, parseIsoDuration } from '@app/platform';
import { z } from 'zod';

/** An ISO 8601 duration (P30D, PT12H), at most 10 years, as milliseconds. */
export const isoDuration = z
  .string()
  .max(40)
  .transform((v, ctx) => {
    const ms = parseIsoDuration(v);
    if (ms === null || ms <= 0 || ms > 3650 * 86_400_000) {
      ctx.addIssue({ code: 'custom', message: 'must be a positive ISO 8601 duration of at most 10 years, such as P30D' });
      return z.NEVER;
    }
    return ms;
  });

export const deadlinesQuery = pageQuery.extend({
  within: isoDuration.optional(),
  kind: z.enum(DEADLINE_KIND_NAMES as [string, ...string[]]).optional(),
}).strict();

export const notificationsQuery = pageQuery.extend({
  kind: z.enum(DEADLINE_KIND_NAMES as [string, ...string[]]).optional(),
  deadlineId: z.string().min(1).max(200).optional(),
}).strict();

export const settingsQuery = z.strictObject({ orgId: z.uuid().optional() });

export const settingsBody = z.strictObject({
  opsEmails: z.array(z.string().trim().min(3).max(254)).max(20),
});

export const rirStandingBody = z.strictObject({
  /** Until when the holder's RIR fees for the block are paid (from the RIR's invoice or account). */
  paidUntil: z.iso.datetime({ offset: true }).refine((v) => !v.startsWith('0000-'), 'must be a real date').transform((v) => new Date(v)),
});
