// A run's spec hash: SHA-256 of the validated spec (defaults filled in) as canonical JSON — keys sorted, no
// spaces — so two runs with the same settings have the same hash however their files were written.
// `conditionHash` leaves out the seed and the name: runs that differ only in their seed share it, which is
// how the trade-off plots group seeds into one point with error bars.

import type { ExperimentSpec } from './schema';

/** JSON with object keys sorted at every level (arrays keep their order). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export function specHash(spec: ExperimentSpec): Promise<string> {
  return sha256Hex(canonicalJson(spec));
}

export function conditionHash(spec: ExperimentSpec): Promise<string> {
  const { seeds: _seeds, name: _name, ...rest } = spec;
  return sha256Hex(canonicalJson(rest));
}

/** The first 8 hex digits, for tables. */
export const shortHash = (hash: string): string => hash.slice(0, 8);
