// Gradient of fused self-attention with a key-padding mask with respect to qkv, for any head size (e.g.
// 3 or 20, where head blocks do not start on 16-byte boundaries): the algorithm of
// attentionBackwardCore.wgsl (formula, passes, scratch, bindings and dispatch are there) with qkv, dOut
// and dQkv read and written as scalars, the last vec4 of a head padded with zeros (which add nothing to
// the dot products) and only its components below headDim stored.
// Reference: src/training/kernels/attentionBackwardReference.ts.
//
// Bindings: 0 qkv   f32 [batch·S, 3·H·D]
//           2 dOut  f32 [batch·S, H·D]
//           5 dQkv  f32 [batch·S, 3·H·D]
//           1, 3, 4, 6 as in attentionBackwardCore.wgsl
// Entry points: scores, softmax, gradients (dispatched in that order).

//!include "training/attentionBackwardCore.wgsl"

@group(0) @binding(0) var<storage, read> qkv: array<f32>;
@group(0) @binding(2) var<storage, read> dOut: array<f32>;
@group(0) @binding(5) var<storage, read_write> dQkv: array<f32>;

fn loadQkv(row: u32, col: u32, c4: u32) -> vec4<f32> {
  let base = row * 3u * params.heads * params.headDim + col;
  var v = vec4<f32>(0.0);
  for (var i = 0u; i < 4u; i++) {
    let c = 4u * c4 + i;
    if (c < params.headDim) { v[i] = qkv[base + c]; }
  }
  return v;
}

fn loadDOut(row: u32, col: u32, c4: u32) -> vec4<f32> {
  let base = row * params.heads * params.headDim + col;
  var v = vec4<f32>(0.0);
  for (var i = 0u; i < 4u; i++) {
    let c = 4u * c4 + i;
    if (c < params.headDim) { v[i] = dOut[base + c]; }
  }
  return v;
}

fn storeDQkv(row: u32, col: u32, c4: u32, v: vec4<f32>) {
  let base = row * 3u * params.heads * params.headDim + col;
  for (var i = 0u; i < 4u; i++) {
    let c = 4u * c4 + i;
    if (c < params.headDim) { dQkv[base + c] = v[i]; }
  }
}
