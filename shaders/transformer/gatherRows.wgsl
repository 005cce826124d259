// Picks rows of a matrix by index (runs the MLM head only at masked positions):
//   out[i, c] = x[index[i], c]
// Indices past the source's last row are clamped to it (callers validate; this only keeps reads in
// bounds). Reference: src/transformer/kernels/gatherRowsReference.ts.
//
// Bindings: 0 x      f32 [sourceRows, cols]
//           1 index  u32 [rows]
//           2 out    f32 [rows, cols]
//           3 params uniform { rows, cols, sourceRows }
// Dispatch: one workgroup of 64 per output row, rows folded into y past 65535 (GpuRuntime.rowGrid).

struct Params { rows: u32, cols: u32, sourceRows: u32, pad: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> index: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = wid.y * nwg.x + wid.x;
  if (row >= params.rows) { return; }
  let cols = params.cols;
  let src = min(index[row], params.sourceRows - 1u) * cols;
  for (var c = lid; c < cols; c += 64u) { out[row * cols + c] = x[src + c]; }
}
