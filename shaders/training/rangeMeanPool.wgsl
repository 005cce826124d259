// Mean over a range of rows of each example of a padded batch, and its gradient. The task head pools the
// final states of the text rows only, skipping the N prompt rows and m plain-token rows in front of them
// (docs/training-design.md), so the range is [start, end_b) with end_b = min(lengths[b], seqLen):
//   forward   out[b, c] = (1 / n_b) Σ_{start ≤ i < end_b} x[b·seqLen + i, c],  n_b = max(end_b − start, 0)
//             (zeros when the range is empty)
//   backward  dX[b·seqLen + i, c] = dPooled[b, c] / n_b   for start ≤ i < end_b, else 0
// The backward writes every element of dX (prompt, plain and padding rows get exact zeros), so dX needs
// no clearing beforehand and later kernels may accumulate into it (ScatterAddRowsKernel).
// One invocation per output element in both directions: the forward's sum over rows is owned by one
// invocation (no atomics, deterministic order), and consecutive invocations read consecutive c.
// Reference: src/training/kernels/rangeMeanPoolReference.ts.
//
// Entry point forward:  0 x        f32 [batch·seqLen, hidden]
//                       1 lengths  u32 [batch]   (past seqLen counts as seqLen)
//                       2 out      f32 [batch, hidden]; must not alias 0 or 1
//                       3 params   uniform { batch, seqLen, hidden, start }
//   Dispatch: ceil(batch·hidden / 64) workgroups of 64, folded into y past 65535 (GpuRuntime.rowGrid).
// Entry point backward: 0 dPooled  f32 [batch, hidden]
//                       1 lengths  u32 [batch]
//                       2 dX       f32 [batch·seqLen, hidden]; must not alias 0 or 1
//                       3 params   uniform { batch, seqLen, hidden, start }
//   Dispatch: ceil(batch·seqLen·hidden / 64) workgroups of 64, folded into y past 65535.

struct Params { batch: u32, seqLen: u32, hidden: u32, start: u32 }

@group(0) @binding(1) var<storage, read> lengths: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;

fn indexOf(lid: u32, wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return (wid.y * nwg.x + wid.x) * 64u + lid;
}

// The end of example b's range (exclusive), never before its start: an empty range has end == start.
fn rangeEnd(b: u32) -> u32 {
  return max(min(lengths[b], params.seqLen), params.start);
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn forward(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = indexOf(lid, wid, nwg);
  let hidden = params.hidden;
  if (i >= params.batch * hidden) { return; }
  let b = i / hidden;
  let c = i % hidden;
  let start = params.start;
  let end = rangeEnd(b);
  let base = b * params.seqLen * hidden + c;
  var s = 0.0;
  for (var r = start; r < end; r++) { s += x[base + r * hidden]; }
  out[i] = select(0.0, s / f32(end - start), end > start);
}

@group(0) @binding(0) var<storage, read> dPooled: array<f32>;
@group(0) @binding(2) var<storage, read_write> dX: array<f32>;

@compute @workgroup_size(64)
fn backward(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = indexOf(lid, wid, nwg);
  let hidden = params.hidden;
  let seqLen = params.seqLen;
  if (i >= params.batch * seqLen * hidden) { return; }
  let row = i / hidden;
  let c = i % hidden;
  let b = row / seqLen;
  let r = row % seqLen;
  let start = params.start;
  let end = rangeEnd(b);
  var g = 0.0;
  if (r >= start && r < end) { g = dPooled[b * hidden + c] / f32(end - start); }
  dX[i] = g;
}
