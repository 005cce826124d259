// The feed-forward activation of BERT-family layers and its gradient, elementwise, from the PRE-activation
// x (the forward keeps x = h·W + b; a GELU's output does not determine its input, unlike ReLU's):
//   forward   y[i]  = act(x[i])                                   (activations.wgsl's activate(), the very
//                                                                  function the fused matmul epilogue applies,
//                                                                  so y matches MatmulKernel{activation} bit for bit)
//   backward  dX[i] = dY[i]·act'(x[i])
// with, by the ACTIVATION override (codes of activations.wgsl):
//   ACT_GELU       act'(x) = Φ(x) + x·φ(x),  Φ(x) = ½·erfc(−x/√2),  φ(x) = e^{−x²/2}/√(2π)
//   ACT_GELU_TANH  act'(x) = ½(1 + t) + ½·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²),  t = tanh(√(2/π)(x + 0.044715x³))
//   ACT_RELU       act'(x) = [x > 0]   (the subgradient at 0 is 0, as PyTorch)
// Φ uses erfcFast (relative error < 1.2e-7 for every x), so Φ of a negative x keeps its digits. Past
// |x| = 10 both GELU derivatives are exactly [x > 0] in f32 (the rest is below 1e-21), and that is what is
// returned there: x³ and x² overflow for |x| ≳ 1e13 and would give 0·∞ = NaN. A NaN x gives NaN (ReLU: 0).
// Reference: src/training/kernels/geluBackwardReference.ts (f64).
//
// Entry points: forward, backward              count % 4 == 0: bindings read as vec4 (four per invocation)
//               forwardScalar, backwardScalar  any count
// Bindings (forward):  0 x   f32 [count]            1 y  f32 [count], written; must not alias 0
//                      2 params uniform { count }
// Bindings (backward): 0 x   f32 [count]  (the pre-activation)
//                      1 dY  f32 [count]
//                      2 dX  f32 [count], written; must not alias 0 or 1
//                      3 params uniform { count }   (elements, not vec4s)
// Overrides: ACTIVATION (ACT_GELU, ACT_GELU_TANH or ACT_RELU).
// Dispatch: ceil(n / 64) workgroups of 64 with n = count / 4 (vec4 entries) or count (scalar entries),
// folded into y past 65535 (GpuRuntime.rowGrid); one invocation per vec4 or element.

//!include "transformer/activations.wgsl"

override ACTIVATION: u32 = 2u;

struct Params { count: u32, pad0: u32, pad1: u32, pad2: u32 }

fn indexOf(lid: u32, wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return (wid.y * nwg.x + wid.x) * 64u + lid;
}

// 1/√(2π) and √(2/π).
const INV_SQRT_2PI: f32 = 0.39894228040143268;
const SQRT_2_OVER_PI: f32 = 0.79788456080286536;

fn activationDerivative(x: f32) -> f32 {
  if (ACTIVATION == ACT_RELU) { return select(0.0, 1.0, x > 0.0); }
  if (abs(x) > 10.0) { return select(0.0, 1.0, x > 0.0); }
  if (ACTIVATION == ACT_GELU_TANH) {
    let x2 = x * x;
    let t = tanhSafe(SQRT_2_OVER_PI * (x + 0.044715 * x2 * x));
    return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * SQRT_2_OVER_PI * (1.0 + 0.134145 * x2);
  }
  // ACT_GELU
  let cdf = 0.5 * erfcFast(-0.70710678118654752 * x);
  return cdf + x * INV_SQRT_2PI * exp(-0.5 * x * x);
}

// ---- forward ----

@group(0) @binding(0) var<storage, read> fx4: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> fy4: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> forwardParams: Params;

@compute @workgroup_size(64)
fn forward(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = indexOf(lid, wid, nwg);
  if (i >= forwardParams.count / 4u) { return; }
  let v = fx4[i];
  fy4[i] = vec4<f32>(activate(v.x, ACTIVATION), activate(v.y, ACTIVATION), activate(v.z, ACTIVATION), activate(v.w, ACTIVATION));
}

@group(0) @binding(0) var<storage, read> fx: array<f32>;
@group(0) @binding(1) var<storage, read_write> fy: array<f32>;

@compute @workgroup_size(64)
fn forwardScalar(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = indexOf(lid, wid, nwg);
  if (i >= forwardParams.count) { return; }
  fy[i] = activate(fx[i], ACTIVATION);
}

// ---- backward ----

@group(0) @binding(0) var<storage, read> bx4: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> dY4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dX4: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> backwardParams: Params;

@compute @workgroup_size(64)
fn backward(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = indexOf(lid, wid, nwg);
  if (i >= backwardParams.count / 4u) { return; }
  let v = bx4[i];
  let d = vec4<f32>(activationDerivative(v.x), activationDerivative(v.y), activationDerivative(v.z), activationDerivative(v.w));
  dX4[i] = dY4[i] * d;
}

@group(0) @binding(0) var<storage, read> bx: array<f32>;
@group(0) @binding(1) var<storage, read> dY: array<f32>;
@group(0) @binding(2) var<storage, read_write> dX: array<f32>;

@compute @workgroup_size(64)
fn backwardScalar(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = indexOf(lid, wid, nwg);
  if (i >= backwardParams.count) { return; }
  dX[i] = dY[i] * activationDerivative(bx[i]);
}
