// Activation functions in double precision: the reference for shaders/transformer/activations.wgsl.

export type Activation = 'none' | 'relu' | 'gelu' | 'geluTanh' | 'tanh';

/** Codes of the WGSL `ACTIVATION` override (activations.wgsl: ACT_NONE …). */
export const activationCode: Record<Activation, number> = { none: 0, relu: 1, gelu: 2, geluTanh: 3, tanh: 4 };

/**
 * erf(x) to about 1e-16 absolute: the series erf(x) = 2/√π · e^{−x²} · Σ_n 2ⁿ x^{2n+1} / (1·3·…·(2n+1))
 * (Abramowitz & Stegun 7.1.6). All its terms are positive, so there is no cancellation; it needs about
 * 2x² + 20 terms. Past |x| = 6, erf(x) = ±1 to within 2e-17.
 */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax >= 6) return Math.sign(x);
  let term = ax;
  let sum = ax;
  for (let n = 1; n < 200; n++) {
    term *= (2 * ax * ax) / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * Math.exp(-ax * ax) * sum;
}

/** Exact GELU, x·Φ(x) (HF BERT "gelu"). */
export const gelu = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));

/** The tanh approximation of GELU (HF "gelu_new", GPT-2). */
export const geluTanh = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));

export function activate(x: number, kind: Activation): number {
  switch (kind) {
    case 'relu':
      return Math.max(x, 0);
    case 'gelu':
      return gelu(x);
    case 'geluTanh':
      return geluTanh(x);
    case 'tanh':
      return Math.tanh(x);
    default:
      return x;
  }
}
