// Gradient of fused multi-head self-attention with a key-padding mask (shaders/transformer/attention.wgsl)
// with respect to its packed input qkv. The algorithm, shared by attentionBackward.wgsl (vec4 loads,
// headDim % 4 == 0) and attentionBackwardUnaligned.wgsl (any headDim); they include this file and declare
// bindings 0 (qkv), 2 (dOut), 5 (dQkv) and these helpers (col is the float column where the head's block
// starts in the row; c4 counts vec4s within the head):
//   fn loadQkv(row: u32, col: u32, c4: u32) -> vec4<f32>    qkv[row, col + 4c4 .. +3], zeros past headDim
//   fn loadDOut(row: u32, col: u32, c4: u32) -> vec4<f32>   dOut[row, col + 4c4 .. +3], zeros past headDim
//   fn storeDQkv(row: u32, col: u32, c4: u32, v: vec4<f32>) dQkv[row, col + 4c4 .. +3] = v, within headDim
//
// For one (b, h), with L = min(len[b], S) and only rows and keys i, j < L taking part:
//   s_ij = scale·q_i·k_j,  P_ij = softmax_j(s_ij),  out_i = Σ_j P_ij·v_j          (the forward pass)
//   dP_ij = dOut_i·v_j,  D_i = Σ_j P_ij·dP_ij,  dS_ij = scale·P_ij·(dP_ij − D_i)   (softmax backward)
//   dQ_i = Σ_j dS_ij·k_j,  dK_j = Σ_i dS_ij·q_i,  dV_j = Σ_i P_ij·dOut_i
// Rows i ≥ L (padding) are written as exact zeros in dQ, dK and dV. Their dOut is ignored: a padded
// query's output is not part of the model's result (the loss heads read real rows only), so the kernel
// returns the gradient of the loss over real rows, and padding can neither receive nor send gradient.
// len[b] = 0 gives zeros; len > S counts as S.
//
// Three passes, because dK_j and dV_j sum over queries and WGSL has no float atomics: every sum has one
// owner invocation, and s, P and dS go through scratch buffers between the passes (S² floats per (b, h)
// each, small next to qkv for S ≤ 128: 64 KiB per head).
//   scores     an invocation per 4 query rows × 4 keys of one (b, h): the 4×4 blocks of s and dP as
//              mat4x4 products over the head's dimensions (the matmul kernels' register blocking), into
//              probs and dScores; masked keys get s = MASKED.
//   softmax    an invocation per query row: max-subtracted softmax over the stored s (max; then Σe^{s−m}
//              and Σe^{s−m}·dP, so D_i = Σ_j P_ij·dP_ij; then P and dS written over s and dP).
//   gradients  an invocation per 4 rows × 4 dimensions of one (b, h): dQ = dS·K for those rows as
//              queries, dK = dSᵀ·Q and dV = Pᵀ·dOut for them as keys.
// Every pass has at least batch·H·S/4 invocations of short loops (no long serial chain per invocation,
// which a real GPU could not hide), no workgroup memory and no barriers (expensive on SwiftShader).
// Rows past the edge of a 4-row block are clamped to the last real row for loading and never stored;
// where they would enter a sum (the gradients pass's dK, dV) their P and dS are replaced by zeros.
//
// Bindings: 0 qkv      [batch·S, 3·H·D]          column blocks [Q | K | V], head h at h·D
//           1 lengths  u32 [batch]
//           2 dOut     [batch·S, H·D]            gradient of the attention output
//           3 probs    array<vec4<f32>> [batch, H, S, ceil(S/4)]   scratch: s, then P (keys padded to 4)
//           4 dScores  array<vec4<f32>> [batch, H, S, ceil(S/4)]   scratch: dP, then dS
//           5 dQkv     [batch·S, 3·H·D]          written; must not alias the others
//           6 params   uniform { batch, seqLen, heads, headDim, scale: f32, keyQuads = ceil(S/4),
//                                headQuads = ceil(D/4) }
// Dispatch (entry points run in this order, in one compute pass; 64 invocations per workgroup, the
// invocation index folded into y past 65535 workgroups as GpuRuntime.rowGrid does):
//   scores     batch·H·ceil(S/4)² invocations
//   softmax    batch·H·S invocations
//   gradients  batch·H·ceil(S/4)·ceil(D/4) invocations

struct Params { batch: u32, seqLen: u32, heads: u32, headDim: u32, scale: f32, keyQuads: u32, headQuads: u32, pad: u32 }

@group(0) @binding(1) var<storage, read> lengths: array<u32>;
@group(0) @binding(3) var<storage, read_write> probs: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> dScores: array<vec4<f32>>;
@group(0) @binding(6) var<uniform> params: Params;

// Scores of masked keys: e^{MASKED − m} is exactly 0, since key 0 is always real and sets m.
const MASKED: f32 = -1e30;

// Every entry point declares all bindings used ('auto' layouts drop unused ones), so the three dispatches
// take the same binding list.
fn useAllBindings() {
  _ = &qkv;
  _ = &dOut;
  _ = &dQkv;
  _ = &probs;
  _ = &dScores;
}

fn invocationOf(lid: u32, wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return (wid.y * nwg.x + wid.x) * 64u + lid;
}

// Four rows of one sequence (absolute row indices into qkv / dOut / dQkv).
struct Rows { r0: u32, r1: u32, r2: u32, r3: u32 }

// Rows start + 0..3 of sequence b, clamped to its last real row `last` (loaded, never stored).
fn clampedRows(first: u32, start: u32, last: u32) -> Rows {
  return Rows(first + min(start, last), first + min(start + 1u, last), first + min(start + 2u, last), first + min(start + 3u, last));
}

// Column t is row t's vec4 c4 of the head block starting at col.
fn qkvSlab(rows: Rows, col: u32, c4: u32) -> mat4x4<f32> {
  return mat4x4<f32>(loadQkv(rows.r0, col, c4), loadQkv(rows.r1, col, c4), loadQkv(rows.r2, col, c4), loadQkv(rows.r3, col, c4));
}

fn dOutSlab(rows: Rows, col: u32, c4: u32) -> mat4x4<f32> {
  return mat4x4<f32>(loadDOut(rows.r0, col, c4), loadDOut(rows.r1, col, c4), loadDOut(rows.r2, col, c4), loadDOut(rows.r3, col, c4));
}

// Offsets (in vec4) of the scratch rows of query rows start + 0..3 of head bh at key quad jq, clamped.
fn scratchRows(bh: u32, start: u32, last: u32, jq: u32) -> Rows {
  let base = bh * params.seqLen;
  let q = params.keyQuads;
  return Rows((base + min(start, last)) * q + jq, (base + min(start + 1u, last)) * q + jq,
              (base + min(start + 2u, last)) * q + jq, (base + min(start + 3u, last)) * q + jq);
}

// Stores column t of s and dp (row t over 4 keys) for the real rows of a 4-row block (t < realRows).
fn storeScratch(at: Rows, s: mat4x4<f32>, dp: mat4x4<f32>, realRows: u32) {
  probs[at.r0] = s[0]; dScores[at.r0] = dp[0];
  if (realRows > 1u) { probs[at.r1] = s[1]; dScores[at.r1] = dp[1]; }
  if (realRows > 2u) { probs[at.r2] = s[2]; dScores[at.r2] = dp[2]; }
  if (realRows > 3u) { probs[at.r3] = s[3]; dScores[at.r3] = dp[3]; }
}

// Writes column t of v to row start + t of the head block col, for the rows below S: the real ones
// (t < realRows) get v, the padded ones exact zeros.
fn storeRows(first: u32, start: u32, col: u32, c4: u32, v: mat4x4<f32>, realRows: u32) {
  for (var t = 0u; t < 4u; t++) {
    if (start + t >= params.seqLen) { return; }
    storeDQkv(first + start + t, col, c4, select(vec4<f32>(0.0), v[t], t < realRows));
  }
}

@compute @workgroup_size(64)
fn scores(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  useAllBindings();
  let H = params.heads;
  let D = params.headDim;
  let blocks = params.keyQuads;
  let id = invocationOf(lid, wid, nwg);
  if (id >= params.batch * H * blocks * blocks) { return; }
  // Keys vary fastest: neighbouring invocations load the same query rows.
  let jq = id % blocks;
  let rest = id / blocks;
  let i0 = (rest % blocks) * 4u;
  let bh = rest / blocks;
  let h = bh % H;
  let b = bh / H;
  let len = min(lengths[b], params.seqLen);
  let j0 = jq * 4u;
  // Blocks with no real query or no real key are never read.
  if (i0 >= len || j0 >= len) { return; }
  let first = b * params.seqLen;
  let last = len - 1u;
  let rows = clampedRows(first, i0, last);
  let keys = clampedRows(first, j0, last);
  let qCol = h * D;
  // Column u is key j0 + u, component t is row i0 + t.
  var s = mat4x4<f32>();
  var dp = mat4x4<f32>();
  for (var c4 = 0u; c4 < params.headQuads; c4++) {
    s += transpose(qkvSlab(rows, qCol, c4)) * qkvSlab(keys, (H + h) * D, c4);
    dp += transpose(dOutSlab(rows, qCol, c4)) * qkvSlab(keys, (2u * H + h) * D, c4);
  }
  let s0 = s[0] * params.scale;
  let s1 = select(s[1] * params.scale, vec4<f32>(MASKED), j0 + 1u >= len);
  let s2 = select(s[2] * params.scale, vec4<f32>(MASKED), j0 + 2u >= len);
  let s3 = select(s[3] * params.scale, vec4<f32>(MASKED), j0 + 3u >= len);
  storeScratch(scratchRows(bh, i0, last, jq), transpose(mat4x4<f32>(s0, s1, s2, s3)), transpose(dp), min(len - i0, 4u));
}

@compute @workgroup_size(64)
fn softmax(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  useAllBindings();
  let S = params.seqLen;
  let id = invocationOf(lid, wid, nwg);
  if (id >= params.batch * params.heads * S) { return; }
  let i = id % S;
  let bh = id / S;
  let len = min(lengths[bh / params.heads], S);
  if (i >= len) { return; }
  let base = (bh * S + i) * params.keyQuads;
  let quads = (len + 3u) / 4u;
  // Masked keys hold MASKED: e^{MASKED − m} = 0 exactly, key 0 is real so m is a real score.
  var m4 = vec4<f32>(MASKED);
  for (var q = 0u; q < quads; q++) { m4 = max(m4, probs[base + q]); }
  let m = max(max(m4.x, m4.y), max(m4.z, m4.w));
  var l4 = vec4<f32>(0.0);
  var pdp4 = vec4<f32>(0.0);
  for (var q = 0u; q < quads; q++) {
    let e = exp(probs[base + q] - m);
    l4 += e;
    pdp4 += e * dScores[base + q];
  }
  let invL = 1.0 / ((l4.x + l4.y) + (l4.z + l4.w));
  let dRow = ((pdp4.x + pdp4.y) + (pdp4.z + pdp4.w)) * invL; // D_i = Σ_j P_ij·dP_ij
  for (var q = 0u; q < quads; q++) {
    let p = exp(probs[base + q] - m) * invL;
    dScores[base + q] = p * (dScores[base + q] - dRow) * params.scale;
    probs[base + q] = p;
  }
}

@compute @workgroup_size(64)
fn gradients(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let H = params.heads;
  let D = params.headDim;
  let blocks = params.keyQuads;
  let id = invocationOf(lid, wid, nwg);
  if (id >= params.batch * H * blocks * params.headQuads) { return; }
  // c4 varies fastest: neighbouring invocations read the same P and dS and adjacent columns of qkv, dOut.
  let c4 = id % params.headQuads;
  let rest = id / params.headQuads;
  let jq = rest % blocks;
  let j0 = jq * 4u;
  let bh = rest / blocks;
  let h = bh % H;
  let b = bh / H;
  let len = min(lengths[b], params.seqLen);
  let first = b * params.seqLen;
  let qCol = h * D;
  let kCol = (H + h) * D;
  let vCol = (2u * H + h) * D;
  let realRows = select(0u, min(len - j0, 4u), j0 < len);
  var accQ = mat4x4<f32>();
  var accK = mat4x4<f32>();
  var accV = mat4x4<f32>();
  if (realRows > 0u) {
    let last = len - 1u;
    let quads = (len + 3u) / 4u;
    // dQ of rows j0..j0+3 as queries: column t of ds is row t over 4 keys (masked keys have dS = 0).
    for (var q = 0u; q < quads; q++) {
      let at = scratchRows(bh, j0, last, q);
      let ds = mat4x4<f32>(dScores[at.r0], dScores[at.r1], dScores[at.r2], dScores[at.r3]);
      accQ += qkvSlab(clampedRows(first, q * 4u, last), kCol, c4) * ds;
    }
    // dK and dV of rows j0..j0+3 as keys: column t of the blocks is query row i0 + t over the 4 keys;
    // rows past L add nothing.
    for (var i0 = 0u; i0 < len; i0 += 4u) {
      let at = scratchRows(bh, i0, last, jq);
      let zero = vec4<f32>(0.0);
      let ds = mat4x4<f32>(dScores[at.r0], select(zero, dScores[at.r1], i0 + 1u < len),
                           select(zero, dScores[at.r2], i0 + 2u < len), select(zero, dScores[at.r3], i0 + 3u < len));
      let p = mat4x4<f32>(probs[at.r0], select(zero, probs[at.r1], i0 + 1u < len),
                          select(zero, probs[at.r2], i0 + 2u < len), select(zero, probs[at.r3], i0 + 3u < len));
      let rows = clampedRows(first, i0, last);
      // Column u of the products: Σ_t q_t·dS(t, u) and Σ_t dOut_t·P(t, u).
      accK += qkvSlab(rows, qCol, c4) * transpose(ds);
      accV += dOutSlab(rows, qCol, c4) * transpose(p);
    }
  }
  storeRows(first, j0, qCol, c4, accQ, realRows);
  storeRows(first, j0, kCol, c4, accK, realRows);
  storeRows(first, j0, vCol, c4, accV, realRows);
}
