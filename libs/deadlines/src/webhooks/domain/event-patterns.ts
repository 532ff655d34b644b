/**
 * What an endpoint subscribes to: '*' (everything), a prefix such as 'lease.*' (every type
 * under 'lease.'), or one exact type such as 'transfer.stage_changed'.
 */
export const EVENT_PATTERN = /^[a-z_]+(\.[a-z_]+)*(\.\*)?$/;
export const MAX_EVENT_PATTERNS = 50;

export function isEventPattern(pattern: string): boolean {
  return pattern === '*' || EVENT_PATTERN.test(pattern);
}

export function patternMatches(pattern: string, type: string): boolean {
  if (pattern === '*') return true;
  // 'lease.*' -> 'lease.': the dot keeps 'leases.x' out.
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return pattern === type;
}

/** Whether an endpoint subscribed to `patterns` gets events of `type`. */
export function matchesEvent(patterns: readonly string[], type: string): boolean {
  return patterns.some((p) => patternMatches(p, type));
}
