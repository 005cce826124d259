import { describe, expect, it } from 'vitest';
import {
  chiSquareCdf,
  erfc,
  gammaCdf,
  logGamma,
  normalCdf,
  regularizedLowerGamma,
  regularizedUpperGamma,
} from '../../src/privacy/stats/distributions';
import {
  ksPValue,
  ksStatistic,
  ksTest,
  meanAndVariance,
  sphereDirectionMoments,
} from '../../src/privacy/stats/goodnessOfFit';
import { PhiloxStream } from '../../src/privacy/random/philox';

/** Seeded uniform doubles in (0, 1) from the project's Philox stream; the half-ulp offset keeps −ln(U) finite. */
function makeUniform(seed: number): () => number {
  const stream = new PhiloxStream(seed, 0);
  return () => stream.nextFloat() + 0.5 / 9007199254740992;
}

/** Standard normals by the Box–Muller transform, caching the second variate of each pair. */
function makeNormal(seed: number): () => number {
  const uniform = makeUniform(seed);
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const z = spare;
      spare = null;
      return z;
    }
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const theta = 2 * Math.PI * uniform();
    spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  };
}

/** Row-major directions, each a vector from `draw` divided by its norm. */
function normalisedDirections(count: number, dim: number, draw: () => number): Float32Array {
  const out = new Float32Array(count * dim);
  const v = new Float64Array(dim);
  for (let k = 0; k < count; k++) {
    let norm2 = 0;
    for (let i = 0; i < dim; i++) {
      v[i] = draw();
      norm2 += v[i] * v[i];
    }
    const inv = 1 / Math.sqrt(norm2);
    for (let i = 0; i < dim; i++) out[k * dim + i] = v[i] * inv;
  }
  return out;
}

/** Composite Simpson rule with `panels` (even) subintervals. */
function simpson(f: (t: number) => number, lo: number, hi: number, panels: number): number {
  const h = (hi - lo) / panels;
  let sum = f(lo) + f(hi);
  for (let i = 1; i < panels; i++) sum += (i % 2 === 1 ? 4 : 2) * f(lo + i * h);
  return (sum * h) / 3;
}

/**
 * P(a, x) by direct quadrature of the Gamma(a, 1) density, independent of the code under test: the
 * density is left unnormalised (scaled to 1 at its mode a − 1) and divided by its own integral, so no
 * Γ(a) is needed. Outside a ± 40√a the mass is far below double precision.
 */
function lowerGammaByQuadrature(a: number, x: number): number {
  const mode = a - 1;
  const density = (t: number): number => (t <= 0 ? 0 : Math.exp(mode * Math.log(t / mode) - (t - mode)));
  const lo = Math.max(0, a - 40 * Math.sqrt(a));
  const hi = a + 40 * Math.sqrt(a);
  return simpson(density, lo, x, 200_000) / simpson(density, lo, hi, 200_000);
}

const relErr = (got: number, want: number): number => Math.abs(got - want) / Math.abs(want);

describe('logGamma', () => {
  it('matches ln √π at 1/2 and ln n! at integers', () => {
    expect(relErr(logGamma(0.5), 0.5 * Math.log(Math.PI))).toBeLessThan(1e-14);
    let lnFactorial = 0;
    for (let n = 2; n <= 60; n++) {
      lnFactorial += Math.log(n);
      expect(relErr(logGamma(n + 1), lnFactorial)).toBeLessThan(1e-14);
    }
    expect(Math.abs(logGamma(1))).toBeLessThan(1e-15);
    expect(Math.abs(logGamma(2))).toBeLessThan(1e-15);
  });

  it('matches Stirling series with corrections at large x', () => {
    for (const x of [1000, 1024, 5000, 1e6]) {
      const leading = (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI);
      const stirling = leading + 1 / (12 * x) - 1 / (360 * x ** 3) + 1 / (1260 * x ** 5);
      expect(relErr(logGamma(x), stirling)).toBeLessThan(1e-14);
    }
  });

  it('satisfies the recurrence ln Γ(x+1) = ln Γ(x) + ln x', () => {
    for (const x of [1e-6, 0.1, 0.7, 3.7, 42.25, 250.5, 4999.5]) {
      const lhs = logGamma(x + 1);
      const rhs = logGamma(x) + Math.log(x);
      expect(Math.abs(lhs - rhs)).toBeLessThan(1e-14 * Math.max(1, Math.abs(lhs)));
    }
  });

  it('rejects x <= 0', () => {
    expect(() => logGamma(0)).toThrow(RangeError);
    expect(() => logGamma(-1.5)).toThrow(RangeError);
  });
});

describe('regularizedLowerGamma', () => {
  it('reduces to 1 − e^{−x} for a = 1 and to erf(√x) for a = 1/2', () => {
    for (const x of [1e-8, 0.01, 0.5, 1, 2, 5, 20, 50]) {
      expect(relErr(regularizedLowerGamma(1, x), -Math.expm1(-x))).toBeLessThan(1e-14);
      expect(relErr(regularizedUpperGamma(1, x), Math.exp(-x))).toBeLessThan(1e-14);
    }
    expect(regularizedLowerGamma(0.5, 1)).toBeCloseTo(0.84270079294971486934, 15);
  });

  it('handles the endpoints and P + Q = 1', () => {
    expect(regularizedLowerGamma(3, 0)).toBe(0);
    expect(regularizedLowerGamma(3, Infinity)).toBe(1);
    for (const [a, x] of [
      [0.3, 0.2],
      [7, 9],
      [256, 240],
      [256, 270],
      [1024, 1100],
    ]) {
      expect(Math.abs(regularizedLowerGamma(a, x) + regularizedUpperGamma(a, x) - 1)).toBeLessThan(1e-15);
    }
    expect(() => regularizedLowerGamma(0, 1)).toThrow(RangeError);
    expect(() => regularizedLowerGamma(2, -1)).toThrow(RangeError);
  });

  it('agrees with numerical integration of the density for a = 256, 1024, 5000', () => {
    const cases: [number, number[]][] = [
      [256, [180, 200, 230, 250, 256, 257, 262, 280, 300, 330]],
      [1024, [940, 1000, 1024, 1025.5, 1060, 1100]],
      [5000, [4750, 4900, 5000, 5001, 5100, 5250]],
    ];
    for (const [a, xs] of cases) {
      for (const x of xs) {
        const want = lowerGammaByQuadrature(a, x);
        expect(relErr(regularizedLowerGamma(a, x), want)).toBeLessThan(1e-11);
      }
    }
  });

  it('matches high-precision reference values (mpmath, 60 digits)', () => {
    const reference: [number, number, number][] = [
      [256, 200, 0.0000808155637105825054],
      [256, 256, 0.508311476301429607],
      [256, 300, 0.995694517267542086],
      [1024, 1000, 0.22798372569962148],
      [5000, 4900, 0.0779449562265139139],
      [5000, 5150, 0.982361882552654600],
    ];
    for (const [a, x, p] of reference) expect(relErr(regularizedLowerGamma(a, x), p)).toBeLessThan(1e-13);
    expect(relErr(regularizedUpperGamma(5000, 5150), 0.017638117447345399638)).toBeLessThan(1e-13);
  });

  it('follows the large-a expansion P(a, a) = 1/2 + 1/(3√(2πa)) + 1/(540√(2π) a^{3/2}) + O(a^{-5/2})', () => {
    // The median of Gamma(a, 1) is ≈ a − 1/3, below the mean, so P(a, a) approaches 1/2 from above
    // (equivalently Q(a, a) = 1/2 − 1/(3√(2πa)) + …); the a^{-3/2} coefficient was fitted to mpmath.
    const s = Math.sqrt(2 * Math.PI);
    for (const a of [256, 1000, 1024, 5000, 20000]) {
      const p = regularizedLowerGamma(a, a);
      const twoTerm = 0.5 + 1 / (3 * s * Math.sqrt(a));
      expect(Math.abs(p - twoTerm)).toBeLessThan(1e-3 * a ** -1.5);
      expect(Math.abs(p - twoTerm - 1 / (540 * s * a ** 1.5))).toBeLessThan(1e-2 * a ** -2.5);
    }
  });

  it('gives gammaCdf with the scale parametrisation', () => {
    expect(relErr(gammaCdf(1, 1, 0.5), -Math.expm1(-2))).toBeLessThan(1e-14);
    expect(gammaCdf(0, 256, 0.1)).toBe(0);
    expect(gammaCdf(-3, 256, 0.1)).toBe(0);
    expect(gammaCdf(25.6, 256, 0.1)).toBe(regularizedLowerGamma(256, 25.6 / 0.1));
  });
});

describe('normalCdf and chiSquareCdf', () => {
  it('matches reference normal CDF values', () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(Math.abs(normalCdf(-1) - 0.15865525393145705141)).toBeLessThan(1e-15);
    expect(Math.abs(normalCdf(2.5) - 0.99379033467422386483)).toBeLessThan(1e-15);
    expect(Math.abs(normalCdf(1.959963984540054) - 0.975)).toBeLessThan(1e-15);
    expect(relErr(normalCdf(-10), 7.619853024160526066e-24)).toBeLessThan(1e-13);
    for (const x of [0.1, 0.8, 1.7, 3.3, 6]) expect(Math.abs(normalCdf(x) + normalCdf(-x) - 1)).toBeLessThan(1e-15);
    expect(Math.abs(erfc(1) - (1 - 0.84270079294971486934))).toBeLessThan(1e-15);
  });

  it('matches chi-square quantiles', () => {
    expect(Math.abs(chiSquareCdf(3.84, 1) - 0.9499564787512949)).toBeLessThan(1e-13);
    expect(Math.abs(chiSquareCdf(3.841458820694126, 1) - 0.95)).toBeLessThan(1e-13);
    for (const x of [0.1, 1, 5.991464547107979, 30]) {
      expect(Math.abs(chiSquareCdf(x, 2) + Math.expm1(-x / 2))).toBeLessThan(1e-15);
    }
    expect(chiSquareCdf(0, 4)).toBe(0);
  });
});

describe('Kolmogorov–Smirnov', () => {
  const uniformCdf = (x: number): number => Math.min(1, Math.max(0, x));

  it('computes the exact sup over the empirical steps', () => {
    expect(ksStatistic([0.9, 0.1, 0.5], uniformCdf)).toBeCloseTo(7 / 30, 15);
    expect(ksStatistic([0.5, 0.5], uniformCdf)).toBe(0.5);
    const n = 1000;
    const grid = Array.from({ length: n }, (_, i) => (i + 0.5) / n);
    const result = ksTest(grid, uniformCdf);
    expect(result.statistic).toBeCloseTo(0.5 / n, 15);
    expect(result.pValue).toBe(1);
    expect(result.n).toBe(n);
  });

  it('evaluates the Kolmogorov distribution (reference values from mpmath)', () => {
    // ksPValue(λ / c(n), n) = Q_KS(λ) with Stephens' factor c(n) = √n + 0.12 + 0.11/√n.
    const n = 400;
    const c = Math.sqrt(n) + 0.12 + 0.11 / Math.sqrt(n);
    const reference: [number, number][] = [
      [0.3, 0.99999069419866543338],
      [0.5, 0.96394524366487509439],
      [1.0, 0.2699996716773545212],
      [1.18, 0.12345380942976571391],
      [1.3580986393225505, 0.05],
      [2, 0.00067092525577969535],
    ];
    for (const [lambda, q] of reference) expect(Math.abs(ksPValue(lambda / c, n) - q)).toBeLessThan(1e-12);
    expect(Math.abs(ksPValue(1.18 / c - 1e-12, n) - ksPValue(1.18 / c, n))).toBeLessThan(1e-10);
    expect(ksPValue(0, n)).toBe(1);
  });

  it('puts D = 1.36/√n at p ≈ 0.05 for large n', () => {
    for (const n of [10_000, 1_000_000]) expect(Math.abs(ksPValue(1.36 / Math.sqrt(n), n) - 0.05)).toBeLessThan(0.002);
  });

  it('accepts correct normal samples and rejects a shifted distribution at n = 2000', () => {
    const normal = makeNormal(12345);
    const good = Array.from({ length: 2000 }, normal);
    expect(ksTest(good, normalCdf).pValue).toBeGreaterThan(1e-3);
    const shifted = good.map((z) => z + 0.3);
    expect(ksTest(shifted, normalCdf).pValue).toBeLessThan(1e-6);
  });

  it('has roughly nominal size under H0 at small n', () => {
    const uniform = makeUniform(99);
    let rejections = 0;
    const trials = 400;
    for (let t = 0; t < trials; t++) {
      const samples = Array.from({ length: 50 }, uniform);
      if (ksTest(samples, uniformCdf).pValue < 0.05) rejections++;
    }
    // Binomial(400, 0.05): mean 20, sd ≈ 4.4.
    expect(rejections).toBeGreaterThan(6);
    expect(rejections).toBeLessThan(36);
  });
});

describe('d_χ radius distribution', () => {
  const d = 256;
  const eta = 4;
  const n = 500;
  const radiusCdf = (r: number): number => gammaCdf(r, d, 1 / eta);

  it('accepts Gamma(d, 1/η) radii drawn as a sum of d Exp(1/η) variates', () => {
    const uniform = makeUniform(2024);
    const radii = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      let r = 0;
      for (let i = 0; i < d; i++) r -= Math.log(uniform()) / eta;
      radii[k] = r;
    }
    const result = ksTest(radii, radiusCdf);
    expect(result.pValue).toBeGreaterThan(1e-3);
    const { mean, variance } = meanAndVariance(radii);
    expect(Math.abs(mean - d / eta)).toBeLessThan((5 * Math.sqrt(d)) / eta / Math.sqrt(n));
    expect(relErr(variance, d / eta ** 2)).toBeLessThan(0.25);
  });

  it('rejects the per-coordinate mechanism r_i ~ Gamma(1, 1/η), z = r ⊙ sign, radius = ‖z‖', () => {
    const uniform = makeUniform(7);
    const radii = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      let norm2 = 0;
      for (let i = 0; i < d; i++) {
        const sign = uniform() < 0.5 ? -1 : 1;
        const zi = (sign * -Math.log(uniform())) / eta;
        norm2 += zi * zi;
      }
      radii[k] = Math.sqrt(norm2);
    }
    expect(ksTest(radii, radiusCdf).pValue).toBeLessThan(1e-10);
  });
});

describe('meanAndVariance', () => {
  it('computes the unbiased variance stably', () => {
    const small = meanAndVariance([1, 2, 3, 4]);
    expect(small.mean).toBe(2.5);
    expect(small.variance).toBeCloseTo(5 / 3, 14);
    const offset = meanAndVariance(Float64Array.from([1, 2, 3, 4], (x) => 1e9 + x));
    expect(offset.variance).toBeCloseTo(5 / 3, 6);
    expect(Number.isNaN(meanAndVariance([7]).variance)).toBe(true);
    expect(Number.isNaN(meanAndVariance([]).mean)).toBe(true);
  });
});

describe('sphereDirectionMoments', () => {
  it('passes directions from normalised Gaussian vectors (d = 256 and 1024)', () => {
    for (const [dim, count, seed] of [
      [256, 2000, 1],
      [1024, 600, 2],
    ]) {
      const dirs = normalisedDirections(count, dim, makeNormal(seed));
      const m = sphereDirectionMoments(dirs, count, dim);
      expect(m.maxAbsMeanZ).toBeLessThan(5);
      expect(m.maxSecondMomentZ).toBeLessThan(5);
      expect(m.maxSecondMomentRelErr).toBeLessThan(5 * Math.sqrt(2 / count));
      expect(m.maxCrossMomentZ).toBeLessThan(5);
      expect(m.fourthMomentZ).toBeLessThan(5);
      expect(m.maxNormErr).toBeLessThan(1e-6);
      expect(m.meanNormErr).toBeLessThanOrEqual(m.maxNormErr);
    }
  });

  it('standardises by the exact sphere variances (E[z²] ≈ 1 for single directions)', () => {
    // With count = 1 each z is a single standardised draw, so mean z² over many draws estimates
    // Var/assumedVar. For d = 2 there is exactly one pair and u_0² − 1/2 = −(u_1² − 1/2), so the
    // "max" statistics are single z-scores too.
    const draws = 20_000;
    for (const dim of [2, 5, 64]) {
      const normal = makeNormal(100 + dim);
      let fourth = 0;
      let cross = 0;
      let second = 0;
      for (let k = 0; k < draws; k++) {
        const m = sphereDirectionMoments(normalisedDirections(1, dim, normal), 1, dim);
        fourth += m.fourthMomentZ ** 2;
        cross += m.maxCrossMomentZ ** 2;
        second += m.maxSecondMomentZ ** 2;
      }
      expect(Math.abs(fourth / draws - 1)).toBeLessThan(0.1);
      if (dim === 2) {
        expect(Math.abs(cross / draws - 1)).toBeLessThan(0.05);
        expect(Math.abs(second / draws - 1)).toBeLessThan(0.05);
      }
    }
  });

  it('catches uniform-in-cube directions through the fourth moment only', () => {
    // Sign- and permutation-symmetric, so E[u_i], E[u_i²] = 1/d and E[u_i u_j] match the sphere
    // exactly; E[u_i⁴] ≈ 9/(5d²) instead of 3/(d(d+2)).
    const dim = 256;
    const count = 2000;
    const uniform = makeUniform(5);
    const m = sphereDirectionMoments(normalisedDirections(count, dim, () => 2 * uniform() - 1), count, dim);
    expect(m.maxAbsMeanZ).toBeLessThan(5);
    expect(m.maxSecondMomentZ).toBeLessThan(5);
    expect(m.maxCrossMomentZ).toBeLessThan(5);
    expect(m.fourthMomentZ).toBeGreaterThan(50);
  });

  it('catches a mean shift, correlated neighbours and unnormalised output', () => {
    const dim = 256;
    const count = 2000;

    const shiftedNormal = makeNormal(11);
    let i = 0;
    const shifted = sphereDirectionMoments(
      normalisedDirections(count, dim, () => shiftedNormal() + (i++ % dim === 3 ? 0.2 : 0)),
      count,
      dim,
    );
    expect(shifted.maxAbsMeanZ).toBeGreaterThan(5);

    const pairedNormal = makeNormal(12);
    let previous = 0;
    let j = 0;
    const correlated = sphereDirectionMoments(
      normalisedDirections(count, dim, () => {
        const z = pairedNormal();
        const value = j++ % 2 === 1 ? 0.8 * z + 0.6 * previous : z;
        previous = z;
        return value;
      }),
      count,
      dim,
    );
    expect(correlated.maxCrossMomentZ).toBeGreaterThan(5);

    const rawNormal = makeNormal(13);
    const raw = Float32Array.from({ length: 50 * dim }, rawNormal);
    expect(sphereDirectionMoments(raw, 50, dim).maxNormErr).toBeGreaterThan(1);
  });

  it('rejects malformed input', () => {
    expect(() => sphereDirectionMoments(new Float64Array(6), 2, 3)).toThrow(RangeError);
    expect(() => sphereDirectionMoments(new Float64Array(5), 2, 3)).toThrow(RangeError);
    expect(() => sphereDirectionMoments(new Float64Array(4), 4, 1)).toThrow(RangeError);
  });
});
