// Softmax cross-entropy per row, with its gradient and the predicted class (docs/training-design.md):
//   m_r = max_c logits[r, c],   s_r = Σ_c e^{logits[r, c] − m_r}                  (max-subtracted, s_r ≥ 1)
//   losses[r]     = −log softmax(logits[r, :])[t_r] = (m_r − logits[r, t_r]) + log s_r
//   dLogits[r, c] = scale · (e^{logits[r, c] − m_r} / s_r − [c == t_r])
//   predicted[r]  = argmax_c logits[r, c], the lowest index on ties
// t_r = targets[r]. A row whose target is not a class (0xFFFFFFFF marks an ignored row: padding, no label)
// gets losses[r] = 0 and a zero gradient row, so callers sum losses and gradients over all rows; its
// predicted class is still written (countCorrect in reduceSum.wgsl skips ignored rows). Out-of-range
// targets are treated the same way rather than reading another row's logits.
// The loss is written unscaled (for metrics); only the gradient carries `scale` (e.g. 1/B, λ/(B·m)).
//
// Stability: every exponent is ≤ 0, so nothing overflows for any finite logits, and the loss is formed from
// m_r − logits[r, t_r] (exact when the two are within a factor 2) plus log s_r, never as log of a softmax
// probability that may have underflowed to 0. log is precise_log (random/philox.wgsl): WGSL only promises an
// absolute error of 2^-21 for log on [0.5, 2], which would be the whole value of a small loss (s_r ≈ 1).
// Logits are assumed finite (WGSL lets implementations assume there are no NaNs or infinities); in
// practice a NaN logit makes the row's loss NaN, so divergence shows in the metrics.
// Reference: src/training/kernels/crossEntropyReference.ts.
//
// Entry points (same bindings):
//   main     one workgroup of 64 per row: invocation i handles classes c ≡ i (mod 64); max/argmax and the
//            sum of exponentials by workgroup reductions. For the reconstruction head (classes = |T| ≈ 8000,
//            rows = B·m of a few hundred), where one invocation per row would leave the GPU nearly idle.
//            Dispatch: rows workgroups, folded into y past 65535 (GpuRuntime.rowGrid).
//   mainRow  one invocation per row, three passes over the row. For the task head (classes = 2..a few):
//            a workgroup per row would idle 62 of 64 invocations and pay for 12 barriers (the barriers
//            dominate on SwiftShader, see transformer/layerNorm.wgsl).
//            Dispatch: ceil(rows / 64) workgroups of 64, folded into y past 65535.
// Bindings: 0 logits     f32 [rows, classes]
//           1 targets    u32 [rows]
//           2 dLogits    f32 [rows, classes], written
//           3 losses     f32 [rows], written
//           4 predicted  u32 [rows], written
//           5 params     uniform { rows, classes, scale: f32 }
// Outputs must not alias the inputs or each other.

//!include "random/philox.wgsl"

struct Params { rows: u32, classes: u32, scale: f32, pad: u32 }

@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read> targets: array<u32>;
@group(0) @binding(2) var<storage, read_write> dLogits: array<f32>;
@group(0) @binding(3) var<storage, read_write> losses: array<f32>;
@group(0) @binding(4) var<storage, read_write> predicted: array<u32>;
@group(0) @binding(5) var<uniform> params: Params;

const WG: u32 = 64u;

var<workgroup> redValue: array<f32, WG>;
var<workgroup> redIndex: array<u32, WG>;
var<workgroup> redSum: array<f32, WG>;

// The loss of row `row` given its max m and s = Σ e^{x − m}; 0 for an ignored row.
fn rowLoss(row: u32, base: u32, m: f32, s: f32) -> f32 {
  let t = targets[row];
  if (t >= params.classes) { return 0.0; }
  return (m - logits[base + t]) + precise_log(s);
}

// dLogits[r, c] for one element: scale · (e^{x − m}/s − [c == t]); 0 when the row is ignored.
fn gradient(base: u32, c: u32, t: u32, m: f32, scaleOverSum: f32) -> f32 {
  if (t >= params.classes) { return 0.0; }
  return scaleOverSum * exp(logits[base + c] - m) - select(0.0, params.scale, c == t);
}

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = wid.y * nwg.x + wid.x;
  if (row >= params.rows) { return; } // uniform: the whole workgroup leaves
  let n = params.classes;
  let base = row * n;

  // Max and argmax. Invocations past the last class (n < 64) start from a duplicate of class lid % n and
  // loop over nothing, so they never win with a fake value; each invocation scans its classes in
  // ascending order keeping the first maximum, and the tree keeps the lower index on equal values.
  let first = lid % n;
  var m = logits[base + first];
  var arg = first;
  for (var c = lid + WG; c < n; c += WG) {
    let x = logits[base + c];
    if (x > m) { m = x; arg = c; }
  }
  redValue[lid] = m;
  redIndex[lid] = arg;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (lid < stride) {
      let ov = redValue[lid + stride];
      let oi = redIndex[lid + stride];
      let v = redValue[lid];
      if (ov > v || (ov == v && oi < redIndex[lid])) {
        redValue[lid] = ov;
        redIndex[lid] = oi;
      }
    }
    workgroupBarrier();
  }
  let rowMax = redValue[0];
  let rowArg = redIndex[0];
  // redValue/redIndex are not written again, so no barrier is needed before the next reduction.

  var s = 0.0;
  for (var c = lid; c < n; c += WG) { s += exp(logits[base + c] - rowMax); }
  redSum[lid] = s;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (lid < stride) { redSum[lid] += redSum[lid + stride]; }
    workgroupBarrier();
  }
  let total = redSum[0];

  if (lid == 0u) {
    losses[row] = rowLoss(row, base, rowMax, total);
    predicted[row] = rowArg;
  }
  let t = targets[row];
  let k = params.scale / total;
  for (var c = lid; c < n; c += WG) { dLogits[base + c] = gradient(base, c, t, rowMax, k); }
}

@compute @workgroup_size(64)
fn mainRow(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = (wid.y * nwg.x + wid.x) * WG + lid;
  if (row >= params.rows) { return; }
  let n = params.classes;
  let base = row * n;
  var m = logits[base];
  var arg = 0u;
  for (var c = 1u; c < n; c++) {
    let x = logits[base + c];
    if (x > m) { m = x; arg = c; }
  }
  var s = 0.0;
  for (var c = 0u; c < n; c++) { s += exp(logits[base + c] - m); }
  losses[row] = rowLoss(row, base, m, s);
  predicted[row] = arg;
  let t = targets[row];
  let k = params.scale / s;
  for (var c = 0u; c < n; c++) { dLogits[base + c] = gradient(base, c, t, m, k); }
}
