import { randomBytes } from 'node:crypto';

/**
 * The reference a buyer puts on a wire transfer so that the bank statement line can be
 * matched to the deal: `IPV4M-7K2Q-9XF3-M`, eight random Crockford base-32 characters
 * (40 bits) and a Luhn mod 32 check character, which catches any one mistyped character and
 * any swap of two neighbours but one: "0Z" read as "Z0" (Luhn's blind spot, like 09/90 in
 * decimal card numbers). Banks mangle remittance text (case, spaces, dashes, line
 * breaks, a prefix of their own), so matching looks for the reference anywhere in the text
 * after normalising it; Crockford's alphabet has no I, L, O or U, and reading O as 0 and I
 * or L as 1 undoes the usual misreadings.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const PREFIX = 'IPV4M';
const BODY = 8;

function luhnCheck(chars: string): string {
  // Luhn mod N over the code points of the alphabet, from the right, doubling every other one.
  let sum = 0;
  let double = true;
  for (let i = chars.length - 1; i >= 0; i--) {
    let v = ALPHABET.indexOf(chars[i]!);
    if (double) {
      v *= 2;
      v = Math.floor(v / 32) + (v % 32);
    }
    sum += v;
    double = !double;
  }
  return ALPHABET[(32 - (sum % 32)) % 32]!;
}

export function newFundingReference(random: (n: number) => Uint8Array = randomBytes): string {
  const bytes = random(BODY);
  const body = Array.from(bytes, (b) => ALPHABET[b % 32]).join('');
  return `${PREFIX}-${body.slice(0, 4)}-${body.slice(4)}-${luhnCheck(body)}`;
}

export function isFundingReference(text: string): boolean {
  return findFundingReference(text) === text;
}

/** The first valid reference in `text` (a statement's remittance field), normalised; or null. */
export function findFundingReference(text: string): string | null {
  const squashed = text
    .toUpperCase()
    .replace(/[\s\-_./]/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  // The prefix itself contains an I, which the mapping above turned into 1.
  const prefix = PREFIX.replace(/I/g, '1');
  for (let at = squashed.indexOf(prefix); at !== -1; at = squashed.indexOf(prefix, at + 1)) {
    const candidate = squashed.slice(at + prefix.length, at + prefix.length + BODY + 1);
    if (candidate.length < BODY + 1 || ![...candidate].every((c) => ALPHABET.includes(c))) continue;
    const body = candidate.slice(0, BODY);
    if (luhnCheck(body) === candidate[BODY]) return `${PREFIX}-${body.slice(0, 4)}-${body.slice(4)}-${candidate[BODY]}`;
  }
  return null;
}
