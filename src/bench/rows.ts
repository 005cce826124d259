// Small helpers shared by the benchmark's case modules for writing a BenchRow's notes and checks.

import type { Stats } from './timing';

export const fmtMs = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
export const pct = (part: number, whole: number) => `${((100 * part) / whole).toFixed(0)}%`;
export const timingNote = (s: Stats) => `median ${fmtMs(s.medianMs)} ms, min ${fmtMs(s.minMs)} ms over ${s.reps} rep${s.reps === 1 ? '' : 's'}`;

/** Largest |a[i] − b[i]|; Infinity when the lengths differ (a mismatch, not a number to average away). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** Smallest cosine similarity between corresponding rows of width `width`. */
export function minRowCosine(a: ArrayLike<number>, b: ArrayLike<number>, width: number): number {
  let min = 1;
  for (let r = 0; r * width < Math.min(a.length, b.length); r++) {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let i = r * width; i < (r + 1) * width; i++) {
      dot += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    min = Math.min(min, dot / Math.sqrt(na * nb));
  }
  return min;
}
