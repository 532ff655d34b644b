import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { findFundingReference, isFundingReference, newFundingReference } from './funding-reference.js';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** The check character newFundingReference gives a body (found by generating it). */
function checkOf(body: string): string {
  const bytes = Uint8Array.from(body, (c) => ALPHABET.indexOf(c));
  return newFundingReference(() => bytes).slice(-1);
}

const arbitraryReference = fc.uint8Array({ minLength: 8, maxLength: 8 }).map((bytes) => newFundingReference(() => bytes));

describe('funding references', () => {
  it('look like IPV4M-XXXX-XXXX-C and are recognised', () => {
    const ref = newFundingReference();
    expect(ref).toMatch(/^IPV4M-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]$/);
    expect(isFundingReference(ref)).toBe(true);
  });

  it('are found in the mangled remittance text banks produce', () => {
    fc.assert(
      fc.property(arbitraryReference, fc.constantFrom('', 'INV ', 'SEPA CT REF:', '/ROC/'), fc.boolean(), (ref, prefix, lower) => {
        const mangled = `${prefix}${lower ? ref.toLowerCase() : ref}`.replace(/-/g, ' ').replace(/0/g, 'O');
        expect(findFundingReference(mangled)).toBe(ref);
      }),
    );
  });

  it('catch any single mistyped character', () => {
    fc.assert(
      fc.property(arbitraryReference, fc.integer({ min: 0, max: 8 }), fc.integer({ min: 1, max: 31 }), (ref, position, shift) => {
        const chars = ref.replace(/^IPV4M-/, '').replace(/-/g, '').split('');
        chars[position] = ALPHABET[(ALPHABET.indexOf(chars[position]!) + shift) % 32]!;
        const typo = `IPV4M-${chars.slice(0, 4).join('')}-${chars.slice(4, 8).join('')}-${chars[8]}`;
        expect(findFundingReference(typo)).toBeNull();
      }),
    );
  });

  it('catch every swap of two different neighbours but 0Z/Z0 (Luhn mod 32 has that one blind spot)', () => {
    const ref = newFundingReference(() => new Uint8Array(8));
    const missed: string[] = [];
    for (let position = 0; position < 8; position++) {
      for (const a of ALPHABET) {
        for (const b of ALPHABET) {
          if (a === b) continue;
          const chars = '00000000'.split('');
          chars[position] = a;
          chars[position + 1 === 8 ? position - 1 : position + 1] = b;
          const body = chars.join('');
          const original = findFundingReference(`IPV4M${body}${checkOf(body)}`);
          expect(original).not.toBeNull();
          const [i, j] = position + 1 === 8 ? [position - 1, position] : [position, position + 1];
          const swapped = body.split('');
          [swapped[i], swapped[j]] = [swapped[j]!, swapped[i]!];
          if (findFundingReference(`IPV4M${swapped.join('')}${checkOf(body)}`) !== null) missed.push(`${swapped[j]}${swapped[i]}`);
        }
      }
    }
    expect([...new Set(missed)].sort()).toEqual(['0Z', 'Z0']);
    expect(ref).toBe('IPV4M-0000-0000-0');
  });

  it('find nothing in text without a reference', () => {
    expect(findFundingReference('PAYMENT FOR INVOICE 2026-11')).toBeNull();
    expect(findFundingReference('IPV4M-')).toBeNull();
  });
});
