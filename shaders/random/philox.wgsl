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

// Box–Muller: two uniforms -> two independent standard normals.
fn philox_box_muller(u1: f32, u2: f32) -> vec2<f32> {
  let radius = sqrt(-2.0 * log(u1));
  let angle = 6.283185307179586 * u2;
  return vec2<f32>(radius * cos(angle), radius * sin(angle));
}

// Four standard normals from one Philox block.
fn philox_normal4(counter: vec4<u32>, key: vec2<u32>) -> vec4<f32> {
  let bits = philox4x32_10(counter, key);
  let a = philox_box_muller(philox_uniform(bits.x), philox_uniform(bits.y));
  let b = philox_box_muller(philox_uniform(bits.z), philox_uniform(bits.w));
  return vec4<f32>(a, b);
}
