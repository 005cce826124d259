// Column sums, for bias gradients (db = Σ_r dY[r, :]) (docs/training-design.md):
//   out[c] = Σ_{r < rows} x[r, c]          (overwritten, not accumulated)
// No float atomics: one invocation owns one column and adds its rows in order, so the result is
// deterministic. Neighbouring invocations read neighbouring addresses of the same row (coalesced). rows is
// a batch size (tens), so one loop per invocation is cheaper than a second reduction pass; cols ≥ 64 keeps
// a workgroup busy at the real sizes (512-wide heads are 8 workgroups, the task head's 2 classes one).
// Rounding: ≤ (rows − 1)·2^-24·Σ_r |x[r, c]| per column.
// Reference: src/training/kernels/columnSumReference.ts.
//
// Bindings: 0 x       f32 [rows, cols]
//           1 out     f32 [cols], written; must not alias x
//           2 params  uniform { rows, cols }
// Dispatch: ceil(cols / 64) workgroups of 64, folded into y past 65535 (GpuRuntime.rowGrid).

struct Params { rows: u32, cols: u32, pad0: u32, pad1: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = (wid.y * nwg.x + wid.x) * 64u + lid;
  if (c >= params.cols) { return; }
  var s = 0.0;
  for (var r = 0u; r < params.rows; r++) { s += x[r * params.cols + c]; }
  out[c] = s;
}
