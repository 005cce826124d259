// A and B as vec4 rows, for shapes where every row starts on a 16-byte boundary: k % 4 == 0, and
// n % 4 == 0 unless TRANSPOSE_B; with TRANSPOSE_A, m % 4 == 0 and n % 4 == 0 (any k). Included by
// matmul.wgsl and matmulNoSubgroups.wgsl (see matmulCore.wgsl for the contract of the loaders). A vec4
// load is one bounds check and one gather per component; four scalar loads measured about half as fast.
//
// Bindings: 0 A array<vec4<f32>> [m, k/4], or [k, m/4] when TRANSPOSE_A
//           1 B array<vec4<f32>> [k, n/4], or [n, k/4] when TRANSPOSE_B

@group(0) @binding(0) var<storage, read> A: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> B: array<vec4<f32>>;

fn loadA(row: u32, kq: u32) -> vec4<f32> { return A[row * params.kQuads + kq]; }

fn loadBt(col: u32, kq: u32) -> vec4<f32> { return B[col * params.kQuads + kq]; }

// Column groups past the edge are clamped to the last one (n ≥ 4 here); their outputs are never stored.
// Only TRANSPOSE_A lets k be ragged (k % 4 == 0 otherwise), so only it pays for the check; the override
// folds it away elsewhere.
fn loadB(krow: u32, col: u32) -> vec4<f32> {
  if (TRANSPOSE_A && krow >= params.k) { return vec4<f32>(0.0); }
  return B[(krow * params.n + min(col, params.n - 4u)) / 4u];
}

// A given as [k, m] (TRANSPOSE_A): row groups past the edge clamped like B's columns (m ≥ 4 here).
fn loadAt(krow: u32, row: u32) -> vec4<f32> {
  if (krow >= params.k) { return vec4<f32>(0.0); }
  return A[(krow * params.m + min(row, params.m - 4u)) / 4u];
}
