// Squared L2 distances between query vectors and every embedding row — the hot loop of nearest-neighbour
// decoding (rapt-method.md §2, step 2: argmin_k ‖E_k − (e_w + z)‖).
//   out[q, k] = Σ_i (E[k, i] − Q[q, i])²
// Computed from differences, not as ‖E‖² − 2E·Q + ‖Q‖²: the expansion cancels catastrophically when the
// query sits on a row (η → ∞ must return the input token exactly), and on SwiftShader it measured no faster.
//
// Register blocking, no workgroup memory and no barriers (barriers are expensive on SwiftShader, see
// environment.md): each thread owns an 8 × 8 block (8 queries × 8 table rows), so every vec4 it loads is used
// 8 times. The block is unrolled by hand into 64 scalar accumulators: arrays indexed in loops are spilled to
// memory by SwiftShader, scalars stay in registers. Measured on SwiftShader (d = 256, V = 8002, 256 queries):
// 8×8 blocks ≈ 1.4–1.7× faster than 4×4 blocks; 16×4 and 8×2 were slower (npm run bench has the numbers).
//
// Bindings: queries array<vec4<f32>> [nq, dimVec4]
//           table   array<vec4<f32>> [V, dimVec4]
//           out     array<f32>       [nq, V]
//           params  uniform { nq, V, dimVec4 }
// Dispatch: (ceil(V / 64), ceil(nq / 64)) workgroups of 8 × 8 threads.

struct Params { nq: u32, vocab: u32, dimVec4: u32, pad: u32 }

@group(0) @binding(0) var<storage, read> queries: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> table: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let k0 = gid.x * 8u;
  let q0 = gid.y * 8u;
  if (k0 >= params.vocab || q0 >= params.nq) { return; }
  let dv = params.dimVec4;
  // Offsets of the 8 table rows (t) and 8 queries (u); reads past the ragged edge are clamped to the last
  // row and those results are never written.
  let lastK = params.vocab - 1u;
  let lastQ = params.nq - 1u;
  let t0 = min(k0 + 0u, lastK) * dv;
  let t1 = min(k0 + 1u, lastK) * dv;
  let t2 = min(k0 + 2u, lastK) * dv;
  let t3 = min(k0 + 3u, lastK) * dv;
  let t4 = min(k0 + 4u, lastK) * dv;
  let t5 = min(k0 + 5u, lastK) * dv;
  let t6 = min(k0 + 6u, lastK) * dv;
  let t7 = min(k0 + 7u, lastK) * dv;
  let u0 = min(q0 + 0u, lastQ) * dv;
  let u1 = min(q0 + 1u, lastQ) * dv;
  let u2 = min(q0 + 2u, lastQ) * dv;
  let u3 = min(q0 + 3u, lastQ) * dv;
  let u4 = min(q0 + 4u, lastQ) * dv;
  let u5 = min(q0 + 5u, lastQ) * dv;
  let u6 = min(q0 + 6u, lastQ) * dv;
  let u7 = min(q0 + 7u, lastQ) * dv;
  // s<a><b>: query q0 + a against row k0 + b.
  var s00 = 0.0; var s01 = 0.0; var s02 = 0.0; var s03 = 0.0; var s04 = 0.0; var s05 = 0.0; var s06 = 0.0; var s07 = 0.0;
  var s10 = 0.0; var s11 = 0.0; var s12 = 0.0; var s13 = 0.0; var s14 = 0.0; var s15 = 0.0; var s16 = 0.0; var s17 = 0.0;
  var s20 = 0.0; var s21 = 0.0; var s22 = 0.0; var s23 = 0.0; var s24 = 0.0; var s25 = 0.0; var s26 = 0.0; var s27 = 0.0;
  var s30 = 0.0; var s31 = 0.0; var s32 = 0.0; var s33 = 0.0; var s34 = 0.0; var s35 = 0.0; var s36 = 0.0; var s37 = 0.0;
  var s40 = 0.0; var s41 = 0.0; var s42 = 0.0; var s43 = 0.0; var s44 = 0.0; var s45 = 0.0; var s46 = 0.0; var s47 = 0.0;
  var s50 = 0.0; var s51 = 0.0; var s52 = 0.0; var s53 = 0.0; var s54 = 0.0; var s55 = 0.0; var s56 = 0.0; var s57 = 0.0;
  var s60 = 0.0; var s61 = 0.0; var s62 = 0.0; var s63 = 0.0; var s64 = 0.0; var s65 = 0.0; var s66 = 0.0; var s67 = 0.0;
  var s70 = 0.0; var s71 = 0.0; var s72 = 0.0; var s73 = 0.0; var s74 = 0.0; var s75 = 0.0; var s76 = 0.0; var s77 = 0.0;
  for (var i = 0u; i < dv; i++) {
    let e0 = table[t0 + i]; let e1 = table[t1 + i]; let e2 = table[t2 + i]; let e3 = table[t3 + i];
    let e4 = table[t4 + i]; let e5 = table[t5 + i]; let e6 = table[t6 + i]; let e7 = table[t7 + i];
    let x0 = queries[u0 + i]; let x1 = queries[u1 + i]; let x2 = queries[u2 + i]; let x3 = queries[u3 + i];
    let x4 = queries[u4 + i]; let x5 = queries[u5 + i]; let x6 = queries[u6 + i]; let x7 = queries[u7 + i];
    var d: vec4<f32>;
    d = e0 - x0; s00 += dot(d, d); d = e1 - x0; s01 += dot(d, d); d = e2 - x0; s02 += dot(d, d); d = e3 - x0; s03 += dot(d, d);
    d = e4 - x0; s04 += dot(d, d); d = e5 - x0; s05 += dot(d, d); d = e6 - x0; s06 += dot(d, d); d = e7 - x0; s07 += dot(d, d);
    d = e0 - x1; s10 += dot(d, d); d = e1 - x1; s11 += dot(d, d); d = e2 - x1; s12 += dot(d, d); d = e3 - x1; s13 += dot(d, d);
    d = e4 - x1; s14 += dot(d, d); d = e5 - x1; s15 += dot(d, d); d = e6 - x1; s16 += dot(d, d); d = e7 - x1; s17 += dot(d, d);
    d = e0 - x2; s20 += dot(d, d); d = e1 - x2; s21 += dot(d, d); d = e2 - x2; s22 += dot(d, d); d = e3 - x2; s23 += dot(d, d);
    d = e4 - x2; s24 += dot(d, d); d = e5 - x2; s25 += dot(d, d); d = e6 - x2; s26 += dot(d, d); d = e7 - x2; s27 += dot(d, d);
    d = e0 - x3; s30 += dot(d, d); d = e1 - x3; s31 += dot(d, d); d = e2 - x3; s32 += dot(d, d); d = e3 - x3; s33 += dot(d, d);
    d = e4 - x3; s34 += dot(d, d); d = e5 - x3; s35 += dot(d, d); d = e6 - x3; s36 += dot(d, d); d = e7 - x3; s37 += dot(d, d);
    d = e0 - x4; s40 += dot(d, d); d = e1 - x4; s41 += dot(d, d); d = e2 - x4; s42 += dot(d, d); d = e3 - x4; s43 += dot(d, d);
    d = e4 - x4; s44 += dot(d, d); d = e5 - x4; s45 += dot(d, d); d = e6 - x4; s46 += dot(d, d); d = e7 - x4; s47 += dot(d, d);
    d = e0 - x5; s50 += dot(d, d); d = e1 - x5; s51 += dot(d, d); d = e2 - x5; s52 += dot(d, d); d = e3 - x5; s53 += dot(d, d);
    d = e4 - x5; s54 += dot(d, d); d = e5 - x5; s55 += dot(d, d); d = e6 - x5; s56 += dot(d, d); d = e7 - x5; s57 += dot(d, d);
    d = e0 - x6; s60 += dot(d, d); d = e1 - x6; s61 += dot(d, d); d = e2 - x6; s62 += dot(d, d); d = e3 - x6; s63 += dot(d, d);
    d = e4 - x6; s64 += dot(d, d); d = e5 - x6; s65 += dot(d, d); d = e6 - x6; s66 += dot(d, d); d = e7 - x6; s67 += dot(d, d);
    d = e0 - x7; s70 += dot(d, d); d = e1 - x7; s71 += dot(d, d); d = e2 - x7; s72 += dot(d, d); d = e3 - x7; s73 += dot(d, d);
    d = e4 - x7; s74 += dot(d, d); d = e5 - x7; s75 += dot(d, d); d = e6 - x7; s76 += dot(d, d); d = e7 - x7; s77 += dot(d, d);
  }
  let nk = min(8u, params.vocab - k0);
  let nq = min(8u, params.nq - q0);
  if (0u < nq) { store_row((q0 + 0u) * params.vocab + k0, nk, array<f32, 8>(s00, s01, s02, s03, s04, s05, s06, s07)); }
  if (1u < nq) { store_row((q0 + 1u) * params.vocab + k0, nk, array<f32, 8>(s10, s11, s12, s13, s14, s15, s16, s17)); }
  if (2u < nq) { store_row((q0 + 2u) * params.vocab + k0, nk, array<f32, 8>(s20, s21, s22, s23, s24, s25, s26, s27)); }
  if (3u < nq) { store_row((q0 + 3u) * params.vocab + k0, nk, array<f32, 8>(s30, s31, s32, s33, s34, s35, s36, s37)); }
  if (4u < nq) { store_row((q0 + 4u) * params.vocab + k0, nk, array<f32, 8>(s40, s41, s42, s43, s44, s45, s46, s47)); }
  if (5u < nq) { store_row((q0 + 5u) * params.vocab + k0, nk, array<f32, 8>(s50, s51, s52, s53, s54, s55, s56, s57)); }
  if (6u < nq) { store_row((q0 + 6u) * params.vocab + k0, nk, array<f32, 8>(s60, s61, s62, s63, s64, s65, s66, s67)); }
  if (7u < nq) { store_row((q0 + 7u) * params.vocab + k0, nk, array<f32, 8>(s70, s71, s72, s73, s74, s75, s76, s77)); }
}

fn store_row(base: u32, n: u32, v: array<f32, 8>) {
  for (var b = 0u; b < n; b++) { out[base + b] = v[b]; }
}
