// out = act(A·B + bias) + residual for any m, n, k ≥ 1: the algorithm of matmulCore.wgsl with A and B read
// as scalars, for the shapes matmulVec4.wgsl cannot take (k % 4 ≠ 0, or n % 4 ≠ 0 with B as [k, n], or
// m % 4 ≠ 0 with A as [k, m]; e.g. a decoder to a 30522-word vocabulary). No quad sharing: this is the
// rare path, kept simple. The last k-quad is padded with zeros on both sides, so the result is exact for
// any finite input.
//
// Bindings: 0 A array<f32> [m, k], or [k, m] when TRANSPOSE_A
//           1 B array<f32> [k, n], or [n, k] when TRANSPOSE_B
//           2..5 as in matmulCore.wgsl
// Dispatch: as matmul.wgsl.

//!include "transformer/matmulCore.wgsl"

const QUAD_SHARED = false;
fn swapX(v: vec4<f32>) -> vec4<f32> { return v; }
fn swapY(v: vec4<f32>) -> vec4<f32> { return v; }

@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;

// A[row, 4kq .. 4kq+3] and B[col, 4kq .. 4kq+3] (B as [n, k]), zero past k.
fn loadA(row: u32, kq: u32) -> vec4<f32> {
  let base = row * params.k;
  var v = vec4<f32>(0.0);
  for (var i = 0u; i < 4u; i++) {
    let kk = 4u * kq + i;
    if (kk < params.k) { v[i] = A[base + kk]; }
  }
  return v;
}

fn loadBt(col: u32, kq: u32) -> vec4<f32> {
  let base = col * params.k;
  var v = vec4<f32>(0.0);
  for (var i = 0u; i < 4u; i++) {
    let kk = 4u * kq + i;
    if (kk < params.k) { v[i] = B[base + kk]; }
  }
  return v;
}

// B[krow, col .. col+3] (B as [k, n]): zero past k, columns past n clamped (never stored).
fn loadB(krow: u32, col: u32) -> vec4<f32> {
  if (krow >= params.k) { return vec4<f32>(0.0); }
  let last = params.n - 1u;
  let base = krow * params.n;
  return vec4<f32>(B[base + min(col, last)], B[base + min(col + 1u, last)], B[base + min(col + 2u, last)], B[base + min(col + 3u, last)]);
}

// A[krow, row .. row+3] (A as [k, m], TRANSPOSE_A): zero past k, rows past m clamped (never stored).
fn loadAt(krow: u32, row: u32) -> vec4<f32> {
  if (krow >= params.k) { return vec4<f32>(0.0); }
  let last = params.m - 1u;
  let base = krow * params.m;
  return vec4<f32>(A[base + min(row, last)], A[base + min(row + 1u, last)], A[base + min(row + 2u, last)], A[base + min(row + 3u, last)]);
}
