// AdamW (Kingma & Ba 2015, with the decoupled weight decay of Loshchilov & Hutter 2019), elementwise:
//   g = grad[i] · clip[1]                                   (global-norm clip scale, globalNorm.wgsl)
//   m = β1·m + (1 − β1)·g,   v = β2·v + (1 − β2)·g²
//   param[i] −= lr · ( (m / bc1) / (sqrt(v / bc2) + eps) + weightDecay · param[i] )
// with bc1 = 1 − β1^t, bc2 = 1 − β2^t. The decay uses the parameter before this step, which equals
// PyTorch's torch.optim.AdamW (it multiplies p by 1 − lr·wd first; the Adam term does not depend on p).
// lr, bc1 and bc2 change every step, so they live in `stepState`, a 16-byte storage buffer the trainer
// rewrites with queue.writeBuffer before each submit (stepStateFor in adamW.ts, in f64 then rounded): the
// prepared dispatch, its uniform and bind group serve every step unchanged. The per-run hyperparameters
// are in the uniform, with 1 − β1 and 1 − β2 computed in f64 on the CPU: f32(0.999) is 0.99900001, so
// 1 − β2 formed here would be off by 1.3e-5 relative and v/bc2 would no longer be g² after step 1.
// Reference: src/training/kernels/adamWReference.ts.
//
// Bindings: 0 param      f32 [count], read and written
//           1 grad       f32 [count]
//           2 m          f32 [count], read and written (first moment; zeros before step 1)
//           3 v          f32 [count], read and written (second moment; zeros before step 1)
//           4 stepState  f32 [4] = (lr, bc1, bc2, unused)
//           5 clip       f32 [2] = (norm, scale); only the scale is used
//           6 params     uniform { count, beta1, 1 − beta1, beta2, 1 − beta2, eps, weightDecay }
// param, m and v must not alias each other or the inputs.
// Dispatch: ceil(count / 256) workgroups of 256, one invocation per element, folded into y past 65535
// (GpuRuntime.rowGrid).

struct Params {
  count: u32,
  beta1: f32,
  oneMinusBeta1: f32,
  beta2: f32,
  oneMinusBeta2: f32,
  eps: f32,
  weightDecay: f32,
  pad: u32,
}

@group(0) @binding(0) var<storage, read_write> param: array<f32>;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> m: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;
@group(0) @binding(4) var<storage, read> stepState: vec4<f32>;
@group(0) @binding(5) var<storage, read> clip: vec2<f32>;
@group(0) @binding(6) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid;
  if (i >= params.count) { return; }
  let lr = stepState.x;
  let bc1 = stepState.y;
  let bc2 = stepState.z;
  let g = grad[i] * clip.y;
  let mi = params.beta1 * m[i] + params.oneMinusBeta1 * g;
  let vi = params.beta2 * v[i] + params.oneMinusBeta2 * (g * g);
  m[i] = mi;
  v[i] = vi;
  let p = param[i];
  param[i] = p - lr * ((mi / bc1) / (sqrt(vi / bc2) + params.eps) + params.weightDecay * p);
}
