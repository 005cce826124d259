// Rows scaled to unit Euclidean length (USE-Lite's output):
//   out[r, c] = x[r, c] / sqrt(max(Σ_c x[r, c]², 1e-12))
// The 1e-12 floor (tf.math.l2_normalize's epsilon) keeps an all-zero row at zero instead of NaN.
// Reference: src/transformer/kernels/l2NormalizeReference.ts.
//
// One invocation per row, no workgroup memory or barriers, for the reason given in layerNorm.wgsl.
// Entry points: main (cols % 4 == 0, vec4 loads) and mainScalar (any cols).
// Bindings: 0 x      f32 [rows, cols]   (array<vec4<f32>> in main)
//           1 out    f32 [rows, cols]   ( " ); must not alias x
//           2 params uniform { rows, cols }
// Dispatch: ceil(rows / 64) workgroups of 64, folded into y past 65535 (GpuRuntime.rowGrid).

struct Params { rows: u32, cols: u32, pad0: u32, pad1: u32 }

@group(0) @binding(2) var<uniform> params: Params;

fn rowOf(lid: u32, wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return (wid.y * nwg.x + wid.x) * 64u + lid;
}

@group(0) @binding(0) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> out4: array<vec4<f32>>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = rowOf(lid, wid, nwg);
  if (row >= params.rows) { return; }
  let n = params.cols / 4u;
  let base = row * n;
  var s = vec4<f32>(0.0);
  for (var c = 0u; c < n; c++) {
    let v = x4[base + c];
    s += v * v;
  }
  let inv = inverseSqrt(max(s.x + s.y + s.z + s.w, 1e-12));
  for (var c = 0u; c < n; c++) { out4[base + c] = x4[base + c] * inv; }
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn mainScalar(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = rowOf(lid, wid, nwg);
  if (row >= params.rows) { return; }
  let n = params.cols;
  let base = row * n;
  var s = 0.0;
  for (var c = 0u; c < n; c++) { s += x[base + c] * x[base + c]; }
  let inv = inverseSqrt(max(s, 1e-12));
  for (var c = 0u; c < n; c++) { out[base + c] = x[base + c] * inv; }
}
