// d_χ noise on token embeddings (rapt-method.md §2, step 1): for each row (one token occurrence)
//   out = E[id] + r · u,   r ~ Gamma(shape = d, scale = 1/η),   u uniform on the unit sphere S^{d-1},
// which is the exact sampler for the density p(z) ∝ exp(−η‖z‖₂) in R^d. u is a normalised vector of d
// standard normals (Box–Muller on Philox); r is Marsaglia–Tsang (ACM TOMS 2000) for shape d ≥ 1, times 1/η.
// Drawing noise per coordinate instead would be a different, much noisier mechanism — see the KS test in
// tests/gpu/dchiNoise.test.ts.
//
// Randomness: key = seed; counter = (block | purpose, position, example, draw). Direction block j gives
// coordinates 4j..4j+3; Gamma attempt k uses counter.x = 0x80000000 + k. So a token's noise depends only on
// (seed, example, position, draw), and for a fixed draw the direction and Gamma(d, 1) variate are the same
// for every η — moving η rescales one noise vector (common random numbers), as the explorer shows.
//
// Bindings: table   array<vec4<f32>> [V, dimVec4]   embedding rows, zero-padded to a multiple of 4
//           rows    array<vec4<u32>> [n]            (token id, example, position, draw)
//           invEta  array<f32>       [n]            1/η per row; 0 means no noise (η = ∞)
//           out     array<vec4<f32>> [n, dimVec4]   noisy embeddings (padding lanes stay 0)
//           radius  array<f32>       [n]            r, for the statistical tests and the explorer
//           params  uniform { n, dim, dimVec4, seedLo, seedHi }
// Dispatch: one workgroup of 64 per row; grid (x, y) with row = y·num_workgroups.x + x.

//!include "random/philox.wgsl"

struct Params { n: u32, dim: u32, dimVec4: u32, seedLo: u32, seedHi: u32, pad0: u32, pad1: u32, pad2: u32 }

@group(0) @binding(0) var<storage, read> table: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> rows: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> invEta: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> radius: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

const WG: u32 = 64u;
const GAMMA_PURPOSE: u32 = 0x80000000u;
// P(Marsaglia–Tsang rejects) < 0.002 per attempt for shape ≥ 1, so 32 attempts never run out in practice;
// if they did, the variate falls back to the mode d − 1/3 (documented in src/privacy/dchiNoise.ts).
const GAMMA_MAX_ATTEMPTS: u32 = 32u;

var<workgroup> partial: array<f32, 64>;
var<workgroup> scale: f32;

fn gamma_unit_scale(shape: f32, position: u32, example: u32, draw: u32, key: vec2<u32>) -> f32 {
  let dd = shape - 1.0 / 3.0;
  let c = 1.0 / sqrt(9.0 * dd);
  for (var k = 0u; k < GAMMA_MAX_ATTEMPTS; k++) {
    let bits = philox4x32_10(vec4<u32>(GAMMA_PURPOSE + k, position, example, draw), key);
    let x = philox_box_muller(philox_uniform(bits.x), philox_uniform(bits.y)).x;
    let t = 1.0 + c * x;
    if (t <= 0.0) { continue; }
    let v = t * t * t;
    let u = philox_uniform(bits.z);
    if (precise_log(u) < 0.5 * x * x + dd - dd * v + dd * precise_log(v)) {
      return dd * v;
    }
  }
  return dd;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = wid.y * nwg.x + wid.x;
  // Rows past the end still take part in the barriers below (uniform control flow) but write nothing.
  let live = row < params.n;
  let r = select(0u, row, live);
  let spec = rows[r];
  let key = vec2<u32>(params.seedLo, params.seedHi);
  let base = r * params.dimVec4;
  let blocks = params.dimVec4;
  let dim = params.dim;

  var sumSq = 0.0;
  for (var j = lid; j < blocks; j += WG) {
    var g = philox_normal4(vec4<u32>(j, spec.z, spec.y, spec.w), key);
    // Lanes past the true dimension are padding: no noise there, so they never affect distances.
    let lane0 = j * 4u;
    g = select(vec4<f32>(0.0), g, vec4<u32>(lane0, lane0 + 1u, lane0 + 2u, lane0 + 3u) < vec4<u32>(dim));
    sumSq += dot(g, g);
    if (live) { out[base + j] = g; }
  }
  partial[lid] = sumSq;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (lid < stride) { partial[lid] += partial[lid + stride]; }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let rad = gamma_unit_scale(f32(dim), spec.z, spec.y, spec.w, key) * invEta[r];
    scale = rad / sqrt(partial[0]);
    if (live) { radius[r] = rad; }
  }
  workgroupBarrier();
  let s = scale;
  if (!live) { return; }
  let tableBase = spec.x * params.dimVec4;
  for (var j = lid; j < blocks; j += WG) {
    out[base + j] = table[tableBase + j] + s * out[base + j];
  }
}
