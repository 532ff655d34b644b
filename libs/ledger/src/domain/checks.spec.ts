import { describe, expect, it } from '@jest/globals';
import { isUuid, textLength } from './checks.js';

describe('isUuid', () => {
  it.each([
    ['00000000-0000-4000-8000-00000000000a', true],
    ['0B6F7A3E-1C2D-4E5F-8A9B-0C1D2E3F4A5B', true],
    ['0b6f7a3e1c2d4e5f8a9b0c1d2e3f4a5b', false],
    ['{0b6f7a3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b}', false],
    [' 0b6f7a3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b', false],
    ['0b6f7a3e-1c2d-4e5f-8a9b-0c1d2e3f4a5g', false],
    ['', false],
    [42, false],
    [null, false],
  ])('%j: %s', (v, expected) => {
    expect(isUuid(v)).toBe(expected);
  });
});

describe('textLength', () => {
  it.each([
    ['', 0],
    ['abc', 3],
    ['€', 1],
    ['😀', 1],
    ['a\u0000', null],
    [3, null],
    [undefined, null],
  ])('%j: %s', (v, expected) => {
    expect(textLength(v)).toBe(expected);
  });
});
