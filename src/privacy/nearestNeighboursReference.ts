// Brute-force references for the nearest-neighbour kernels, in double precision over float32 inputs.

import type { EmbeddingTable } from '../model/embeddingTable';

export function squaredDistancesReference(table: EmbeddingTable, query: ArrayLike<number>): Float64Array {
  const stride = table.dimVec4 * 4;
  const out = new Float64Array(table.vocabSize);
  for (let v = 0; v < table.vocabSize; v++) {
    let s = 0;
    for (let i = 0; i < table.dim; i++) {
      const d = table.rows[v * stride + i] - query[i];
      s += d * d;
    }
    out[v] = s;
  }
  return out;
}

/** Candidate ids in increasing (distance, id) order, first k. */
export function topKReference(table: EmbeddingTable, dist: ArrayLike<number>, k: number): number[] {
  const ids: number[] = [];
  for (let v = 0; v < table.vocabSize; v++) if (table.candidate[v]) ids.push(v);
  ids.sort((a, b) => dist[a] - dist[b] || a - b);
  return ids.slice(0, k);
}

export function rankReference(table: EmbeddingTable, dist: ArrayLike<number>, target: number): number {
  let r = 0;
  for (let v = 0; v < table.vocabSize; v++) {
    if (table.candidate[v] && (dist[v] < dist[target] || (dist[v] === dist[target] && v < target))) r++;
  }
  return r;
}
