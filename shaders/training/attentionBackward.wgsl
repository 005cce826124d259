// Gradient of fused self-attention with a key-padding mask with respect to qkv, for head sizes that are
// multiples of 4 (USE-Lite: 64 and 128; BERT: 64): the algorithm of attentionBackwardCore.wgsl (formula,
// passes, scratch, bindings and dispatch are there) with qkv, dOut and dQkv read and written as vec4.
// attentionBackwardUnaligned.wgsl takes any head size. Reference:
// src/training/kernels/attentionBackwardReference.ts.
//
// Measured on SwiftShader (2 cores shared with other jobs, load ≈ 10, so only roughly), batch 8 × 128
// tokens × 4 heads × 64: scores 190–440 ms, softmax 15–30 ms, gradients 450–690 ms, all three 570–620 ms,
// against 42–87 ms for the forward attention.wgsl in the same runs (5 S²·D multiply-adds here against
// 2 S²·D there). Like the matmul, it is bound by loads: 16 vec4 loads per 128 multiply-adds in the 4×4
// blocks, against 16 per 1024 in matmulCore.wgsl. An earlier layout with an invocation per 4 query rows
// doing scores, softmax and dQ in one serial loop measured about the same (≈ 550 ms) but had only
// batch·H·S/4 long-running invocations, too few to fill a real GPU; this one has batch·H·(S/4)² and
// batch·H·(S/4)·(D/4).
//
// Bindings: 0 qkv   array<vec4<f32>> [batch·S, 3·H·D/4]
//           2 dOut  array<vec4<f32>> [batch·S, H·D/4]
//           5 dQkv  array<vec4<f32>> [batch·S, 3·H·D/4]
//           1, 3, 4, 6 as in attentionBackwardCore.wgsl
// Entry points: scores, softmax, gradients (dispatched in that order).

//!include "training/attentionBackwardCore.wgsl"

@group(0) @binding(0) var<storage, read> qkv: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> dOut: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> dQkv: array<vec4<f32>>;

// Head sizes are multiples of 4 here, so every head block starts on a vec4 and c4 < headDim/4.
fn loadQkv(row: u32, col: u32, c4: u32) -> vec4<f32> { return qkv[(row * 3u * params.heads * params.headDim + col) / 4u + c4]; }

fn loadDOut(row: u32, col: u32, c4: u32) -> vec4<f32> { return dOut[(row * params.heads * params.headDim + col) / 4u + c4]; }

fn storeDQkv(row: u32, col: u32, c4: u32, v: vec4<f32>) { dQkv[(row * 3u * params.heads * params.headDim + col) / 4u + c4] = v; }
