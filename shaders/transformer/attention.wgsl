// Fused multi-head self-attention with a key-padding mask (Vaswani et al. 2017, eq. 1), one pass over the
// keys with an online softmax (Milakov & Gimelshein 2018; the FlashAttention recurrence):
//   out[b·S + i, h·D + c] = Σ_{j < len[b]} softmax_j(scale·q_i·k_j) · v_j[c]
//   q_i = qkv[b·S + i, h·D ..], k_j = qkv[b·S + j, H·D + h·D ..], v_j = qkv[b·S + j, 2·H·D + h·D ..]
// Padded query rows (i ≥ len[b]) are computed the same way; len[b] = 0 gives zeros; len > S counts as S.
// Reference: src/transformer/kernels/attentionReference.ts. attentionPortable.wgsl is the fallback for
// devices without 'subgroups' and head sizes that are not multiples of 16.
//
// Work split. A quad (4 consecutive invocations) owns 4 query rows of one (b, h); each lane owns a quarter
// of the head's dimensions (SLICE vec4 = D/16). Per chunk of 4 keys a lane loads only its quarter of the 4
// key and value rows, forms partial scores for 4 rows × 4 keys as mat4x4 products, and two quad swaps
// complete them. Each lane exponentiates one key's column of probabilities and quadBroadcast shares them,
// so a lane pays 8 exp per chunk instead of 20. The running max m, sum l and output accumulators are
// rescaled once per chunk: with m_new = max(m, chunk max), acc ← acc·e^{m−m_new} + Σ_t p_t·v_t and
// l ← l·e^{m−m_new} + Σ_t p_t, where p_t = e^{s_t − m_new}. Masked keys get a score of −1e30, so their p is
// exactly 0 (and an all-masked start, m = −1e30, is wiped by the first real key's e^{m−m_new} = 0).
// As in matmul.wgsl, everything is in registers: no workgroup memory and no barriers.
//
// Bindings: 0 qkv     array<vec4<f32>> [batch·S, 3·H·D/4]   column blocks [Q | K | V], head h at h·D
//           1 lengths u32 [batch]
//           2 out     array<vec4<f32>> [batch·S, H·D/4]
//           3 params  uniform { batch, seqLen, heads, headDim, scale: f32 }
// Overrides: SLICE = headDim / 16, 1 ≤ SLICE ≤ 8 (headDim 16, 32, …, 128).
// Dispatch: (ceil(S / 64), heads, batch) workgroups of 64 (16 quads × 4 query rows).

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

// Offsets (in vec4) of the 4 rows whose slice column c a lane reads.
struct Rows { r0: u32, r1: u32, r2: u32, r3: u32 }

// Scaled query slices of 4 rows, transposed so that q · k gives the 4 rows' partial scores.
fn queries(rows: Rows, c: u32) -> mat4x4<f32> {
  return transpose(mat4x4<f32>(qkv[rows.r0 + c], qkv[rows.r1 + c], qkv[rows.r2 + c], qkv[rows.r3 + c])) * params.scale;
}

// Partial scores of 4 query rows (the vec4) against 4 keys (the columns), from slice column c.
fn partialScores(q: mat4x4<f32>, keys: Rows, c: u32) -> mat4x4<f32> {
  return mat4x4<f32>(q * qkv[keys.r0 + c], q * qkv[keys.r1 + c], q * qkv[keys.r2 + c], q * qkv[keys.r3 + c]);
}

// acc·diag(corr) + V·Pᵀ: column r of acc is query row r's slice column; column t of P is key t's
// probabilities for the 4 rows; V holds the 4 keys' value slices.
fn accumulate(acc: mat4x4<f32>, corr: vec4<f32>, p: mat4x4<f32>, values: Rows, c: u32) -> mat4x4<f32> {
  let v = mat4x4<f32>(qkv[values.r0 + c], qkv[values.r1 + c], qkv[values.r2 + c], qkv[values.r3 + c]);
  return mat4x4<f32>(acc[0] * corr.x, acc[1] * corr.y, acc[2] * corr.z, acc[3] * corr.w) + v * transpose(p);
}

fn store(row: u32, col: u32, acc: mat4x4<f32>, inv: vec4<f32>, rowsLeft: u32) {
  let stride = params.heads * params.headDim / 4u;
  out[row * stride + col] = acc[0] * inv.x;
  if (rowsLeft > 1u) { out[(row + 1u) * stride + col] = acc[1] * inv.y; }
  if (rowsLeft > 2u) { out[(row + 2u) * stride + col] = acc[2] * inv.z; }
  if (rowsLeft > 3u) { out[(row + 3u) * stride + col] = acc[3] * inv.w; }
}

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let lane = lid & 3u;
  let i0 = (wid.x * 16u + (lid >> 2u)) * 4u;
  let h = wid.y;
  let b = wid.z;
  let S = params.seqLen;
  if (i0 >= S) { return; }
  let len = min(lengths[b], S);
  let headVec4 = params.headDim / 4u;
  let rowVec4 = 3u * params.heads * headVec4;
  let slice = h * headVec4 + lane * SLICE;
  let qOff = slice;
  let kOff = params.heads * headVec4 + slice;
  let vOff = 2u * params.heads * headVec4 + slice;
  let first = b * S;
  let lastRow = S - 1u;
  let qRows = Rows((first + i0) * rowVec4 + qOff, (first + min(i0 + 1u, lastRow)) * rowVec4 + qOff,
                   (first + min(i0 + 2u, lastRow)) * rowVec4 + qOff, (first + min(i0 + 3u, lastRow)) * rowVec4 + qOff);
  var q0 = queries(qRows, 0u); var q1 = mat4x4<f32>(); var q2 = mat4x4<f32>(); var q3 = mat4x4<f32>();
  var q4 = mat4x4<f32>(); var q5 = mat4x4<f32>(); var q6 = mat4x4<f32>(); var q7 = mat4x4<f32>();
  if (SLICE > 1u) { q1 = queries(qRows, 1u); }
  if (SLICE > 2u) { q2 = queries(qRows, 2u); }
  if (SLICE > 3u) { q3 = queries(qRows, 3u); }
  if (SLICE > 4u) { q4 = queries(qRows, 4u); }
  if (SLICE > 5u) { q5 = queries(qRows, 5u); }
  if (SLICE > 6u) { q6 = queries(qRows, 6u); }
  if (SLICE > 7u) { q7 = queries(qRows, 7u); }

  var m = vec4<f32>(MASKED);
  var l = vec4<f32>(0.0);
  var a0 = mat4x4<f32>(); var a1 = mat4x4<f32>(); var a2 = mat4x4<f32>(); var a3 = mat4x4<f32>();
  var a4 = mat4x4<f32>(); var a5 = mat4x4<f32>(); var a6 = mat4x4<f32>(); var a7 = mat4x4<f32>();
  for (var j0 = 0u; j0 < len; j0 += 4u) {
    // Keys past len are clamped to the last real one (finite values); their probability is 0.
    let lastKey = len - 1u;
    let r0 = (first + j0) * rowVec4;
    let r1 = (first + min(j0 + 1u, lastKey)) * rowVec4;
    let r2 = (first + min(j0 + 2u, lastKey)) * rowVec4;
    let r3 = (first + min(j0 + 3u, lastKey)) * rowVec4;
    let keys = Rows(r0 + kOff, r1 + kOff, r2 + kOff, r3 + kOff);
    var s = partialScores(q0, keys, 0u);
    if (SLICE > 1u) { s += partialScores(q1, keys, 1u); }
    if (SLICE > 2u) { s += partialScores(q2, keys, 2u); }
    if (SLICE > 3u) { s += partialScores(q3, keys, 3u); }
    if (SLICE > 4u) { s += partialScores(q4, keys, 4u); }
    if (SLICE > 5u) { s += partialScores(q5, keys, 5u); }
    if (SLICE > 6u) { s += partialScores(q6, keys, 6u); }
    if (SLICE > 7u) { s += partialScores(q7, keys, 7u); }
    // Sum the four lanes' partial dot products: every lane now holds the full scores.
    var s0 = s[0]; var s1 = s[1]; var s2 = s[2]; var s3 = s[3];
    s0 += quadSwapX(s0); s1 += quadSwapX(s1); s2 += quadSwapX(s2); s3 += quadSwapX(s3);
    s0 += quadSwapY(s0); s1 += quadSwapY(s1); s2 += quadSwapY(s2); s3 += quadSwapY(s3);
    s1 = select(s1, vec4<f32>(MASKED), j0 + 1u >= len);
    s2 = select(s2, vec4<f32>(MASKED), j0 + 2u >= len);
    s3 = select(s3, vec4<f32>(MASKED), j0 + 3u >= len);
    let mNew = max(m, max(max(s0, s1), max(s2, s3)));
    let corr = exp(m - mNew);
    // Lane t exponentiates key t's column; the quad shares them.
    let mine = select(select(s0, s1, lane == 1u), select(s2, s3, lane == 3u), lane >= 2u);
    let pMine = exp(mine - mNew);
    let p = mat4x4<f32>(quadBroadcast(pMine, 0u), quadBroadcast(pMine, 1u), quadBroadcast(pMine, 2u), quadBroadcast(pMine, 3u));
    l = l * corr + p[0] + p[1] + p[2] + p[3];
    m = mNew;
    let values = Rows(r0 + vOff, r1 + vOff, r2 + vOff, r3 + vOff);
    a0 = accumulate(a0, corr, p, values, 0u);
    if (SLICE > 1u) { a1 = accumulate(a1, corr, p, values, 1u); }
    if (SLICE > 2u) { a2 = accumulate(a2, corr, p, values, 2u); }
    if (SLICE > 3u) { a3 = accumulate(a3, corr, p, values, 3u); }
    if (SLICE > 4u) { a4 = accumulate(a4, corr, p, values, 4u); }
    if (SLICE > 5u) { a5 = accumulate(a5, corr, p, values, 5u); }
    if (SLICE > 6u) { a6 = accumulate(a6, corr, p, values, 6u); }
    if (SLICE > 7u) { a7 = accumulate(a7, corr, p, values, 7u); }
  }

  // len = 0: l = 0 and the output is 0, not 0/0.
  let inv = select(1.0 / l, vec4<f32>(0.0), l == vec4<f32>(0.0));
  let row = first + i0;
  let col = h * headVec4 + lane * SLICE;
  let rowsLeft = S - i0;
  store(row, col, a0, inv, rowsLeft);
  if (SLICE > 1u) { store(row, col + 1u, a1, inv, rowsLeft); }
  if (SLICE > 2u) { store(row, col + 2u, a2, inv, rowsLeft); }
  if (SLICE > 3u) { store(row, col + 3u, a3, inv, rowsLeft); }
  if (SLICE > 4u) { store(row, col + 4u, a4, inv, rowsLeft); }
  if (SLICE > 5u) { store(row, col + 5u, a5, inv, rowsLeft); }
  if (SLICE > 6u) { store(row, col + 6u, a6, inv, rowsLeft); }
  if (SLICE > 7u) { store(row, col + 7u, a7, inv, rowsLeft); }
}
