// out = act(A·B + bias) + residual for devices without the 'subgroups' feature: the algorithm of
// matmulCore.wgsl with every invocation loading its own 16 rows of A and 16 columns of B (no quad sharing).
// Same bindings, parameters and dispatch as matmul.wgsl; same alignment requirement (matmulVec4.wgsl).

//!include "transformer/matmulVec4.wgsl"
//!include "transformer/matmulCore.wgsl"

const QUAD_SHARED = false;
fn swapX(v: vec4<f32>) -> vec4<f32> { return v; }
fn swapY(v: vec4<f32>) -> vec4<f32> { return v; }
