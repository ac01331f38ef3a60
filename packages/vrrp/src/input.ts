/**
 * What vrrp's validators share: the record test and the key check of one object of user input. Internal to
 * the package (not exported from its entry).
 */
import { describe, type IssueList } from '@lvskit/base';

/** True for a plain object (not null, not an array). */
export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const camel = (k: string): string => k.toLowerCase().replace(/[_-]+([a-z0-9])/g, (_, ch: string) => ch.toUpperCase());

/**
 * Checks the keys of one object of user input against the keys it may have: an unknown key is an issue naming
 * it and its value (with the key meant, when the user wrote keepalived's keyword or another spelling of it);
 * a key set to `null` is an issue too. Returns the keys whose value is null, so later checks skip them.
 */
export function checkKeys(
  obj: Record<string, unknown>,
  known: Readonly<Record<string, string>>,
  path: readonly (string | number)[],
  issues: IssueList,
): Set<string> {
  const nulls = new Set<string>();
  const byLower = new Map<string, string>();
  for (const [k, kw] of Object.entries(known)) {
    byLower.set(k.toLowerCase(), k);
    byLower.set(kw.toLowerCase(), k);
  }
  for (const key of Object.keys(obj)) {
    const value = obj[key];
    if (!Object.hasOwn(known, key)) {
      const meant = byLower.get(key.toLowerCase()) ?? byLower.get(camel(key).toLowerCase());
      issues.add(
        [...path, key],
        'VRRP_INVALID_CONFIG',
        `unknown key ${JSON.stringify(key)} (value ${describe(value)})${meant === undefined ? '' : `: did you mean ${JSON.stringify(meant)}?`}`,
      );
    } else if (value === null) {
      nulls.add(key);
      issues.add(
        [...path, key],
        'VRRP_INVALID_CONFIG',
        `${key} (${known[key]}) is null: leave it out for the default, or give a value`,
      );
    }
  }
  return nulls;
}
