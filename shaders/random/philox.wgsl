// Philox4x32-10 counter-based generator (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy
// as 1, 2, 3", SC 2011). A draw is a pure function of (key, counter): every thread computes its own
// numbers with no state, so results do not depend on dispatch order, batch size or chunking.
// TypeScript reference: src/privacy/random/philox.ts (bit-exact; checked by tests/gpu/philox.test.ts).
//
// Counter layout used by this project: x = block within the row (high bit = purpose), y = position,
// z = example, w = Monte-Carlo draw. Key = the 64-bit experiment seed.

const PHILOX_M0: u32 = 0xD2511F53u;
const PHILOX_M1: u32 = 0xCD9E8D57u;
const PHILOX_W0: u32 = 0x9E3779B9u;
const PHILOX_W1: u32 = 0xBB67AE85u;

// 32x32 -> 64-bit product as (hi, lo); WGSL has no 64-bit integers, so build it from 16-bit halves.
fn philox_mulhilo(a: u32, b: u32) -> vec2<u32> {
  let a_lo = a & 0xffffu;
  let a_hi = a >> 16u;
  let b_lo = b & 0xffffu;
  let b_hi = b >> 16u;
  let t = a_hi * b_lo + ((a_lo * b_lo) >> 16u);
  let w = a_lo * b_hi + (t & 0xffffu);
  let hi = a_hi * b_hi + (t >> 16u) + (w >> 16u);
  return vec2<u32>(hi, a * b);
}

fn philox4x32_10(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = counter;
  var k = key;
  for (var round = 0u; round < 10u; round++) {
    if (round > 0u) {
      k = k + vec2<u32>(PHILOX_W0, PHILOX_W1);
    }
    let p0 = philox_mulhilo(PHILOX_M0, c.x);
    let p1 = philox_mulhilo(PHILOX_M1, c.z);
    c = vec4<u32>(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
  }
  return c;
}

// Uniform in the open interval (0, 1): 23 random bits plus one half, exactly representable in f32, so the
// TypeScript reference reproduces it bit for bit and log(u) is always finite.
fn philox_uniform(bits: u32) -> f32 {
  return (f32(bits >> 9u) + 0.5) * (1.0 / 8388608.0);
}

// Natural log that stays accurate relative to its result near x = 1. WGSL only promises an absolute error
// of 2^-21 for log on [0.5, 2] (SwiftShader uses that freedom), which would turn sqrt(−2 log u) for u → 1
// into a visibly wrong small normal and shift Gamma acceptance tests. Near 1, t = x − 1 is exact
// (Sterbenz) and an 8-term series is accurate to ~1e-10 relative for |t| < 1/16.
fn precise_log(x: f32) -> f32 {
  let t = x - 1.0;
  if (abs(t) >= 0.0625) { return log(x); }
  return t * (1.0 + t * (-1.0 / 2.0 + t * (1.0 / 3.0 + t * (-1.0 / 4.0 + t * (1.0 / 5.0 + t * (-1.0 / 6.0 + t * (1.0 / 7.0 - t / 8.0)))))));
}

// sin and cos of 2π·u for u in [0, 1). WGSL allows cos/sin an absolute error of 2^-11 (SwiftShader is
// that loose), which would put ~5e-4 errors into every normal. 4u is exact in f32, so the quadrant split is
// exact; on the remaining angle a ∈ [−π/4, π/4] Taylor polynomials of degree 9 and 10 are accurate to ~1e-9.
fn sincos_turns(u: f32) -> vec2<f32> {
  let f = 4.0 * u;
  let q = floor(f + 0.5);
  let a = (f - q) * 1.5707963267948966;
  let a2 = a * a;
  let s = a * (1.0 + a2 * (-1.0 / 6.0 + a2 * (1.0 / 120.0 + a2 * (-1.0 / 5040.0 + a2 * (1.0 / 362880.0)))));
  let c = 1.0 + a2 * (-0.5 + a2 * (1.0 / 24.0 + a2 * (-1.0 / 720.0 + a2 * (1.0 / 40320.0 - a2 / 3628800.0))));
  switch (u32(q) & 3u) {
    case 0u: { return vec2<f32>(s, c); }
    case 1u: { return vec2<f32>(c, -s); }
    case 2u: { return vec2<f32>(-s, -c); }
    default: { return vec2<f32>(-c, s); }
  }
}

// Box–Muller: two uniforms -> two independent standard normals (radius·cos, radius·sin).
fn philox_box_muller(u1: f32, u2: f32) -> vec2<f32> {
  let radius = sqrt(-2.0 * precise_log(u1));
  let sc = sincos_turns(u2);
  return vec2<f32>(radius * sc.y, radius * sc.x);
}

// Four standard normals from one Philox block.
fn philox_normal4(counter: vec4<u32>, key: vec2<u32>) -> vec4<f32> {
  let bits = philox4x32_10(counter, key);
  let a = philox_box_muller(philox_uniform(bits.x), philox_uniform(bits.y));
  let b = philox_box_muller(philox_uniform(bits.z), philox_uniform(bits.w));
  return vec4<f32>(a, b);
}
