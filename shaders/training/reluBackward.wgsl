// Gradient through a ReLU, from its output (the forward keeps y = relu(z), not z; y > 0 exactly when z > 0):
//   dX[i] = dY[i] if y[i] > 0, else 0          (the subgradient at 0 is taken as 0, as PyTorch does)
// Exact (a select, no arithmetic), so the GPU result matches the reference bit for bit. y is NaN-safe:
// NaN > 0 is false, so a NaN activation gives a zero gradient; a NaN dY passes through where y > 0.
// Reference: src/training/kernels/reluBackwardReference.ts.
//
// Entry points: main        count % 4 == 0: bindings read as vec4 (four elements per invocation)
//               mainScalar  any count
// Bindings: 0 y       f32 [count]   (array<vec4<f32>> in main)
//           1 dY      f32 [count]   ( " )
//           2 dX      f32 [count]   ( " ), written; must not alias 0 or 1 (WebGPU refuses one buffer range
//                                   bound both read-only and writable in one dispatch)
//           3 params  uniform { count }   (elements, not vec4s)
// Dispatch: ceil(n / 64) workgroups of 64 with n = count / 4 (main) or count (mainScalar), folded into y
// past 65535 (GpuRuntime.rowGrid); one invocation per vec4 or element.

struct Params { count: u32, pad0: u32, pad1: u32, pad2: u32 }

@group(0) @binding(3) var<uniform> params: Params;

fn indexOf(lid: u32, wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return (wid.y * nwg.x + wid.x) * 64u + lid;
}

@group(0) @binding(0) var<storage, read> y4: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> dY4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dX4: array<vec4<f32>>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = indexOf(lid, wid, nwg);
  if (i >= params.count / 4u) { return; }
  dX4[i] = select(vec4<f32>(0.0), dY4[i], y4[i] > vec4<f32>(0.0));
}

@group(0) @binding(0) var<storage, read> y: array<f32>;
@group(0) @binding(1) var<storage, read> dY: array<f32>;
@group(0) @binding(2) var<storage, read_write> dX: array<f32>;

@compute @workgroup_size(64)
fn mainScalar(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = indexOf(lid, wid, nwg);
  if (i >= params.count) { return; }
  dX[i] = select(0.0, dY[i], y[i] > 0.0);
}
