// Philox4x32-10 (Salmon et al., SC 2011) in plain TypeScript: the reference for shaders/random/philox.wgsl
// (bit-exact) and the generator for any CPU-side random draw in the app (shuffles, plain tokens, seeds),
// so that one seed reproduces a whole experiment.

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product of two u32 (same 16-bit decomposition as the WGSL). */
function mulhi(a: number, b: number): number {
  const aLo = a & 0xffff;
  const aHi = a >>> 16;
  const bLo = b & 0xffff;
  const bHi = b >>> 16;
  const t = aHi * bLo + ((aLo * bLo) >>> 16);
  const w = aLo * bHi + (t & 0xffff);
  return (aHi * bHi + Math.floor(t / 65536) + Math.floor(w / 65536)) >>> 0;
}

/** One Philox4x32-10 block: 4 random u32 for a 4 × u32 counter and a 2 × u32 key. */
export function philox4x32(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number): Uint32Array {
  let x = c0 >>> 0, y = c1 >>> 0, z = c2 >>> 0, w = c3 >>> 0;
  let ka = k0 >>> 0, kb = k1 >>> 0;
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      ka = (ka + W0) >>> 0;
      kb = (kb + W1) >>> 0;
    }
    const hi0 = mulhi(M0, x);
    const lo0 = Math.imul(M0, x) >>> 0;
    const hi1 = mulhi(M1, z);
    const lo1 = Math.imul(M1, z) >>> 0;
    x = (hi1 ^ y ^ ka) >>> 0;
    y = lo1;
    z = (hi0 ^ w ^ kb) >>> 0;
    w = lo0;
  }
  return Uint32Array.of(x, y, z, w);
}

/** Uniform in (0, 1) from 23 bits, exactly as philox_uniform in WGSL (exact in f32 and f64). */
export const uniformFromBits = (bits: number): number => ((bits >>> 9) + 0.5) / 8388608;

/** Box–Muller, as philox_box_muller in WGSL. */
export function boxMuller(u1: number, u2: number): [number, number] {
  const r = Math.sqrt(-2 * Math.log(u1));
  const angle = 2 * Math.PI * u2;
  return [r * Math.cos(angle), r * Math.sin(angle)];
}

/** Four standard normals from one block, as philox_normal4 in WGSL. */
export function normal4(counter: ArrayLike<number>, key: ArrayLike<number>): [number, number, number, number] {
  const bits = philox4x32(counter[0], counter[1], counter[2], counter[3], key[0], key[1]);
  const [a, b] = boxMuller(uniformFromBits(bits[0]), uniformFromBits(bits[1]));
  const [c, d] = boxMuller(uniformFromBits(bits[2]), uniformFromBits(bits[3]));
  return [a, b, c, d];
}

/** A 64-bit seed as the two-word Philox key. Seeds are integers in [0, 2^53). */
export function seedKey(seed: number): [number, number] {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
  return [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0];
}

/**
 * A sequential stream over Philox blocks for CPU-side draws (shuffles, choosing plain tokens). Each stream
 * is named by a purpose tag so different uses of one seed never share numbers.
 */
export class PhiloxStream {
  private block = 0;
  private buffer: Uint32Array = new Uint32Array(4);
  private used = 4;
  private readonly key: [number, number];

  constructor(seed: number, private readonly purpose: number, private readonly substream = 0) {
    this.key = seedKey(seed);
  }

  nextU32(): number {
    if (this.used === 4) {
      this.buffer = philox4x32(this.block++, this.substream, 0x7fff0000 + this.purpose, 0xffffffff, this.key[0], this.key[1]);
      this.used = 0;
    }
    return this.buffer[this.used++];
  }

  /** Uniform in [0, 1) with 53 random bits. */
  nextFloat(): number {
    return ((this.nextU32() >>> 5) * 67108864 + (this.nextU32() >>> 6)) / 9007199254740992;
  }

  /** Uniform integer in [0, n), without modulo bias. */
  nextInt(n: number): number {
    return Math.floor(this.nextFloat() * n);
  }

  /** A standard normal (Box–Muller on two 53-bit uniforms; the sine half is discarded for simplicity). */
  nextNormal(): number {
    const u = 1 - this.nextFloat();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.nextFloat());
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}
