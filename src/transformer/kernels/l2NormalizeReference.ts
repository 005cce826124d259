// Row-wise L2 normalisation in double precision: the reference for shaders/transformer/l2Normalize.wgsl.

export function l2NormalizeReference(x: Float32Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += x[r * cols + c] ** 2;
    const inv = 1 / Math.sqrt(Math.max(s, 1e-12));
    for (let c = 0; c < cols; c++) out[r * cols + c] = x[r * cols + c] * inv;
  }
  return out;
}
