// Column sums in double precision: the reference for shaders/training/columnSum.wgsl.

/** out[c] = Σ_r x[r, c] for x [rows, cols]. */
export function columnSumReference(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c] += x[r * cols + c];
  return out;
}
