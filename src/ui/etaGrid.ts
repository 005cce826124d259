// The η grid of the curves: a comma-separated list the user can edit. The parser is strict — a typo must
// not silently drop a value from a plot that may end up in a paper.

import { roundSignificant } from './etaScale';
import type { Parsed } from './inputs';
import { parseNumber } from './inputs';

/** Same bound as the experiment schema (src/experiments/schema.ts). */
export const MAX_GRID_SIZE = 64;

/** `count` log-spaced values from `from` to `to`, rounded to 3 significant digits. */
export function logSpaced(from: number, to: number, count: number): number[] {
  if (!(from > 0 && to > from) || !Number.isInteger(count) || count < 2) throw new RangeError('logSpaced needs 0 < from < to and count ≥ 2');
  const ratio = Math.log(to / from) / (count - 1);
  return Array.from({ length: count }, (_, i) => (i === count - 1 ? to : roundSignificant(from * Math.exp(ratio * i))));
}

/** 12 values from 2 to 2000: spans "almost every token replaced" to "almost none" on the bundled table. */
export const DEFAULT_ETA_GRID = logSpaced(2, 2000, 12);

export function formatEtaGrid(etas: readonly number[]): string {
  return etas.map((e) => String(e)).join(', ');
}

/** Parses "2, 5, 10" into ascending, distinct η values; rejects anything that is not a positive number. */
export function parseEtaGrid(text: string): Parsed<number[]> {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length === 1 && parts[0] === '') return { ok: false, error: 'give at least one η' };
  const values: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (part === '') return { ok: false, error: `value ${i + 1} is empty (two commas in a row or a trailing comma?)` };
    const x = parseNumber(part);
    if (x === null) return { ok: false, error: `"${part}" is not a number` };
    if (!(x > 0)) return { ok: false, error: `η must be positive, got ${part}` };
    values.push(x);
  }
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  if (sorted.length !== values.length) return { ok: false, error: 'the list contains the same η twice' };
  if (sorted.length > MAX_GRID_SIZE) return { ok: false, error: `at most ${MAX_GRID_SIZE} values (got ${sorted.length})` };
  return { ok: true, value: sorted };
}
