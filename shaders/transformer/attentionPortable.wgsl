// Fused multi-head self-attention with a key-padding mask, for devices without 'subgroups' and for any
// head size: the same result as attention.wgsl (see there for the formula), computed the plain way.
// One workgroup per (b, h, query row i):
//   1. invocation t scores keys j ≡ t (mod 64): s_j = scale·q_i·k_j, kept in workgroup memory;
//   2. the row max and Σ_j e^{s_j − max} by workgroup reductions (max-subtracted softmax);
//   3. invocation t sums Σ_j p_j·v_j[c] for output columns c ≡ t (mod 64).
// Barrier-bound on SwiftShader (8 × 128 × 4 heads × 64: 700 ms against 41 ms for attention.wgsl); kept for
// devices without subgroups, where a workgroup per row is the natural layout.
// Reference: src/transformer/kernels/attentionReference.ts.
//
// Bindings: 0 qkv     f32 [batch·S, 3·H·D]   column blocks [Q | K | V], head h at h·D
//           1 lengths u32 [batch]
//           2 out     f32 [batch·S, H·D]
//           3 params  uniform { batch, seqLen, heads, headDim, scale: f32 }
// Limits: S ≤ 512 (the probabilities live in workgroup memory); any D ≥ 1.
// Dispatch: (S, heads, batch) workgroups of 64.

const ROW_THREADS: u32 = 64u;
const MAX_KEYS: u32 = 512u;

struct Params { batch: u32, seqLen: u32, heads: u32, headDim: u32, scale: f32, pad0: u32, pad1: u32, pad2: u32 }

@group(0) @binding(0) var<storage, read> qkv: array<f32>;
@group(0) @binding(1) var<storage, read> lengths: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

var<workgroup> probs: array<f32, MAX_KEYS>;
var<workgroup> partial: array<f32, ROW_THREADS>;

// Max and sum over the workgroup by a tree of halvings; called in uniform control flow.
fn workgroupMax(v: f32, lid: u32) -> f32 {
  partial[lid] = v;
  workgroupBarrier();
  for (var s = ROW_THREADS / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { partial[lid] = max(partial[lid], partial[lid + s]); }
    workgroupBarrier();
  }
  let r = partial[0];
  workgroupBarrier(); // nobody may start the next reduction before everyone has read this one
  return r;
}

fn workgroupSum(v: f32, lid: u32) -> f32 {
  partial[lid] = v;
  workgroupBarrier();
  for (var s = ROW_THREADS / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { partial[lid] += partial[lid + s]; }
    workgroupBarrier();
  }
  let r = partial[0];
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let i = wid.x;
  let h = wid.y;
  let b = wid.z;
  let S = params.seqLen;
  let D = params.headDim;
  let hd = params.heads * D;
  let rowStride = 3u * hd;
  let len = min(min(lengths[b], S), MAX_KEYS);
  let q = (b * S + i) * rowStride + h * D;

  var localMax = -1e30;
  for (var j = lid; j < len; j += ROW_THREADS) {
    let k = (b * S + j) * rowStride + hd + h * D;
    var s = 0.0;
    for (var c = 0u; c < D; c++) { s += qkv[q + c] * qkv[k + c]; }
    s *= params.scale;
    probs[j] = s;
    localMax = max(localMax, s);
  }
  let rowMaximum = workgroupMax(localMax, lid);
  var localSum = 0.0;
  for (var j = lid; j < len; j += ROW_THREADS) {
    let p = exp(probs[j] - rowMaximum);
    probs[j] = p;
    localSum += p;
  }
  // The reduction's barriers also publish every invocation's probs[] writes to the whole workgroup.
  let total = workgroupSum(localSum, lid);
  let inv = select(1.0 / total, 0.0, len == 0u);
  for (var c = lid; c < D; c += ROW_THREADS) {
    var acc = 0.0;
    for (var j = 0u; j < len; j++) { acc += probs[j] * qkv[(b * S + j) * rowStride + 2u * hd + h * D + c]; }
    out[(b * S + i) * hd + h * D + c] = acc * inv;
  }
}
