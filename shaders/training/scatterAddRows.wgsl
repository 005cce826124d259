// Puts gathered rows' gradient back: the backward of GatherRowsKernel (shaders/transformer/gatherRows.wgsl).
//   dst[index[r], c] += src[r, c]      for r < count, c < width
// RAPT's reconstruction head reads the final states of the m plain-token rows of each example
// (gatherRows with plainRowIndex); their gradient is added here into the gradient of the final states,
// which RangeMeanPoolKernel's backward has already written (zero on those rows).
//
// PRECONDITION: the indices are unique. Each source row is one workgroup doing a plain read-modify-write
// of its destination row (WGSL has no float atomics); two rows with the same index would race and one
// addition would be lost. plainRowIndex() produces unique indices; checkScatterIndex() checks a host copy.
// Indices ≥ dstRows are skipped (nothing is written), so a bad index can never write out of bounds.
// Reference: src/training/kernels/scatterAddRowsReference.ts.
//
// Bindings: 0 src    f32 [count, width]
//           1 index  u32 [count]
//           2 dst    f32 [dstRows, width], read_write; must not alias 0 or 1
//           3 params uniform { count, width, dstRows }
// Dispatch: one workgroup of 64 per source row, folded into y past 65535 (GpuRuntime.rowGrid); the 64
// invocations stride over the row's columns, so reads and writes are coalesced.

struct Params { count: u32, width: u32, dstRows: u32, pad: u32 }

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> index: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = wid.y * nwg.x + wid.x;
  if (row >= params.count) { return; }
  let dstRow = index[row];
  if (dstRow >= params.dstRows) { return; }
  let width = params.width;
  let srcBase = row * width;
  let dstBase = dstRow * width;
  for (var c = lid; c < width; c += 64u) { dst[dstBase + c] += src[srcBase + c]; }
}
