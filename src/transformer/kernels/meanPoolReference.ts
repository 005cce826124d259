// Sentence pooling in double precision: the reference for shaders/transformer/meanPool.wgsl.

import type { PoolMode } from './meanPool';

export function meanPoolReference(x: Float32Array, lengths: Uint32Array | null, batch: number, seqLen: number, hidden: number, mode: PoolMode = 'mean'): Float64Array {
  const out = new Float64Array(batch * hidden);
  for (let b = 0; b < batch; b++) {
    const len = mode === 'first' ? 1 : Math.min(lengths![b], seqLen);
    for (let c = 0; c < hidden; c++) {
      let s = 0;
      for (let i = 0; i < len; i++) s += x[(b * seqLen + i) * hidden + c];
      out[b * hidden + c] = len > 0 ? s / len : 0;
    }
  }
  return out;
}
