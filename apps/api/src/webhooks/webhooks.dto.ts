import { pageQuery } from '@app/platform';
import { z } from 'zod';
import { MAX_EVENT_PATTERNS, MAX_URL_LENGTH, isEventPattern, urlSyntaxProblem } from '@app/deadlines';

export const createEndpointBody = z.strictObject({
  url: z
    .string()
    .trim()
    .min(1)
    .max(MAX_URL_LENGTH)
    .superRefine((url, ctx) => {
      const problem = urlSyntaxProblem(url);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  events: z
    .array(z.string().refine(isEventPattern, { message: "must be '*', an event type such as 'lease.renewed', or a prefix such as 'lease.*'" }))
    .min(1)
    .max(MAX_EVENT_PATTERNS),
});
export type CreateEndpointBody = z.output<typeof createEndpointBody>;

export const listQuery = z.strictObject({
  limit: pageQuery.shape.limit,
  cursor: pageQuery.shape.cursor,
});
