// A soft prompt at rows [start, start + N) of every example of a padded batch — softPrompt.wgsl with a row
// offset, for encoders whose prompt follows a leading token (BERT: [CLS] at row 0, then P; design in
// src/training/bertTrainer.ts):
//   forward   x[b·seqLen + start + p, c] = prompt[p, c] + base[p, c]     for every b, p < N, c < d
//             (base: what the embedding adds besides the word vector at those rows, e.g. BERT's
//             position[start + p] + tokenType[0]; other rows keep what EmbeddingKernel wrote), in place
//   backward  dPrompt[p, c] = Σ_b dX[b·seqLen + start + p, c]            (overwritten, not accumulated)
// The backward reduces over the batch with one owner per element (no float atomics), summing b in order:
// deterministic. N ≥ 1 and start + N ≤ seqLen (the caller dispatches nothing without a prompt).
// Reference: src/training/kernels/promptRowsReference.ts.
//
// Entry point forward:  0 prompt  f32 [N, d]
//                       1 base    f32 [N, d]
//                       2 x       f32 [batch·seqLen, d], read_write; must not alias 0 or 1
//                       3 params  uniform { batch, seqLen, promptLength N, d, start }
//   Dispatch: one workgroup of 64 per prompt row (b, p) (batch·N rows), folded into y past 65535
//   (GpuRuntime.rowGrid); the 64 invocations stride over c.
// Entry point backward: 0 dX      f32 [batch·seqLen, d]
//                       1 dPrompt f32 [N, d], written; must not alias 0
//                       2 params  uniform { batch, seqLen, promptLength N, d, start }
//   Dispatch: ceil(N·d / 64) workgroups of 64, one invocation per element of dPrompt, folded into y.

struct Params { batch: u32, seqLen: u32, promptLength: u32, d: u32, start: u32, pad0: u32, pad1: u32, pad2: u32 }

@group(0) @binding(0) var<storage, read> prompt: array<f32>;
@group(0) @binding(1) var<storage, read> base: array<f32>;
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
  let dst = (b * forwardParams.seqLen + forwardParams.start + p) * d;
  for (var c = lid; c < d; c += 64u) { x[dst + c] = prompt[p * d + c] + base[p * d + c]; }
}

@group(0) @binding(0) var<storage, read> dX: array<f32>;
@group(0) @binding(1) var<storage, read_write> dPrompt: array<f32>;
@group(0) @binding(2) var<uniform> backwardParams: Params;

@compute @workgroup_size(64)
fn backward(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = (wid.y * nwg.x + wid.x) * 64u + lid;
  let d = backwardParams.d;
  if (i >= backwardParams.promptLength * d) { return; }
  // i = p·d + c; element (b, p, c) of dX is at (b·seqLen + start + p)·d + c = i + start·d + b·seqLen·d.
  let first = i + backwardParams.start * d;
  let stride = backwardParams.seqLen * d;
  var s = 0.0;
  for (var b = 0u; b < backwardParams.batch; b++) { s += dX[first + b * stride]; }
  dPrompt[i] = s;
}
