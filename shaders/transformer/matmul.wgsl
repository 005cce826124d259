// out[r, c] = act(Σ_k A[r, k]·B[k, c] + bias[c]) + residual[r, c]       (B may be given as [n, k])
// The FLOP-heavy kernel of the transformer forward pass (QKV and output projections, the MLP, the MLM
// decoder). This is the fast variant, for devices with the 'subgroups' feature; matmulNoSubgroups.wgsl is
// the same without quad sharing, matmulUnaligned.wgsl takes shapes whose rows are not 16-byte aligned.
// Algorithm, bindings and dispatch: matmulCore.wgsl. Reference: src/transformer/kernels/matmulReference.ts.
//
// Measured on SwiftShader (2 cores), best of repeated runs, GFLOP/s at 1024³ / 4096×768×768 — see the
// report in src/transformer/kernels/matmul.ts for the full table:
//   4×4 outputs per invocation, vec4 loads (jax-js's scheme)            ≈ 2.1–2.7
//   8×8, vec4 loads, workgroup 64×1                                    ≈ 3.5–4.4
//   8×8, scalar loads                                                  ≈ 1.8–3.1
//   16×16, vec4 loads, no sharing (matmulNoSubgroups.wgsl)             ≈ 5.5
//   16×16, vec4 loads, 2 × 2 quad sharing (this file)                  ≈ 6.5–7
// Larger blocks spill more than they save; k unrolled ×8 and fma() measured no faster.

enable subgroups;
// The swaps run after a per-quad early return; whole quads leave together, so every swap sees 4 lanes.
diagnostic(off, subgroup_uniformity);

//!include "transformer/matmulVec4.wgsl"
//!include "transformer/matmulCore.wgsl"

const QUAD_SHARED = true;
fn swapX(v: vec4<f32>) -> vec4<f32> { return quadSwapX(v); }
fn swapY(v: vec4<f32>) -> vec4<f32> { return quadSwapY(v); }
