/**
 * Goodness-of-fit helpers for checking sampled privacy noise against its target distribution:
 * one-sample Kolmogorov–Smirnov, streaming moments, and moment checks for directions that should be
 * uniform on the unit sphere S^{d−1}. Dependency-free, double precision, Node and browser.
 */

/** Result of a one-sample Kolmogorov–Smirnov test. */
export interface KsResult {
  /** D = sup_x |F_n(x) − F(x)|. */
  statistic: number;
  /** Asymptotic p-value P(D_n ≥ statistic) under H0, with Stephens' small-n correction. */
  pValue: number;
  /** Number of samples. */
  n: number;
}

/**
 * One-sample Kolmogorov–Smirnov statistic D = sup_x |F_n(x) − F(x)| for a continuous CDF `cdf`.
 * The sup is attained at a jump of the empirical CDF, so with sorted samples x_(0) ≤ … ≤ x_(n−1)
 *   D = max_i max( F(x_(i)) − i/n, (i+1)/n − F(x_(i)) )
 * (Numerical Recipes 3rd ed. §14.3.3). This is exact, including with tied samples: the extra terms a
 * tie introduces are dominated by those of its first and last members.
 */
export function ksStatistic(samples: ArrayLike<number>, cdf: (x: number) => number): number {
  const n = samples.length;
  if (n === 0) throw new RangeError('ksStatistic: need at least one sample');
  const sorted = Float64Array.from(samples);
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(sorted[i])) throw new RangeError(`ksStatistic: sample ${i} is NaN`);
  }
  sorted.sort();
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(sorted[i]);
    if (!(f >= 0 && f <= 1)) throw new RangeError(`ksStatistic: cdf(${sorted[i]}) = ${f} is not in [0, 1]`);
    const below = f - i / n;
    const above = (i + 1) / n - f;
    if (below > d) d = below;
    if (above > d) d = above;
  }
  return d;
}

/** √(2π), the prefactor of the small-λ (Jacobi theta) form of the Kolmogorov CDF. */
const SQRT_2PI = 2.5066282746310002;

/**
 * Complementary Kolmogorov distribution Q_KS(λ) = lim P(√n·D_n > λ) = 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²}.
 * That alternating series converges slowly for small λ, so below λ = 1.18 we use the equivalent
 * theta-function form P_KS(λ) = (√(2π)/λ) Σ_{k≥1} e^{−(2k−1)²π²/(8λ²)} and return 1 − P_KS
 * (Numerical Recipes 3rd ed. §6.14.12, `KSdist`; Marsaglia, Tsang & Wang, "Evaluating Kolmogorov's
 * Distribution", J. Stat. Softw. 8(18), 2003). Four terms of either series reach double precision
 * on its side of the switch point.
 */
function kolmogorovQ(lambda: number): number {
  if (!(lambda > 0)) return 1;
  if (lambda < 1.18) {
    const y = Math.exp(-(Math.PI * Math.PI) / (8 * lambda * lambda));
    const y2 = y * y;
    const y8 = y2 * y2 * y2 * y2;
    const y16 = y8 * y8;
    const y24 = y16 * y8;
    const p = (SQRT_2PI / lambda) * y * (1 + y8 + y24 + y24 * y24);
    return Math.min(1, Math.max(0, 1 - p));
  }
  const x = Math.exp(-2 * lambda * lambda);
  const x2 = x * x;
  const x4 = x2 * x2;
  const x8 = x4 * x4;
  const q = 2 * (x - x4 + x8 * x - x8 * x8);
  return Math.min(1, Math.max(0, q));
}

/**
 * Asymptotic KS p-value P(D_n ≥ D) ≈ Q_KS((√n + 0.12 + 0.11/√n)·D). The effective-√n correction is
 * Stephens (1970), as used in Numerical Recipes §14.3.3; it is accurate to a few percent in the
 * p-value for n ≳ 5 and p ≲ 0.5, which is ample for pass/fail thresholds like p > 1e-3.
 */
export function ksPValue(D: number, n: number): number {
  if (!(n >= 1)) throw new RangeError(`ksPValue: n must be >= 1, got ${n}`);
  if (Number.isNaN(D)) return NaN;
  const sqrtN = Math.sqrt(n);
  return kolmogorovQ((sqrtN + 0.12 + 0.11 / sqrtN) * D);
}

/** One-sample KS test of `samples` against the continuous CDF `cdf`. */
export function ksTest(samples: ArrayLike<number>, cdf: (x: number) => number): KsResult {
  const statistic = ksStatistic(samples, cdf);
  const n = samples.length;
  return { statistic, pValue: ksPValue(statistic, n), n };
}

/** Sample mean and unbiased (n − 1 denominator) sample variance. */
export interface MeanVariance {
  mean: number;
  /** Unbiased sample variance; NaN when n < 2 (undefined rather than a misleading 0). */
  variance: number;
  n: number;
}

/**
 * Mean and variance in one pass with Welford's update (Welford 1962; Knuth TAOCP vol. 2 §4.2.2),
 * which avoids the catastrophic cancellation of Σx² − (Σx)²/n when the mean is large relative to the
 * spread — e.g. Gamma(1024, 1/η) radii, whose coefficient of variation is only 1/32.
 */
export function meanAndVariance(samples: ArrayLike<number>): MeanVariance {
  const n = samples.length;
  let mean = 0;
  let m2 = 0;
  for (let i = 0; i < n; i++) {
    const x = samples[i];
    const delta = x - mean;
    mean += delta / (i + 1);
    m2 += delta * (x - mean);
  }
  return { mean: n > 0 ? mean : NaN, variance: n > 1 ? m2 / (n - 1) : NaN, n };
}

/** Moment statistics of sampled directions; see {@link sphereDirectionMoments} for the scalings. */
export interface SphereMomentReport {
  /** max_i |mean(u_i)| / sqrt(1/(d·n)). */
  maxAbsMeanZ: number;
  /** max_i |mean(u_i²)·d − 1| (relative error; its standard error is ≈ sqrt(2/n), not a z-score). */
  maxSecondMomentRelErr: number;
  /** max_i |mean(u_i²) − 1/d| / sqrt(2(d−1)/(d²(d+2)·n)). */
  maxSecondMomentZ: number;
  /**
   * max over pairs of |mean(u_i·u_j)| / sqrt(1/(d(d+2)·n)). Pairs: all neighbours (i, i+1) and the
   * half-stride pairs (i, i+⌊d/2⌋) — the couplings a Box–Muller pair or a split-buffer indexing bug
   * would introduce.
   */
  maxCrossMomentZ: number;
  /** |mean(Σ_i u_i⁴) − 3/(d+2)| / sqrt(24(d−1)/((d+2)²(d+4)(d+6)·n)). */
  fourthMomentZ: number;
  /** mean over directions of |‖u‖ − 1|. */
  meanNormErr: number;
  /** max over directions of |‖u‖ − 1|. */
  maxNormErr: number;
}

/**
 * Moment checks for `count` directions that should be i.i.d. uniform on S^{d−1}, stored row-major in
 * `directions` (direction k occupies [k·dim, (k+1)·dim)). Each direction is first divided by its own
 * norm (the norm is reported separately in `meanNormErr`/`maxNormErr`), so the moment statistics test
 * only the direction distribution.
 *
 * Reference moments of u uniform on S^{d−1}: E[Π u_i^{2k_i}] = Π (2k_i − 1)!! / (d(d+2)…(d+2K−2)),
 * K = Σ k_i, and every moment with an odd power vanishes. Hence
 *   E[u_i] = 0, Var u_i = 1/d;  E[u_i²] = 1/d, Var u_i² = 2(d−1)/(d²(d+2));
 *   E[u_i u_j] = 0, Var(u_i u_j) = E[u_i² u_j²] = 1/(d(d+2))  (i ≠ j);
 *   S = Σ_i u_i⁴: E[S] = 3/(d+2), Var S = 24(d−1)/((d+2)²(d+4)(d+6)).
 * The z-scores below divide the deviation of the sample mean by the exact standard error
 * sqrt(Var/n), so under H0 each is ≈ N(0, 1) in absolute value (CLT) and a threshold such as 5 has a
 * family-wise false-alarm rate of ~1e-6 per coordinate or pair tested.
 *
 * The fourth moment is what catches "plausible" non-uniform generators: any distribution that is
 * invariant under coordinate sign flips and permutations (e.g. a uniform point in the cube, then
 * normalised) matches the sphere in E[u_i], E[u_i²] = 1/d and E[u_i u_j] exactly, and differs first in
 * E[u_i⁴] (cube: ≈ 9/(5d²) vs 3/(d(d+2)) on the sphere).
 */
export function sphereDirectionMoments(
  directions: Float32Array | Float64Array,
  count: number,
  dim: number,
): SphereMomentReport {
  if (!Number.isInteger(dim) || dim < 2) {
    throw new RangeError(`sphereDirectionMoments: dim must be an integer >= 2, got ${dim}`);
  }
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`sphereDirectionMoments: count must be an integer >= 1, got ${count}`);
  }
  if (directions.length < count * dim) {
    throw new RangeError(`sphereDirectionMoments: need ${count * dim} values, got ${directions.length}`);
  }
  const d = dim;
  const n = count;
  const half = Math.floor(d / 2);
  const pairs: [number, number][] = [];
  for (let i = 0; i + 1 < d; i++) pairs.push([i, i + 1]);
  if (half > 1) for (let i = 0; i + half < d; i++) pairs.push([i, i + half]);

  const sum1 = new Float64Array(d);
  const sum2 = new Float64Array(d);
  const sumCross = new Float64Array(pairs.length);
  const u = new Float64Array(d);
  let sumS4 = 0;
  let sumNormErr = 0;
  let maxNormErr = 0;

  for (let k = 0; k < n; k++) {
    const base = k * d;
    let norm2 = 0;
    for (let i = 0; i < d; i++) {
      const v = directions[base + i];
      norm2 += v * v;
    }
    const norm = Math.sqrt(norm2);
    if (!(norm > 0) || !Number.isFinite(norm)) {
      throw new RangeError(`sphereDirectionMoments: direction ${k} has norm ${norm}`);
    }
    const normErr = Math.abs(norm - 1);
    sumNormErr += normErr;
    if (normErr > maxNormErr) maxNormErr = normErr;

    let s4 = 0;
    for (let i = 0; i < d; i++) {
      const ui = directions[base + i] / norm;
      u[i] = ui;
      const ui2 = ui * ui;
      sum1[i] += ui;
      sum2[i] += ui2;
      s4 += ui2 * ui2;
    }
    sumS4 += s4;
    for (let p = 0; p < pairs.length; p++) {
      const [i, j] = pairs[p];
      sumCross[p] += u[i] * u[j];
    }
  }

  const seMean = Math.sqrt(1 / (d * n));
  const seSecond = Math.sqrt((2 * (d - 1)) / (d * d * (d + 2) * n));
  const seCross = Math.sqrt(1 / (d * (d + 2) * n));
  const seFourth = Math.sqrt((24 * (d - 1)) / ((d + 2) * (d + 2) * (d + 4) * (d + 6) * n));

  let maxAbsMeanZ = 0;
  let maxSecondMomentRelErr = 0;
  let maxSecondMomentZ = 0;
  for (let i = 0; i < d; i++) {
    const m1 = sum1[i] / n;
    const m2 = sum2[i] / n;
    maxAbsMeanZ = Math.max(maxAbsMeanZ, Math.abs(m1) / seMean);
    maxSecondMomentRelErr = Math.max(maxSecondMomentRelErr, Math.abs(m2 * d - 1));
    maxSecondMomentZ = Math.max(maxSecondMomentZ, Math.abs(m2 - 1 / d) / seSecond);
  }
  let maxCrossMomentZ = 0;
  for (let p = 0; p < pairs.length; p++) {
    maxCrossMomentZ = Math.max(maxCrossMomentZ, Math.abs(sumCross[p] / n) / seCross);
  }
  const fourthMomentZ = Math.abs(sumS4 / n - 3 / (d + 2)) / seFourth;

  return {
    maxAbsMeanZ,
    maxSecondMomentRelErr,
    maxSecondMomentZ,
    maxCrossMomentZ,
    fourthMomentZ,
    meanNormErr: sumNormErr / n,
    maxNormErr,
  };
}
