// Gradient of layer normalisation (shaders/transformer/layerNorm.wgsl) with respect to its input, gamma and
// beta frozen (no weight gradients), plus an optional residual gradient:
//   x̂ = (x − μ)·inv,  inv = 1/sqrt(σ² + eps)   (biased variance, as in the forward pass)
//   g = dOut ⊙ gamma
//   dX[r, c] = inv·(g[c] − mean_c g − x̂[c]·mean_c(g ⊙ x̂)) + dRes[r, c]
// (differentiate out = x̂·gamma + beta: ∂x̂_c/∂x_d = inv·(δ_cd − 1/n − x̂_c·x̂_d/n)). dRes carries the gradient
// that reaches the LN input through the residual branch (out = LN(x) where x = y + f(y): dy = dX).
// Statistics are recomputed exactly as the forward kernel computes them (corrected two-pass, Chan, Golub
// & LeVeque 1983), so x̂ is formed from the small d − δ and never from x − μ with μ rounded to f32.
// Reference: src/training/kernels/layerNormBackwardReference.ts.
//
// One invocation per row, the forward kernel's layout (a workgroup per row with barriers measured 6×
// slower on SwiftShader, layerNorm.wgsl). The row is re-read from cache in each of the four passes (sum;
// shifted sums; Σg and Σg·x̂; output), so cols is unbounded and nothing spills.
//
// Entry points: main        cols % 4 == 0, rows read as vec4
//               mainScalar  any cols
// Bindings: 0 x      f32 [rows, cols]      the forward input (array<vec4<f32>> in main)
//           1 gamma  f32 [cols]            ( " )
//           2 dOut   f32 [rows, cols]      gradient of the forward output ( " )
//           3 dRes   f32 [rows, cols]      read when HAS_RESIDUAL (else any 16-byte buffer) ( " )
//           4 dX     f32 [rows, cols]      ( " ); must not alias the inputs
//           5 params uniform { rows, cols, eps: f32 }
// Overrides: HAS_RESIDUAL (add dRes).
// Dispatch: ceil(rows / 64) workgroups of 64, folded into y past 65535 (GpuRuntime.rowGrid).

override HAS_RESIDUAL: bool = false;

struct Params { rows: u32, cols: u32, eps: f32, pad: u32 }

@group(0) @binding(5) var<uniform> params: Params;

// The invocation's row when groups of 64 rows are folded into y (GpuRuntime.rowGrid).
fn rowOf(lid: u32, wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return (wid.y * nwg.x + wid.x) * 64u + lid;
}

fn sum4(v: vec4<f32>) -> f32 { return v.x + v.y + v.z + v.w; }

@group(0) @binding(0) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> gamma4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> dOut4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> dRes4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> dX4: array<vec4<f32>>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = rowOf(lid, wid, nwg);
  if (row >= params.rows) { return; }
  let n = params.cols / 4u;
  let base = row * n;
  let cols = f32(params.cols);
  // Statistics: the forward kernel's code, so x̂ is the forward's x̂.
  var s = vec4<f32>(0.0);
  for (var c = 0u; c < n; c++) { s += x4[base + c]; }
  let rough = sum4(s) / cols;
  var d1 = vec4<f32>(0.0);
  var d2 = vec4<f32>(0.0);
  for (var c = 0u; c < n; c++) {
    let d = x4[base + c] - rough;
    d1 += d;
    d2 += d * d;
  }
  let shift = sum4(d1) / cols;
  let inv = inverseSqrt(max(sum4(d2) / cols - shift * shift, 0.0) + params.eps);
  // mean(g) and mean(g·x̂).
  var sg = vec4<f32>(0.0);
  var sgx = vec4<f32>(0.0);
  for (var c = 0u; c < n; c++) {
    let g = dOut4[base + c] * gamma4[c];
    let xh = ((x4[base + c] - rough) - shift) * inv;
    sg += g;
    sgx += g * xh;
  }
  let mg = sum4(sg) / cols;
  let mgx = sum4(sgx) / cols;
  for (var c = 0u; c < n; c++) {
    let g = dOut4[base + c] * gamma4[c];
    let xh = ((x4[base + c] - rough) - shift) * inv;
    var v = (g - mg - xh * mgx) * inv;
    if (HAS_RESIDUAL) { v += dRes4[base + c]; }
    dX4[base + c] = v;
  }
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> gamma: array<f32>;
@group(0) @binding(2) var<storage, read> dOut: array<f32>;
@group(0) @binding(3) var<storage, read> dRes: array<f32>;
@group(0) @binding(4) var<storage, read_write> dX: array<f32>;

@compute @workgroup_size(64)
fn mainScalar(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = rowOf(lid, wid, nwg);
  if (row >= params.rows) { return; }
  let n = params.cols;
  let base = row * n;
  let cols = f32(n);
  var s = 0.0;
  for (var c = 0u; c < n; c++) { s += x[base + c]; }
  let rough = s / cols;
  var d1 = 0.0;
  var d2 = 0.0;
  for (var c = 0u; c < n; c++) {
    let d = x[base + c] - rough;
    d1 += d;
    d2 += d * d;
  }
  let shift = d1 / cols;
  let inv = inverseSqrt(max(d2 / cols - shift * shift, 0.0) + params.eps);
  var sg = 0.0;
  var sgx = 0.0;
  for (var c = 0u; c < n; c++) {
    let g = dOut[base + c] * gamma[c];
    let xh = ((x[base + c] - rough) - shift) * inv;
    sg += g;
    sgx += g * xh;
  }
  let mg = sg / cols;
  let mgx = sgx / cols;
  for (var c = 0u; c < n; c++) {
    let g = dOut[base + c] * gamma[c];
    let xh = ((x[base + c] - rough) - shift) * inv;
    var v = (g - mg - xh * mgx) * inv;
    if (HAS_RESIDUAL) { v += dRes[base + c]; }
    dX[base + c] = v;
  }
}
