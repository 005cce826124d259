// out[r, c] = act(Σ_k A[r, k]·B[k, c] + bias[c]) + residual[r, c]       (B may be given as [n, k], A as [k, m])
// The FLOP-heavy kernel of the transformer forward pass (QKV and output projections, the MLP, the MLM
// decoder). This is the fast variant, for devices with the 'subgroups' feature; matmulNoSubgroups.wgsl is
// the same without quad sharing, matmulUnaligned.wgsl takes shapes whose rows are not 16-byte aligned.
// Algorithm, bindings and dispatch: matmulCore.wgsl. Reference: src/transformer/kernels/matmulReference.ts.
//
// Measured on SwiftShader (2 cores shared with other jobs, so best of 4–12 interleaved runs), GFLOP/s at
// 1024³ / 4096×768×768:
//                                                          quiet (load ≈ 2)   loaded (load ≈ 9, same run)
//   4×4 outputs per invocation, vec4 loads (jax-js's scheme)    2.1–2.7 / 2.0–2.3   2.3 / 1.8
//   4×4, scalar loads                                           1.6 / 2.3           1.8 / 2.2
//   8×8, vec4 loads, workgroup 64×1                             4.3 / 3.8           3.9 / 2.5
//   8×8, scalar loads                                           1.8 / 3.2           2.6 / 2.6
//   8×8, k unrolled ×8 (×16)                                    2.9 / 2.9 (×16 same) 2.0 / 2.0
//   8×8 with fma()                                              4.2 / 4.2 (no gain)
//   16×16 vec4 accumulators, no sharing                         5.7 / 5.6           2.9 / 2.8
//   16×16 vec4 accumulators, quad-shared                        5.9 / 5.6           3.1 / 3.3
//   this kernel: 16×16 as mat4x4, quad-shared                   6.9 / 7.5           5.0 / 5.4
//     with B given as [n, k]                                    8.0 / 7.9           7.1 / 6.3
//   matmulNoSubgroups.wgsl (same, no sharing)                   5.7 / 6.2           5.1 / 4.5
//   matmulUnaligned.wgsl (scalar loads), 1024×1023×1023         3.0
// Loads, not arithmetic, bound it: with the loads replaced by arithmetic the 8×16 kernel ran at 18 GFLOP/s,
// with the multiply-adds removed it still took 60% of the time. Blocks beyond 16×16 spill more than they
// save. Loading A and B as mat2x4 (8 k per load) measured ~10% faster but needs k % 8 == 0; not kept.

enable subgroups;
// The swaps run after a per-quad early return; whole quads leave together, so every swap sees 4 lanes.
diagnostic(off, subgroup_uniformity);

//!include "transformer/matmulVec4.wgsl"
//!include "transformer/matmulCore.wgsl"

const QUAD_SHARED = true;
fn swapX(v: vec4<f32>) -> vec4<f32> { return quadSwapX(v); }
fn swapY(v: vec4<f32>) -> vec4<f32> { return quadSwapY(v); }
