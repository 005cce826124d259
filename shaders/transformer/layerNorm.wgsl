// Layer normalisation over the last axis (Ba et al. 2016), as in BERT and USE-Lite:
//   out[r, c] = (x[r, c] − μ_r) / sqrt(σ²_r + eps) · gamma[c] + beta[c]
//   μ_r = mean_c x[r, c],  σ²_r = mean_c (x[r, c] − μ_r)²   (biased variance)
// Corrected two-pass algorithm (Chan, Golub & LeVeque 1983, eq. 1.7): μ̂ = Σx/n, then with d = x − μ̂
// and δ = Σd/n,   x − μ = d − δ,   σ² = (Σd² − n·δ²) / n.
// No cancellation, unlike E[x²] − μ², which loses every digit when |μ| ≫ σ. The output is formed from the
// small d − δ, never from x − μ with μ rounded to f32: at μ = 300, σ = 0.006 that rounding alone (1.5e-5)
// would be an error of 3e-3 in every output. The row is re-read from cache, not kept in registers, so cols
// is unbounded.
// Reference: src/transformer/kernels/layerNormReference.ts.
//
// One invocation per row. The textbook layout, a workgroup per row reducing through workgroup memory,
// measured 6× slower on SwiftShader (4096 × 768: 178 ms with vec4 loads and a barrier tree, 134 ms with a
// single barrier, 28 ms here): each barrier switches between the workgroup's 16 SIMD groups. A quad per row
// with quadSwap reductions measured the same 28 ms but needs subgroups. Rows are independent, so there is
// plenty of parallelism at transformer sizes (batch·seqLen rows).
//
// Entry points: main        cols % 4 == 0, rows read as vec4 (51 ms → 28 ms against scalar loads)
//               mainScalar  any cols
// Bindings: 0 x      f32 [rows, cols]      (array<vec4<f32>> in main)
//           1 gamma  f32 [cols]            ( " )
//           2 beta   f32 [cols]            ( " )
//           3 out    f32 [rows, cols]      ( " ); must not alias x
//           4 params uniform { rows, cols, eps: f32 }
// Dispatch: ceil(rows / 64) workgroups of 64, folded into y past 65535 (GpuRuntime.rowGrid).

struct Params { rows: u32, cols: u32, eps: f32, pad: u32 }

@group(0) @binding(4) var<uniform> params: Params;

// The invocation's row when groups of 64 rows are folded into y (GpuRuntime.rowGrid).
fn rowOf(lid: u32, wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return (wid.y * nwg.x + wid.x) * 64u + lid;
}

@group(0) @binding(0) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> gamma4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> beta4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out4: array<vec4<f32>>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = rowOf(lid, wid, nwg);
  if (row >= params.rows) { return; }
  let n = params.cols / 4u;
  let base = row * n;
  var s = vec4<f32>(0.0);
  for (var c = 0u; c < n; c++) { s += x4[base + c]; }
  let cols = f32(params.cols);
  let rough = (s.x + s.y + s.z + s.w) / cols;
  var d1 = vec4<f32>(0.0);
  var d2 = vec4<f32>(0.0);
  for (var c = 0u; c < n; c++) {
    let d = x4[base + c] - rough;
    d1 += d;
    d2 += d * d;
  }
  let shift = (d1.x + d1.y + d1.z + d1.w) / cols;
  let inv = inverseSqrt(max((d2.x + d2.y + d2.z + d2.w) / cols - shift * shift, 0.0) + params.eps);
  for (var c = 0u; c < n; c++) { out4[base + c] = ((x4[base + c] - rough) - shift) * inv * gamma4[c] + beta4[c]; }
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> gamma: array<f32>;
@group(0) @binding(2) var<storage, read> beta: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn mainScalar(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = rowOf(lid, wid, nwg);
  if (row >= params.rows) { return; }
  let n = params.cols;
  let base = row * n;
  var s = 0.0;
  for (var c = 0u; c < n; c++) { s += x[base + c]; }
  let cols = f32(n);
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
  for (var c = 0u; c < n; c++) { out[base + c] = ((x[base + c] - rough) - shift) * inv * gamma[c] + beta[c]; }
}
