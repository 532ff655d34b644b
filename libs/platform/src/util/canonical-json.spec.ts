import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { CANONICAL_JSON_MAX_DEPTH, canonicalJson, sha256Hex } from './canonical-json.js';

/** A deep copy of a JSON value with the keys of every object in another order. */
function reorderKeys(value: unknown, pick: (n: number) => number): unknown {
  if (Array.isArray(value)) return value.map((v) => reorderKeys(v, pick));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  const shuffled: [string, unknown][] = [];
  while (entries.length > 0) shuffled.push(entries.splice(pick(entries.length), 1)[0]!);
  const out: Record<string, unknown> = {};
  for (const [k, v] of shuffled) Object.defineProperty(out, k, { value: reorderKeys(v, pick), enumerable: true, writable: true, configurable: true });
  return out;
}

/** A JSON value as JSON.parse would give it (no -0, which JSON cannot carry). */
const jsonValue = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown);

describe('canonicalJson', () => {
  it.each([
    [{ b: 1, a: 2 }, '{"a":2,"b":1}'],
    [{ z: { y: 1, x: [{ d: 1, c: 2 }] }, a: null }, '{"a":null,"z":{"x":[{"c":2,"d":1}],"y":1}}'],
    [[3, 1, 2], '[3,1,2]'],
    [{ a: undefined, b: 1 }, '{"b":1}'],
    [{ n: 10n ** 30n }, '{"n":"1000000000000000000000000000000"}'],
    [{ at: new Date('2025-01-02T03:04:05.006Z') }, '{"at":"2025-01-02T03:04:05.006Z"}'],
    [[Number.NaN, Number.POSITIVE_INFINITY], '[null,null]'],
    [undefined, 'null'],
    ['é"\n', '"é\\"\\n"'],
    [{ '10': 'a', '9': 'b', B: 'c', a: 'd' }, '{"10":"a","9":"b","B":"c","a":"d"}'],
  ])('writes %j as %s', (value, text) => {
    expect(canonicalJson(value)).toBe(text);
  });

  it('is invariant under key reordering', () => {
    fc.assert(
      fc.property(jsonValue, fc.infiniteStream(fc.nat()), (value, picks) => {
        const it = picks[Symbol.iterator]();
        const reordered = reorderKeys(value, (n) => it.next().value % n);
        expect(canonicalJson(reordered)).toBe(canonicalJson(value));
      }),
    );
  });

  it('round-trips through JSON.parse for every JSON value', () => {
    fc.assert(
      fc.property(jsonValue, (value) => {
        expect(JSON.parse(canonicalJson(value))).toEqual(value);
      }),
    );
  });

  it('tells different JSON values apart', () => {
    fc.assert(
      fc.property(jsonValue, jsonValue, (a, b) => {
        fc.pre(!isDeepStrictEqual(a, b));
        expect(canonicalJson(a)).not.toBe(canonicalJson(b));
      }),
    );
  });

  it(`accepts ${CANONICAL_JSON_MAX_DEPTH} levels of nesting and refuses one more with a RangeError`, () => {
    const nested = (depth: number) => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`) as unknown;
    expect(canonicalJson(nested(CANONICAL_JSON_MAX_DEPTH))).toBe(`${'['.repeat(CANONICAL_JSON_MAX_DEPTH)}${']'.repeat(CANONICAL_JSON_MAX_DEPTH)}`);
    expect(() => canonicalJson(nested(CANONICAL_JSON_MAX_DEPTH + 1))).toThrow(RangeError);
    expect(() => canonicalJson(nested(200_000))).toThrow(/nested deeper than/);
  });
});

describe('sha256Hex', () => {
  it('is the SHA-256 digest in hex', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
