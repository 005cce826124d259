// The matmul algorithm shared by matmul.wgsl (quad-shared loads, needs 'subgroups'), matmulNoSubgroups.wgsl
// and matmulUnaligned.wgsl; they include this file after declaring A, B and these helpers:
//   const QUAD_SHARED: bool                       whether the 4 lanes of a quad share their loads
//   fn swapX(v: vec4<f32>) -> vec4<f32>           value of the quad neighbour in the other column half
//   fn swapY(v: vec4<f32>) -> vec4<f32>           value of the quad neighbour in the other row half
//   fn loadA(row: u32, kq: u32) -> vec4<f32>      A[row, 4kq .. 4kq+3]; zeros past k; row < m
//   fn loadAt(krow: u32, row: u32) -> vec4<f32>   A[krow, row .. row+3] for A given as [k, m]; zeros past k,
//                                                 any finite value for rows ≥ m (never stored)
//   fn loadBt(col: u32, kq: u32) -> vec4<f32>     B[col, 4kq .. 4kq+3] for B given as [n, k]; zeros past k
//   fn loadB(krow: u32, col: u32) -> vec4<f32>    B[krow, col .. col+3] for B given as [k, n]; zeros past k,
//                                                 any finite value for columns ≥ n (never stored)
//
//   out[r, c] = act(Σ_k A[r, k]·B[k, c] + bias[c]) + residual[r, c]
//   with TRANSPOSE_A, A is given as [k, m]: out = Aᵀ·B, the weight gradient dW = Xᵀ·dY of the backward pass
//   (k = rows of the batch, often not a multiple of 4). TRANSPOSE_A with TRANSPOSE_B is not supported.
//
// Blocking. Each invocation computes a 16 × 16 block of out, held as 4 × 4 mat4x4 accumulators: c<I><J>
// holds rows 4I..4I+3 and columns 4J..4J+3 of the block, *transposed* (column i of the matrix is output
// row 4I+i), so one k-step of 4 is c<I><J> += Bᵀ_J · Aᵀ_I: 64 multiply-adds from a 4-row slab of A and a
// 4-column slab of B, with the loaded vec4s used directly as matrix columns. SwiftShader runs 4 invocations
// in the lanes of one SIMD register, so every vec4 is four registers and this costs no shuffles; what it
// does cost is loads: each storage load is a per-lane gather (loads took 60% of an 8×16 kernel's time), so
// the kernel is built to load as little as possible per multiply-add, not to save registers.
//
// Quad sharing. The 4 consecutive invocations of a quad own a 2 × 2 grid of blocks (32 × 32 outputs). The
// two lanes of a grid row need the same 16 rows of A: each loads 8 of them and gets the other 8 from its
// neighbour with quadSwapX; likewise the two lanes of a grid column split B with quadSwapY. That halves the
// loads per lane (16 vec4 per 1024 multiply-adds). Without subgroups every lane loads its own 16 + 16.
//
// No workgroup memory and no barriers (barriers are expensive on SwiftShader, environment.md).
// Measured alternatives are in the header of matmul.wgsl.
//
// Bindings: 0 A        [m, k]                 (declared by the includer)
//                               [k, m] when TRANSPOSE_A
//           1 B        [k, n], or [n, k] when TRANSPOSE_B  (declared by the includer)
//           2 bias     f32 [n]        read when HAS_BIAS (else any 16-byte buffer)
//           3 residual f32 [m, n]     read when HAS_RESIDUAL (else any 16-byte buffer); must not alias out
//           4 out      f32 [m, n]
//           5 params   uniform { m, n, k, kQuads = ceil(k / 4) }
// Dispatch: (ceil(n / 128), ceil(m / 128)) workgroups of 64 invocations (16 quads in a 4 × 4 grid).
//
// TRANSPOSE_A. A's k-rows are then m wide, so a k-step loads A like B: a vec4 of 4 output rows at one k,
// the two lanes of a grid row splitting the k-rows (kk, kk + 2) as kRowsOfB does for B, and one transpose
// turns the 4 k-rows into the Aᵀ slab the product wants (free: a transpose only renames registers).
// The same 16 vec4 loads per lane per k-step as without it. k need not be a multiple of 4 (the loaders
// give zeros past k), so weight gradients over any number of rows take the vec4 path.

//!include "transformer/activations.wgsl"

override ACTIVATION: u32 = 0u;
override HAS_BIAS: bool = false;
override HAS_RESIDUAL: bool = false;
override TRANSPOSE_B: bool = false;
override TRANSPOSE_A: bool = false;

struct MatmulParams { m: u32, n: u32, k: u32, kQuads: u32 }

@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read> residual: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<uniform> params: MatmulParams;

// Two vec4 that one lane needs: `first` from the pair's first member (row r, column j or k-row kk) and
// `second` from the member 8 rows / 8 columns / 2 k-rows further on.
struct Pair { first: vec4<f32>, second: vec4<f32> }

// In a shared quad the lane with `isFirst` loaded the first member and its neighbour the second.
fn pairAcrossX(mine: vec4<f32>, isFirst: bool) -> Pair {
  let theirs = swapX(mine);
  return Pair(select(theirs, mine, isFirst), select(mine, theirs, isFirst));
}

fn pairAcrossY(mine: vec4<f32>, isFirst: bool) -> Pair {
  let theirs = swapY(mine);
  return Pair(select(theirs, mine, isFirst), select(mine, theirs, isFirst));
}

// A rows row0 + r and row0 + r + 8 (clamped to the last row: those outputs are never stored).
fn rowsOfA(row0: u32, r: u32, kq: u32, isFirst: bool) -> Pair {
  let last = params.m - 1u;
  let ra = min(row0 + r, last);
  let rb = min(row0 + r + 8u, last);
  if (QUAD_SHARED) { return pairAcrossX(loadA(select(rb, ra, isFirst), kq), isFirst); }
  return Pair(loadA(ra, kq), loadA(rb, kq));
}

// Rows col0 + j and col0 + j + 8 of B given as [n, k] (transposeB).
fn colsOfBt(col0: u32, j: u32, kq: u32, isFirst: bool) -> Pair {
  let last = params.n - 1u;
  let ca = min(col0 + j, last);
  let cb = min(col0 + j + 8u, last);
  if (QUAD_SHARED) { return pairAcrossY(loadBt(select(cb, ca, isFirst), kq), isFirst); }
  return Pair(loadBt(ca, kq), loadBt(cb, kq));
}

// Rows row .. row+3 of A (given as [k, m]) at k-rows k0 + kk and k0 + kk + 2 (transposeA).
fn kRowsOfAt(k0: u32, kk: u32, row: u32, isFirst: bool) -> Pair {
  if (QUAD_SHARED) { return pairAcrossX(loadAt(select(k0 + kk + 2u, k0 + kk, isFirst), row), isFirst); }
  return Pair(loadAt(k0 + kk, row), loadAt(k0 + kk + 2u, row));
}

// Columns col .. col+3 of B rows k0 + kk and k0 + kk + 2.
fn kRowsOfB(k0: u32, kk: u32, col: u32, isFirst: bool) -> Pair {
  if (QUAD_SHARED) { return pairAcrossY(loadB(select(k0 + kk + 2u, k0 + kk, isFirst), col), isFirst); }
  return Pair(loadB(k0 + kk, col), loadB(k0 + kk + 2u, col));
}

fn finish(acc: f32, r: u32, c: u32) -> f32 {
  var v = acc;
  if (HAS_BIAS) { v += bias[c]; }
  v = activate(v, ACTIVATION);
  if (HAS_RESIDUAL) { v += residual[r * params.n + c]; }
  return v;
}

// Stores a transposed 4 × 4 accumulator whose first output is (row, col), skipping the ragged edge.
fn storeBlock(block: mat4x4<f32>, row: u32, col: u32) {
  for (var i = 0u; i < 4u; i++) {
    let r = row + i;
    if (r >= params.m) { return; }
    let v = block[i];
    for (var j = 0u; j < 4u; j++) {
      let c = col + j;
      if (c < params.n) { out[r * params.n + c] = finish(v[j], r, c); }
    }
  }
}

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  // Quads are 4 consecutive invocations (true of every implementation we know; SwiftShader's SIMD group).
  let quad = lid / 4u;
  let lx = lid & 1u;
  let ly = (lid >> 1u) & 1u;
  let quadRow = (wid.y * 4u + quad / 4u) * 32u;
  let quadCol = (wid.x * 4u + quad % 4u) * 32u;
  // The whole quad leaves together, so the swaps below always see all four lanes.
  if (quadRow >= params.m || quadCol >= params.n) { return; }
  let row0 = quadRow + ly * 16u;
  let col0 = quadCol + lx * 16u;
  let firstX = lx == 0u;
  let firstY = ly == 0u;

  var c00 = mat4x4<f32>(); var c01 = mat4x4<f32>(); var c02 = mat4x4<f32>(); var c03 = mat4x4<f32>();
  var c10 = mat4x4<f32>(); var c11 = mat4x4<f32>(); var c12 = mat4x4<f32>(); var c13 = mat4x4<f32>();
  var c20 = mat4x4<f32>(); var c21 = mat4x4<f32>(); var c22 = mat4x4<f32>(); var c23 = mat4x4<f32>();
  var c30 = mat4x4<f32>(); var c31 = mat4x4<f32>(); var c32 = mat4x4<f32>(); var c33 = mat4x4<f32>();

  for (var kq = 0u; kq < params.kQuads; kq++) {
    // Aᵀ slabs: column i of a<I> is A[row0 + 4I + i, 4kq .. 4kq+3].
    var a0: mat4x4<f32>; var a1: mat4x4<f32>; var a2: mat4x4<f32>; var a3: mat4x4<f32>;
    if (TRANSPOSE_A) {
      // Column kk of the loaded matrix is A row 4kq + kk (given as [k, m]) at 4 output rows: transpose.
      let k0 = kq * 4u;
      let r0 = kRowsOfAt(k0, 0u, row0, firstX); let r1 = kRowsOfAt(k0, 1u, row0, firstX);
      let s0 = kRowsOfAt(k0, 0u, row0 + 4u, firstX); let s1 = kRowsOfAt(k0, 1u, row0 + 4u, firstX);
      let t0 = kRowsOfAt(k0, 0u, row0 + 8u, firstX); let t1 = kRowsOfAt(k0, 1u, row0 + 8u, firstX);
      let u0 = kRowsOfAt(k0, 0u, row0 + 12u, firstX); let u1 = kRowsOfAt(k0, 1u, row0 + 12u, firstX);
      a0 = transpose(mat4x4<f32>(r0.first, r1.first, r0.second, r1.second));
      a1 = transpose(mat4x4<f32>(s0.first, s1.first, s0.second, s1.second));
      a2 = transpose(mat4x4<f32>(t0.first, t1.first, t0.second, t1.second));
      a3 = transpose(mat4x4<f32>(u0.first, u1.first, u0.second, u1.second));
    } else {
      let p0 = rowsOfA(row0, 0u, kq, firstX); let p1 = rowsOfA(row0, 1u, kq, firstX);
      let p2 = rowsOfA(row0, 2u, kq, firstX); let p3 = rowsOfA(row0, 3u, kq, firstX);
      let p4 = rowsOfA(row0, 4u, kq, firstX); let p5 = rowsOfA(row0, 5u, kq, firstX);
      let p6 = rowsOfA(row0, 6u, kq, firstX); let p7 = rowsOfA(row0, 7u, kq, firstX);
      a0 = mat4x4<f32>(p0.first, p1.first, p2.first, p3.first);
      a1 = mat4x4<f32>(p4.first, p5.first, p6.first, p7.first);
      a2 = mat4x4<f32>(p0.second, p1.second, p2.second, p3.second);
      a3 = mat4x4<f32>(p4.second, p5.second, p6.second, p7.second);
    }

    // Bᵀ slabs: row j of b<J> is output column col0 + 4J + j, column kk is k = 4kq + kk.
    var b0: mat4x4<f32>; var b1: mat4x4<f32>; var b2: mat4x4<f32>; var b3: mat4x4<f32>;
    if (TRANSPOSE_B) {
      let q0 = colsOfBt(col0, 0u, kq, firstY); let q1 = colsOfBt(col0, 1u, kq, firstY);
      let q2 = colsOfBt(col0, 2u, kq, firstY); let q3 = colsOfBt(col0, 3u, kq, firstY);
      let q4 = colsOfBt(col0, 4u, kq, firstY); let q5 = colsOfBt(col0, 5u, kq, firstY);
      let q6 = colsOfBt(col0, 6u, kq, firstY); let q7 = colsOfBt(col0, 7u, kq, firstY);
      b0 = transpose(mat4x4<f32>(q0.first, q1.first, q2.first, q3.first));
      b1 = transpose(mat4x4<f32>(q4.first, q5.first, q6.first, q7.first));
      b2 = transpose(mat4x4<f32>(q0.second, q1.second, q2.second, q3.second));
      b3 = transpose(mat4x4<f32>(q4.second, q5.second, q6.second, q7.second));
    } else {
      // Column kk of b<J> is B row 4kq + kk, already in the layout we need.
      let k0 = kq * 4u;
      let r0 = kRowsOfB(k0, 0u, col0, firstY); let r1 = kRowsOfB(k0, 1u, col0, firstY);
      let s0 = kRowsOfB(k0, 0u, col0 + 4u, firstY); let s1 = kRowsOfB(k0, 1u, col0 + 4u, firstY);
      let t0 = kRowsOfB(k0, 0u, col0 + 8u, firstY); let t1 = kRowsOfB(k0, 1u, col0 + 8u, firstY);
      let u0 = kRowsOfB(k0, 0u, col0 + 12u, firstY); let u1 = kRowsOfB(k0, 1u, col0 + 12u, firstY);
      b0 = mat4x4<f32>(r0.first, r1.first, r0.second, r1.second);
      b1 = mat4x4<f32>(s0.first, s1.first, s0.second, s1.second);
      b2 = mat4x4<f32>(t0.first, t1.first, t0.second, t1.second);
      b3 = mat4x4<f32>(u0.first, u1.first, u0.second, u1.second);
    }

    c00 += b0 * a0; c01 += b1 * a0; c02 += b2 * a0; c03 += b3 * a0;
    c10 += b0 * a1; c11 += b1 * a1; c12 += b2 * a1; c13 += b3 * a1;
    c20 += b0 * a2; c21 += b1 * a2; c22 += b2 * a2; c23 += b3 * a2;
    c30 += b0 * a3; c31 += b1 * a3; c32 += b2 * a3; c33 += b3 * a3;
  }

  storeBlock(c00, row0, col0); storeBlock(c01, row0, col0 + 4u); storeBlock(c02, row0, col0 + 8u); storeBlock(c03, row0, col0 + 12u);
  storeBlock(c10, row0 + 4u, col0); storeBlock(c11, row0 + 4u, col0 + 4u); storeBlock(c12, row0 + 4u, col0 + 8u); storeBlock(c13, row0 + 4u, col0 + 12u);
  storeBlock(c20, row0 + 8u, col0); storeBlock(c21, row0 + 8u, col0 + 4u); storeBlock(c22, row0 + 8u, col0 + 8u); storeBlock(c23, row0 + 8u, col0 + 12u);
  storeBlock(c30, row0 + 12u, col0); storeBlock(c31, row0 + 12u, col0 + 4u); storeBlock(c32, row0 + 12u, col0 + 8u); storeBlock(c33, row0 + 12u, col0 + 12u);
}
