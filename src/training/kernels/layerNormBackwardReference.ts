// Input gradient of layer normalisation in double precision: the reference for
// shaders/training/layerNormBackward.wgsl (gamma and beta frozen).
//   x̂ = (x − μ)·inv, inv = 1/sqrt(σ² + eps) (biased variance), g = dOut ⊙ gamma
//   dX = inv·(g − mean(g) − x̂·mean(g ⊙ x̂)) + dRes
// Inputs may be Float32Array or Float64Array (the finite-difference check runs it on doubles).

type Floats = Float32Array | Float64Array;

export function layerNormBackwardReference(
  x: Floats,
  gamma: Floats,
  dOut: Floats,
  rows: number,
  cols: number,
  eps: number,
  dRes?: Floats,
): Float64Array {
  const dX = new Float64Array(rows * cols);
  const xh = new Float64Array(cols);
  const g = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let mean = 0;
    for (let c = 0; c < cols; c++) mean += x[base + c];
    mean /= cols;
    let variance = 0;
    for (let c = 0; c < cols; c++) variance += (x[base + c] - mean) ** 2;
    variance /= cols;
    const inv = 1 / Math.sqrt(variance + eps);
    let mg = 0;
    let mgx = 0;
    for (let c = 0; c < cols; c++) {
      xh[c] = (x[base + c] - mean) * inv;
      g[c] = dOut[base + c] * gamma[c];
      mg += g[c];
      mgx += g[c] * xh[c];
    }
    mg /= cols;
    mgx /= cols;
    for (let c = 0; c < cols; c++) dX[base + c] = inv * (g[c] - mg - xh[c] * mgx) + (dRes ? dRes[base + c] : 0);
  }
  return dX;
}
