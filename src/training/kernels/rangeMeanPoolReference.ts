// Range mean pooling in double precision: the reference for shaders/training/rangeMeanPool.wgsl.
//   forward   out[b, c] = mean_{start ≤ i < end_b} x[b·seqLen + i, c],  end_b = min(lengths[b], seqLen)
//             (0 when the range is empty)
//   backward  dX[b·seqLen + i, c] = dPooled[b, c] / (end_b − start) inside the range, 0 elsewhere

export interface RangeMeanPoolShape {
  batch: number;
  seqLen: number;
  hidden: number;
  start: number;
}

/** The range [start, end) of example b; end ≤ start means empty. */
function range(lengths: ArrayLike<number>, b: number, seqLen: number, start: number): [number, number] {
  return [start, Math.max(start, Math.min(lengths[b], seqLen))];
}

export function rangeMeanPoolForwardReference(
  x: ArrayLike<number>,
  lengths: ArrayLike<number>,
  { batch, seqLen, hidden, start }: RangeMeanPoolShape,
): Float64Array {
  const out = new Float64Array(batch * hidden);
  for (let b = 0; b < batch; b++) {
    const [lo, hi] = range(lengths, b, seqLen, start);
    if (hi === lo) continue;
    for (let c = 0; c < hidden; c++) {
      let s = 0;
      for (let i = lo; i < hi; i++) s += x[(b * seqLen + i) * hidden + c];
      out[b * hidden + c] = s / (hi - lo);
    }
  }
  return out;
}

export function rangeMeanPoolBackwardReference(
  dPooled: ArrayLike<number>,
  lengths: ArrayLike<number>,
  { batch, seqLen, hidden, start }: RangeMeanPoolShape,
): Float64Array {
  const dX = new Float64Array(batch * seqLen * hidden);
  for (let b = 0; b < batch; b++) {
    const [lo, hi] = range(lengths, b, seqLen, start);
    for (let i = lo; i < hi; i++) {
      for (let c = 0; c < hidden; c++) dX[(b * seqLen + i) * hidden + c] = dPooled[b * hidden + c] / (hi - lo);
    }
  }
  return dX;
}
