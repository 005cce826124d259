// Plain TypeScript reference for shaders/privacy/dchiNoise.wgsl, in double precision: same counters, same
// Box–Muller normals, same Marsaglia–Tsang attempts. The GPU agrees to float32 rounding (a Gamma
// acceptance decision could in principle flip at the boundary; tests/gpu/dchiNoise.test.ts checks both).

import { normal4, philox4x32, boxMuller, uniformFromBits, seedKey } from './random/philox';
import type { TokenRow } from './tokenRows';

export const GAMMA_PURPOSE = 0x80000000;
export const GAMMA_MAX_ATTEMPTS = 32;

/** Gamma(shape, 1) by Marsaglia–Tsang, driven by the row's Philox counters. */
export function gammaUnitScale(shape: number, row: TokenRow, key: [number, number]): number {
  const dd = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * dd);
  for (let k = 0; k < GAMMA_MAX_ATTEMPTS; k++) {
    const bits = philox4x32(GAMMA_PURPOSE + k, row.position, row.example, row.draw, key[0], key[1]);
    const x = boxMuller(uniformFromBits(bits[0]), uniformFromBits(bits[1]))[0];
    const t = 1 + c * x;
    if (t <= 0) continue;
    const v = t * t * t;
    const u = uniformFromBits(bits[2]);
    if (Math.log(u) < 0.5 * x * x + dd - dd * v + dd * Math.log(v)) return dd * v;
  }
  return dd;
}

/** The noise vector z = r·u for one row (length dim), and r. */
export function dchiNoiseReference(dim: number, row: TokenRow, invEta: number, seed: number): { z: Float64Array; radius: number } {
  const key = seedKey(seed);
  const g = new Float64Array(Math.ceil(dim / 4) * 4);
  for (let j = 0; j < g.length / 4; j++) g.set(normal4([j, row.position, row.example, row.draw], key), 4 * j);
  let sumSq = 0;
  for (let i = 0; i < dim; i++) sumSq += g[i] * g[i];
  const radius = gammaUnitScale(dim, row, key) * invEta;
  const scale = radius / Math.sqrt(sumSq);
  const z = new Float64Array(dim);
  for (let i = 0; i < dim; i++) z[i] = g[i] * scale;
  return { z, radius };
}
