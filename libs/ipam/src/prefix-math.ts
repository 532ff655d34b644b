import { ADDRESS_SPACE_SIZE, MAX_ADDRESS, type Prefix } from './types.js';

// All arithmetic here is on plain numbers in 0..2^32, never on 32-bit bitwise results:
// JavaScript's bitwise operators are signed and take shift counts mod 32 (1 << 32 === 1),
// which breaks /0 and addresses from 128.0.0.0 up.

/** More units than this from one split is a caller's mistake (a /8 into /24s is 65,536). */
export const MAX_SPLIT_UNITS = 65_536;

export function isAddress(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= MAX_ADDRESS;
}

export function isPrefixLength(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 32;
}

/** A well-formed Prefix: an address, a length 0..32, and no host bits set. */
export function isPrefix(p: unknown): p is Prefix {
  if (typeof p !== 'object' || p === null) return false;
  const { first, length } = p as Record<string, unknown>;
  return isAddress(first) && isPrefixLength(length) && first % 2 ** (32 - length) === 0;
}

/** 2^(32 - length): 4,294,967,296 for /0, 1 for /32. */
export function addressCount(p: Prefix): number {
  return 2 ** (32 - p.length);
}

export function lastAddress(p: Prefix): number {
  return p.first + addressCount(p) - 1;
}

/** The network address of `address` under a prefix of `length`. */
export function networkOf(address: number, length: number): number {
  const size = 2 ** (32 - length);
  return Math.floor(address / size) * size;
}

export function contains(outer: Prefix, inner: Prefix): boolean {
  return outer.first <= inner.first && lastAddress(inner) <= lastAddress(outer);
}

/** Two CIDR prefixes either are disjoint or one contains the other. */
export function overlaps(a: Prefix, b: Prefix): boolean {
  return a.first <= lastAddress(b) && b.first <= lastAddress(a);
}

export function containsAddress(p: Prefix, address: number): boolean {
  return p.first <= address && address <= lastAddress(p);
}

/** Address order, then shorter (covering) prefixes first. */
export function comparePrefixes(a: Prefix, b: Prefix): number {
  return a.first - b.first || a.length - b.length;
}

function checkUnitLength(p: Prefix, unitLength: number): void {
  if (!isPrefixLength(unitLength) || unitLength < p.length) {
    throw new RangeError(`unit length ${String(unitLength)} must be an integer from ${p.length} to 32`);
  }
}

/** How many /unitLength units the prefix holds. RangeError if unitLength is not in p.length..32. */
export function unitCount(p: Prefix, unitLength: number): number {
  checkUnitLength(p, unitLength);
  return 2 ** (unitLength - p.length);
}

/** The index-th /unitLength unit of p, counting from 0 in address order. */
export function unitAt(p: Prefix, unitLength: number, index: number): Prefix {
  const count = unitCount(p, unitLength);
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new RangeError(`unit index ${String(index)} is outside 0..${count - 1}`);
  }
  return { first: p.first + index * 2 ** (32 - unitLength), length: unitLength };
}

/** All /unitLength units of p in address order; RangeError past MAX_SPLIT_UNITS units. */
export function split(p: Prefix, unitLength: number): Prefix[] {
  const count = unitCount(p, unitLength);
  if (count > MAX_SPLIT_UNITS) {
    throw new RangeError(`splitting /${p.length} into /${unitLength} gives ${count} units, more than ${MAX_SPLIT_UNITS}`);
  }
  const size = 2 ** (32 - unitLength);
  const units: Prefix[] = [];
  for (let i = 0; i < count; i++) units.push({ first: p.first + i * size, length: unitLength });
  return units;
}

/** The mask of a prefix length as an unsigned 32-bit number (0 for /0). */
export function netmask(length: number): number {
  return ADDRESS_SPACE_SIZE - 2 ** (32 - length);
}
