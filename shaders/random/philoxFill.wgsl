// Writes raw Philox4x32-10 blocks and the normals derived from them, so tests can check the WGSL
// generator bit for bit against src/privacy/random/philox.ts.
//
// Bindings: counters  array<vec4<u32>> [n]      input counters
//           bits      array<vec4<u32>> [n]      philox4x32_10(counter, key)
//           normals   array<vec4<f32>> [n]      philox_normal4(counter, key)
//           params    uniform { n, keyLo, keyHi }
// Dispatch: ceil(n / 64) workgroups of 64.

//!include "random/philox.wgsl"

struct Params { n: u32, keyLo: u32, keyHi: u32, pad: u32 }

@group(0) @binding(0) var<storage, read> counters: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> bits: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> normals: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= params.n) { return; }
  let key = vec2<u32>(params.keyLo, params.keyHi);
  bits[i] = philox4x32_10(counters[i], key);
  normals[i] = philox_normal4(counters[i], key);
}
