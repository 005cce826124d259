// The plain TypeScript privatisation the GPU path is compared with, token by token on the calling thread:
//   noise      dchiNoiseReference (Philox + Box–Muller + Marsaglia–Tsang, double precision), added to E[id]
//   distances  squaredDistancesReference: brute force over every table row (3 FLOPs per element per row)
//   select     topKReference(k = 1): sorts the candidate ids by (distance, id) and takes the first
// Non-candidate source tokens pass through unchanged, as in Privatizer.privatize. Each phase is timed
// separately with performance.now() so the report can say where the CPU's time goes.
//
// `argminNearest` is the same nearest-neighbour decision as a single linear scan over a Float32Array, for a
// second CPU data point: how much of the reference's time is the sort rather than the arithmetic.

import type { EmbeddingTable } from '../model/embeddingTable';
import { dchiNoiseReference } from '../privacy/dchiNoiseReference';
import { squaredDistancesReference, topKReference } from '../privacy/nearestNeighboursReference';
import type { TokenRow } from '../privacy/tokenRows';

export interface PhaseTimes {
  noiseMs: number;
  distancesMs: number;
  selectMs: number;
}

export const totalMs = (p: PhaseTimes) => p.noiseMs + p.distancesMs + p.selectMs;

/** E[row.id] + z for the row's d_χ noise z, in double precision. */
function noisyEmbedding(table: EmbeddingTable, row: TokenRow, invEta: number, seed: number): Float64Array {
  const { z } = dchiNoiseReference(table.dim, row, invEta, seed);
  const base = row.id * table.dimVec4 * 4;
  const q = new Float64Array(table.dim);
  for (let i = 0; i < table.dim; i++) q[i] = table.rows[base + i] + z[i];
  return q;
}

/** Privatises `rows` with the references; adds each phase's time to `times`. Returns the output ids. */
export function referencePrivatize(table: EmbeddingTable, rows: readonly TokenRow[], invEta: number, seed: number, times: PhaseTimes): Uint32Array {
  const out = new Uint32Array(rows.length);
  rows.forEach((row, i) => {
    const t0 = performance.now();
    const q = noisyEmbedding(table, row, invEta, seed);
    const t1 = performance.now();
    const dist = squaredDistancesReference(table, q);
    const t2 = performance.now();
    out[i] = table.candidate[row.id] ? topKReference(table, dist, 1)[0] : row.id;
    const t3 = performance.now();
    times.noiseMs += t1 - t0;
    times.distancesMs += t2 - t1;
    times.selectMs += t3 - t2;
  });
  return out;
}

/** Nearest candidate to `q` by one linear scan, ties to the lower id; distances and select fused. */
export function argminNearest(table: EmbeddingTable, q: Float64Array): number {
  const stride = table.dimVec4 * 4;
  const rows = table.rows;
  const dim = table.dim;
  let best = -1;
  let bestD = Infinity;
  for (let v = 0; v < table.vocabSize; v++) {
    if (!table.candidate[v]) continue;
    const base = v * stride;
    let s = 0;
    for (let i = 0; i < dim; i++) {
      const d = rows[base + i] - q[i];
      s += d * d;
    }
    if (s < bestD) {
      bestD = s;
      best = v;
    }
  }
  return best;
}

/** Same contract as referencePrivatize, with argminNearest (its time is counted as distances). */
export function scanPrivatize(table: EmbeddingTable, rows: readonly TokenRow[], invEta: number, seed: number, times: PhaseTimes): Uint32Array {
  const out = new Uint32Array(rows.length);
  rows.forEach((row, i) => {
    const t0 = performance.now();
    const q = noisyEmbedding(table, row, invEta, seed);
    const t1 = performance.now();
    out[i] = table.candidate[row.id] ? argminNearest(table, q) : row.id;
    const t2 = performance.now();
    times.noiseMs += t1 - t0;
    times.distancesMs += t2 - t1;
  });
  return out;
}
