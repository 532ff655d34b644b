import { expect } from '@jest/globals';
import type { Response } from 'supertest';

/**
 * Checks an RFC 9457 answer as API.md "Conventions" describes it: problem+json with type,
 * title, status, detail and a stable code, and the request id of the x-request-id header.
 */
export function expectProblem(res: Response, status: number, code?: string): void {
  expect({ status: res.status, body: res.body as unknown }).toMatchObject({ status, body: { status } });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json\b/);
  const body = res.body as Record<string, unknown>;
  expect(body).toEqual(
    expect.objectContaining({
      type: expect.stringMatching(/^https?:\/\/\S+$/),
      title: expect.any(String),
      detail: expect.any(String),
      code: expect.stringMatching(/^[A-Z0-9_]+(\.[A-Z0-9_]+)+$/),
      requestId: res.headers['x-request-id'],
    }),
  );
  expect(res.headers['x-request-id']).toEqual(expect.any(String));
  if (code !== undefined) expect(body.code).toBe(code);
}
