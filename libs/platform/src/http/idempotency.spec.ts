import { describe, expect, it } from '@jest/globals';
import { requestHash } from './idempotency.js';

describe('requestHash', () => {
  const body = { listingId: 'a1', termMonths: 12, price: { amountMinor: 500, currency: 'USD' }, tags: ['x', 'y'] };
  const base = requestHash('POST', '/v1/leases', body);

  it('is a sha256 hex digest', () => {
    expect(base).toMatch(/^[0-9a-f]{64}$/);
  });

  it('ignores the order keys were written in, at every depth', () => {
    const reordered = { tags: ['x', 'y'], price: { currency: 'USD', amountMinor: 500 }, termMonths: 12, listingId: 'a1' };
    expect(requestHash('POST', '/v1/leases', reordered)).toBe(base);
  });

  it('ignores the case of the method', () => {
    expect(requestHash('post', '/v1/leases', body)).toBe(base);
  });

  it('treats a missing body as null', () => {
    expect(requestHash('POST', '/v1/x', undefined)).toBe(requestHash('POST', '/v1/x', null));
  });

  it.each([
    ['another method', requestHash('PUT', '/v1/leases', body)],
    ['another path', requestHash('POST', '/v1/transfers', body)],
    ['another query', requestHash('POST', '/v1/leases?dryRun=true', body)],
    ['another value', requestHash('POST', '/v1/leases', { ...body, termMonths: 13 })],
    ['a value of another type', requestHash('POST', '/v1/leases', { ...body, termMonths: '12' })],
    ['another nested value', requestHash('POST', '/v1/leases', { ...body, price: { amountMinor: 501, currency: 'USD' } })],
    ['array items in another order', requestHash('POST', '/v1/leases', { ...body, tags: ['y', 'x'] })],
    ['an extra field', requestHash('POST', '/v1/leases', { ...body, autoRenew: true })],
    ['a field missing', requestHash('POST', '/v1/leases', { listingId: 'a1', termMonths: 12, price: body.price })],
    ['no body', requestHash('POST', '/v1/leases', undefined)],
  ])('differs for %s', (_what, hash) => {
    expect(hash).not.toBe(base);
  });

  it('cannot be fooled by moving text between the method, the url and the body', () => {
    expect(requestHash('POST', '/v1/a', 'b')).not.toBe(requestHash('POST', '/v1/ab', null));
    expect(requestHash('POST', '/v1/a","b', null)).not.toBe(requestHash('POST', '/v1/a', 'b'));
  });

  it('refuses a body too deeply nested to hash with a RangeError (the interceptor answers 422)', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) as unknown;
    expect(() => requestHash('POST', '/v1/x', deep)).toThrow(RangeError);
  });
});
