// Metric accumulators on the GPU, so the trainer reads its loss sums and accuracy counts only every few
// steps instead of stalling on a readback every step (docs/training-design.md):
//   main          out[slot] = (accumulate ? out[slot] : 0) + factor · Σ_{i < count} x[i]
//   countCorrect  out[slot] = (accumulate ? out[slot] : 0) + factor · #{ r < count : targets[r] ≠ 0xFFFFFFFF
//                                                                       and predicted[r] == targets[r] }
// WGSL has no float atomics, so each entry point runs as ONE workgroup of 256: invocation i sums elements
// i, i + 256, … and a tree of halvings in workgroup memory finishes; invocation 0 alone reads and writes
// out[slot]. Several of these dispatches in one pass are ordered by WebGPU, so accumulating into the same
// slot from consecutive dispatches (or steps) is race free and deterministic.
// Rounding: each invocation adds count/256 values in order, then 8 tree levels: relative error of the sum
// ≤ (count/256 + 8)·2^-24·Σ|x|. Counts are summed in u32 and converted once (exact below 2^24); an
// accumulated f32 count stays exact up to 2^24 correct rows, far beyond the steps between readbacks.
// Reference: src/training/kernels/reduceSumReference.ts. Wrappers: ReduceSumKernel, CountCorrectKernel.
//
// Entry point main:          0 x          f32 [count]
//                            1 out        f32 [> slot], read and written; must not alias x
//                            2 params     uniform { count, slot, factor: f32, accumulate (0 or 1) }
// Entry point countCorrect:  0 predicted  u32 [count] (rows; CrossEntropyKernel's predicted)
//                            1 targets    u32 [count]
//                            2 out        f32 [> slot], read and written; must not alias 0 or 1
//                            3 params     uniform { count, slot, factor: f32, accumulate (0 or 1) }
// Dispatch: one workgroup of 256 (any count ≥ 1; the loop covers the rest).

struct Params { count: u32, slot: u32, factor: f32, accumulate: u32 }

const WG: u32 = 256u;
const IGNORED: u32 = 0xFFFFFFFFu;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> sumOut: array<f32>;
@group(0) @binding(2) var<uniform> sumParams: Params;

var<workgroup> partialSum: array<f32, WG>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var i = lid; i < sumParams.count; i += WG) { s += x[i]; }
  partialSum[lid] = s;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (lid < stride) { partialSum[lid] += partialSum[lid + stride]; }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let slot = sumParams.slot;
    let previous = select(0.0, sumOut[slot], sumParams.accumulate != 0u);
    sumOut[slot] = previous + sumParams.factor * partialSum[0];
  }
}

@group(0) @binding(0) var<storage, read> predicted: array<u32>;
@group(0) @binding(1) var<storage, read> targets: array<u32>;
@group(0) @binding(2) var<storage, read_write> countOut: array<f32>;
@group(0) @binding(3) var<uniform> countParams: Params;

var<workgroup> partialCount: array<u32, WG>;

@compute @workgroup_size(256)
fn countCorrect(@builtin(local_invocation_index) lid: u32) {
  var n = 0u;
  for (var r = lid; r < countParams.count; r += WG) {
    let t = targets[r];
    if (t != IGNORED && predicted[r] == t) { n++; }
  }
  partialCount[lid] = n;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (lid < stride) { partialCount[lid] += partialCount[lid + stride]; }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let slot = countParams.slot;
    let previous = select(0.0, countOut[slot], countParams.accumulate != 0u);
    countOut[slot] = previous + countParams.factor * f32(partialCount[0]);
  }
}
