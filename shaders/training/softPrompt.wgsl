// Soft prompt (prompt tuning, Lester et al. 2021) on the embedding output x0 of a padded batch whose examples
// start with N prompt rows: [ P (N rows) ; plain tokens ; text ] (docs/training-design.md).
//   forward   x[b·seqLen + p, c] = prompt[p, c] + positions[p, c]     for every b, p < N, c < d
//             (rows p ≥ N keep what EmbeddingKernel wrote there: 2·E[id] + t(p)); x is updated in place,
//             so this runs after the embedding dispatch and overwrites the rows it filled for the prompt ids.
//   backward  dPrompt[p, c] = Σ_b dX[b·seqLen + p, c]                    (overwritten, not accumulated)
// The backward is a reduction over the batch. WGSL has no float atomics, so one invocation owns one
// element (p, c) and sums over b in order: deterministic, and coalesced across c. batch is small (≤ 64),
// so a longer loop per invocation costs less than a second pass. N ≥ 1: without a prompt (linear probe) the
// caller dispatches neither entry point.
// Reference: src/training/kernels/softPromptReference.ts.
//
// Entry point forward:  0 prompt     f32 [N, d]
//                       1 positions  f32 [≥ N, d]   (the timing table t)
//                       2 x          f32 [batch·seqLen, d], read_write; must not alias 0 or 1
//                       3 params     uniform { batch, seqLen, promptLength N, d }
//   Dispatch: one workgroup of 64 per prompt row (b, p) (batch·N rows), folded into y past 65535
//   (GpuRuntime.rowGrid); the 64 invocations stride over c.
// Entry point backward: 0 dX         f32 [batch·seqLen, d]
//                       1 dPrompt    f32 [N, d], written; must not alias 0
//                       2 params     uniform { batch, seqLen, promptLength N, d }
//   Dispatch: ceil(N·d / 64) workgroups of 64, one invocation per element of dPrompt, folded into y past
//   65535 (GpuRuntime.rowGrid).

struct Params { batch: u32, seqLen: u32, promptLength: u32, d: u32 }

@group(0) @binding(0) var<storage, read> prompt: array<f32>;
@group(0) @binding(1) var<storage, read> positions: array<f32>;
@group(0) @binding(2) var<storage, read_write> x: array<f32>;
@group(0) @binding(3) var<uniform> forwardParams: Params;

@compute @workgroup_size(64)
fn forward(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = wid.y * nwg.x + wid.x;
  let n = forwardParams.promptLength;
  if (row >= forwardParams.batch * n) { return; }
  let b = row / n;
  let p = row % n;
  let d = forwardParams.d;
  let dst = (b * forwardParams.seqLen + p) * d;
  for (var c = lid; c < d; c += 64u) { x[dst + c] = prompt[p * d + c] + positions[p * d + c]; }
}

@group(0) @binding(0) var<storage, read> dX: array<f32>;
@group(0) @binding(1) var<storage, read_write> dPrompt: array<f32>;
@group(0) @binding(2) var<uniform> backwardParams: Params;

@compute @workgroup_size(64)
fn backward(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = (wid.y * nwg.x + wid.x) * 64u + lid;
  let d = backwardParams.d;
  if (i >= backwardParams.promptLength * d) { return; }
  // i = p·d + c, and row p of example b starts at (b·seqLen + p)·d, so element (b, p, c) is at i + b·seqLen·d.
  let stride = backwardParams.seqLen * d;
  var s = 0.0;
  for (var b = 0u; b < backwardParams.batch; b++) { s += dX[i + b * stride]; }
  dPrompt[i] = s;
}
