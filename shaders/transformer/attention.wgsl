// Fused multi-head self-attention with a key-padding mask (Vaswani et al. 2017, eq. 1), one pass over the
// keys with an online softmax (Milakov & Gimelshein 2018; the FlashAttention recurrence):
//   out[b·S + i, h·D + c] = Σ_{j < len[b]} softmax_j(scale·q_i·k_j) · v_j[c]
//   q_i = qkv[b·S + i, h·D ..], k_j = qkv[b·S + j, H·D + h·D ..], v_j = qkv[b·S + j, 2·H·D + h·D ..]
// Padded query rows (i ≥ len[b]) are computed the same way; len[b] = 0 gives zeros; len > S counts as S.
// Reference: src/transformer/kernels/attentionReference.ts. attentionPortable.wgsl is the fallback for
// devices without 'subgroups' and head sizes that are not multiples of 16.
//
// Work split. A quad (4 consecutive invocations) owns 8 query rows of one (b, h), as two groups of 4 (A
// and B); each lane owns a quarter of the head's dimensions (SLICE vec4 = D/16). Per chunk of 4 keys a lane
// loads only its quarter of the 4 key and 4 value rows — shared by both row groups — forms partial scores
// (4 rows × 4 keys) as mat4x4 products, and two quad swaps complete them. Each lane exponentiates one key's
// column of probabilities and quadBroadcast shares them, so a lane pays 8 exp per group and chunk, not 20.
// The running max m, sum l and output accumulators are rescaled once per chunk: with
// m_new = max(m, chunk max) and p_t = e^{s_t − m_new},
//   acc ← acc·e^{m − m_new} + Σ_t p_t·v_t,   l ← l·e^{m − m_new} + Σ_t p_t.
// Masked keys get a score of −1e30, so their p is exactly 0 (and the start, m = −1e30, is wiped by the
// first real key's e^{m − m_new} = 0). As in matmul.wgsl, everything stays in registers: no workgroup
// memory, no barriers. Measured on SwiftShader, batch 8 × 128 tokens × 4 heads × 64: 8 rows per quad
// ≈ 1.5× faster than 4 (K and V loads are shared by twice the rows); a workgroup per query row
// (attentionPortable.wgsl) ≈ 17× slower.
//
// Bindings: 0 qkv     array<vec4<f32>> [batch·S, 3·H·D/4]   column blocks [Q | K | V], head h at h·D
//           1 lengths u32 [batch]
//           2 out     array<vec4<f32>> [batch·S, H·D/4]
//           3 params  uniform { batch, seqLen, heads, headDim, scale: f32 }
// Overrides: SLICE = headDim / 16, 1 ≤ SLICE ≤ 8 (headDim 16, 32, …, 128).
// Dispatch: (ceil(S / 128), heads, batch) workgroups of 64 (16 quads × 8 query rows).

enable subgroups;
// The swaps and broadcasts run after a per-quad early return; whole quads leave together.
diagnostic(off, subgroup_uniformity);

override SLICE: u32 = 4u;

struct Params { batch: u32, seqLen: u32, heads: u32, headDim: u32, scale: f32, pad0: u32, pad1: u32, pad2: u32 }

@group(0) @binding(0) var<storage, read> qkv: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> lengths: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> params: Params;

const MASKED: f32 = -1e30;

// Offsets (in vec4) of 4 rows of qkv, at this lane's slice of one of the Q, K, V blocks.
struct Rows { r0: u32, r1: u32, r2: u32, r3: u32 }

// Column t is row t's slice vec4 c.
fn slab(rows: Rows, c: u32) -> mat4x4<f32> {
  return mat4x4<f32>(qkv[rows.r0 + c], qkv[rows.r1 + c], qkv[rows.r2 + c], qkv[rows.r3 + c]);
}

// Scaled query slab, transposed: (q · slab(keys, c)) has column t = the 4 rows' partial scores for key t.
fn queries(rows: Rows, c: u32) -> mat4x4<f32> {
  return transpose(slab(rows, c)) * params.scale;
}

// Online-softmax state of 4 query rows: running max and running sum.
struct Softmax { m: vec4<f32>, l: vec4<f32> }

// What a chunk of 4 keys does to the accumulators: the rescale e^{m − m_new} and the probabilities
// (column r of pt = row r's probabilities for the 4 keys).
struct Step { corr: vec4<f32>, pt: mat4x4<f32> }

fn softmaxStep(partial: mat4x4<f32>, j0: u32, len: u32, lane: u32, state: ptr<function, Softmax>) -> Step {
  // Sum the four lanes' partial dot products: every lane now holds the full scores.
  var s0 = partial[0]; var s1 = partial[1]; var s2 = partial[2]; var s3 = partial[3];
  s0 += quadSwapX(s0); s1 += quadSwapX(s1); s2 += quadSwapX(s2); s3 += quadSwapX(s3);
  s0 += quadSwapY(s0); s1 += quadSwapY(s1); s2 += quadSwapY(s2); s3 += quadSwapY(s3);
  s1 = select(s1, vec4<f32>(MASKED), j0 + 1u >= len);
  s2 = select(s2, vec4<f32>(MASKED), j0 + 2u >= len);
  s3 = select(s3, vec4<f32>(MASKED), j0 + 3u >= len);
  let mNew = max((*state).m, max(max(s0, s1), max(s2, s3)));
  let corr = exp((*state).m - mNew);
  // Lane t exponentiates key t's scores; the quad shares them.
  let mine = select(select(s0, s1, lane == 1u), select(s2, s3, lane == 3u), lane >= 2u);
  let pMine = exp(mine - mNew);
  let p = mat4x4<f32>(quadBroadcast(pMine, 0u), quadBroadcast(pMine, 1u), quadBroadcast(pMine, 2u), quadBroadcast(pMine, 3u));
  (*state).l = (*state).l * corr + p[0] + p[1] + p[2] + p[3];
  (*state).m = mNew;
  return Step(corr, transpose(p));
}

// acc·diag(corr) + V·Pᵀ: column r of acc is query row r's slice vec4; column t of values is key t's.
fn rescaleAdd(acc: mat4x4<f32>, step: Step, values: mat4x4<f32>) -> mat4x4<f32> {
  return mat4x4<f32>(acc[0] * step.corr.x, acc[1] * step.corr.y, acc[2] * step.corr.z, acc[3] * step.corr.w) + values * step.pt;
}

// Writes the 4 rows from `row` (those below rowsLeft) of one slice vec4, normalised by 1/l.
fn store(row: u32, col: u32, acc: mat4x4<f32>, state: Softmax, rowsLeft: u32) {
  // len = 0: l = 0 and the output is 0, not 0/0.
  let inv = select(1.0 / state.l, vec4<f32>(0.0), state.l == vec4<f32>(0.0));
  let stride = params.heads * params.headDim / 4u;
  if (rowsLeft > 0u) { out[row * stride + col] = acc[0] * inv.x; }
  if (rowsLeft > 1u) { out[(row + 1u) * stride + col] = acc[1] * inv.y; }
  if (rowsLeft > 2u) { out[(row + 2u) * stride + col] = acc[2] * inv.z; }
  if (rowsLeft > 3u) { out[(row + 3u) * stride + col] = acc[3] * inv.w; }
}

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let lane = lid & 3u;
  let i0 = (wid.x * 16u + (lid >> 2u)) * 8u;
  let h = wid.y;
  let b = wid.z;
  let S = params.seqLen;
  if (i0 >= S) { return; }
  let len = min(lengths[b], S);
  let headVec4 = params.headDim / 4u;
  let rowVec4 = 3u * params.heads * headVec4;
  let slice = h * headVec4 + lane * SLICE;
  let kOff = params.heads * headVec4 + slice;
  let vOff = 2u * params.heads * headVec4 + slice;
  let first = b * S;
  // Query rows past S are clamped to the last one (computed, never stored).
  let last = S - 1u;
  let rowsA = Rows((first + i0) * rowVec4 + slice, (first + min(i0 + 1u, last)) * rowVec4 + slice,
                   (first + min(i0 + 2u, last)) * rowVec4 + slice, (first + min(i0 + 3u, last)) * rowVec4 + slice);
  let rowsB = Rows((first + min(i0 + 4u, last)) * rowVec4 + slice, (first + min(i0 + 5u, last)) * rowVec4 + slice,
                   (first + min(i0 + 6u, last)) * rowVec4 + slice, (first + min(i0 + 7u, last)) * rowVec4 + slice);
  let qa0 = queries(rowsA, 0u); let qb0 = queries(rowsB, 0u);
  var qa1 = mat4x4<f32>(); var qb1 = mat4x4<f32>();
  var qa2 = mat4x4<f32>(); var qb2 = mat4x4<f32>();
  var qa3 = mat4x4<f32>(); var qb3 = mat4x4<f32>();
  var qa4 = mat4x4<f32>(); var qb4 = mat4x4<f32>();
  var qa5 = mat4x4<f32>(); var qb5 = mat4x4<f32>();
  var qa6 = mat4x4<f32>(); var qb6 = mat4x4<f32>();
  var qa7 = mat4x4<f32>(); var qb7 = mat4x4<f32>();
  if (SLICE > 1u) { qa1 = queries(rowsA, 1u); qb1 = queries(rowsB, 1u); }
  if (SLICE > 2u) { qa2 = queries(rowsA, 2u); qb2 = queries(rowsB, 2u); }
  if (SLICE > 3u) { qa3 = queries(rowsA, 3u); qb3 = queries(rowsB, 3u); }
  if (SLICE > 4u) { qa4 = queries(rowsA, 4u); qb4 = queries(rowsB, 4u); }
  if (SLICE > 5u) { qa5 = queries(rowsA, 5u); qb5 = queries(rowsB, 5u); }
  if (SLICE > 6u) { qa6 = queries(rowsA, 6u); qb6 = queries(rowsB, 6u); }
  if (SLICE > 7u) { qa7 = queries(rowsA, 7u); qb7 = queries(rowsB, 7u); }

  var stateA = Softmax(vec4<f32>(MASKED), vec4<f32>(0.0));
  var stateB = Softmax(vec4<f32>(MASKED), vec4<f32>(0.0));
  var aa0 = mat4x4<f32>(); var ab0 = mat4x4<f32>();
  var aa1 = mat4x4<f32>(); var ab1 = mat4x4<f32>();
  var aa2 = mat4x4<f32>(); var ab2 = mat4x4<f32>();
  var aa3 = mat4x4<f32>(); var ab3 = mat4x4<f32>();
  var aa4 = mat4x4<f32>(); var ab4 = mat4x4<f32>();
  var aa5 = mat4x4<f32>(); var ab5 = mat4x4<f32>();
  var aa6 = mat4x4<f32>(); var ab6 = mat4x4<f32>();
  var aa7 = mat4x4<f32>(); var ab7 = mat4x4<f32>();
  for (var j0 = 0u; j0 < len; j0 += 4u) {
    // Keys past len are clamped to the last real one (finite values); their probability is 0.
    let lastKey = len - 1u;
    let r0 = (first + j0) * rowVec4;
    let r1 = (first + min(j0 + 1u, lastKey)) * rowVec4;
    let r2 = (first + min(j0 + 2u, lastKey)) * rowVec4;
    let r3 = (first + min(j0 + 3u, lastKey)) * rowVec4;
    let keys = Rows(r0 + kOff, r1 + kOff, r2 + kOff, r3 + kOff);
    let k0 = slab(keys, 0u);
    var sa = qa0 * k0;
    var sb = qb0 * k0;
    if (SLICE > 1u) { let k = slab(keys, 1u); sa += qa1 * k; sb += qb1 * k; }
    if (SLICE > 2u) { let k = slab(keys, 2u); sa += qa2 * k; sb += qb2 * k; }
    if (SLICE > 3u) { let k = slab(keys, 3u); sa += qa3 * k; sb += qb3 * k; }
    if (SLICE > 4u) { let k = slab(keys, 4u); sa += qa4 * k; sb += qb4 * k; }
    if (SLICE > 5u) { let k = slab(keys, 5u); sa += qa5 * k; sb += qb5 * k; }
    if (SLICE > 6u) { let k = slab(keys, 6u); sa += qa6 * k; sb += qb6 * k; }
    if (SLICE > 7u) { let k = slab(keys, 7u); sa += qa7 * k; sb += qb7 * k; }
    let stepA = softmaxStep(sa, j0, len, lane, &stateA);
    let stepB = softmaxStep(sb, j0, len, lane, &stateB);
    let values = Rows(r0 + vOff, r1 + vOff, r2 + vOff, r3 + vOff);
    let v0 = slab(values, 0u);
    aa0 = rescaleAdd(aa0, stepA, v0);
    ab0 = rescaleAdd(ab0, stepB, v0);
    if (SLICE > 1u) { let v = slab(values, 1u); aa1 = rescaleAdd(aa1, stepA, v); ab1 = rescaleAdd(ab1, stepB, v); }
    if (SLICE > 2u) { let v = slab(values, 2u); aa2 = rescaleAdd(aa2, stepA, v); ab2 = rescaleAdd(ab2, stepB, v); }
    if (SLICE > 3u) { let v = slab(values, 3u); aa3 = rescaleAdd(aa3, stepA, v); ab3 = rescaleAdd(ab3, stepB, v); }
    if (SLICE > 4u) { let v = slab(values, 4u); aa4 = rescaleAdd(aa4, stepA, v); ab4 = rescaleAdd(ab4, stepB, v); }
    if (SLICE > 5u) { let v = slab(values, 5u); aa5 = rescaleAdd(aa5, stepA, v); ab5 = rescaleAdd(ab5, stepB, v); }
    if (SLICE > 6u) { let v = slab(values, 6u); aa6 = rescaleAdd(aa6, stepA, v); ab6 = rescaleAdd(ab6, stepB, v); }
    if (SLICE > 7u) { let v = slab(values, 7u); aa7 = rescaleAdd(aa7, stepA, v); ab7 = rescaleAdd(ab7, stepB, v); }
  }

  let col = h * headVec4 + lane * SLICE;
  let left = S - i0;
  let leftB = select(0u, left - 4u, left > 4u);
  store(first + i0, col, aa0, stateA, left);
  store(first + i0 + 4u, col, ab0, stateB, leftB);
  if (SLICE > 1u) { store(first + i0, col + 1u, aa1, stateA, left); store(first + i0 + 4u, col + 1u, ab1, stateB, leftB); }
  if (SLICE > 2u) { store(first + i0, col + 2u, aa2, stateA, left); store(first + i0 + 4u, col + 2u, ab2, stateB, leftB); }
  if (SLICE > 3u) { store(first + i0, col + 3u, aa3, stateA, left); store(first + i0 + 4u, col + 3u, ab3, stateB, leftB); }
  if (SLICE > 4u) { store(first + i0, col + 4u, aa4, stateA, left); store(first + i0 + 4u, col + 4u, ab4, stateB, leftB); }
  if (SLICE > 5u) { store(first + i0, col + 5u, aa5, stateA, left); store(first + i0 + 4u, col + 5u, ab5, stateB, leftB); }
  if (SLICE > 6u) { store(first + i0, col + 6u, aa6, stateA, left); store(first + i0 + 4u, col + 6u, ab6, stateB, leftB); }
  if (SLICE > 7u) { store(first + i0, col + 7u, aa7, stateA, left); store(first + i0 + 4u, col + 7u, ab7, stateB, leftB); }
}
