// Activation functions shared by the transformer kernels (included, not compiled alone).
// Reference: src/transformer/kernels/activations.ts (double precision).
//
//   ACT_NONE      x
//   ACT_RELU      max(x, 0)
//   ACT_GELU      x·Φ(x) = ½·x·erfc(−x/√2)               exact GELU (HF BERT "gelu")
//   ACT_GELU_TANH ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))  tanh approximation ("gelu_new")
//   ACT_TANH      tanh(x)
//
// WGSL has no erf. erfcFast is the Chebyshev fit of Numerical Recipes (2nd ed., §6.2, erfcc), whose
// *relative* error is below 1.2e-7 for every x. Relative accuracy matters here: GELU of a negative x is
// ½·x·erfc(|x|/√2), a product with a tiny erfc, and an absolute-error erf (Abramowitz–Stegun 7.1.26,
// 1.5e-7) would lose every digit of it in 1 + erf(x).

const ACT_NONE: u32 = 0u;
const ACT_RELU: u32 = 1u;
const ACT_GELU: u32 = 2u;
const ACT_GELU_TANH: u32 = 3u;
const ACT_TANH: u32 = 4u;

fn erfcFast(x: f32) -> f32 {
  let z = abs(x);
  let t = 1.0 / (1.0 + 0.5 * z);
  let poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  let r = t * exp(-z * z + poly);
  return select(2.0 - r, r, x >= 0.0);
}

// tanh(x) = sign(x)·(1 − e)/(1 + e) with e = exp(−2|x|) ∈ (0, 1]: no overflow for any x (a naive
// (e^{2x}−1)/(e^{2x}+1) is inf/inf past x ≈ 44, and the builtin's precision is implementation-defined).
// Absolute error about 1e-7, which is what an activation needs.
fn tanhSafe(x: f32) -> f32 {
  let e = exp(-2.0 * abs(x));
  return sign(x) * (1.0 - e) / (1.0 + e);
}

fn activate(x: f32, kind: u32) -> f32 {
  switch kind {
    case 1u: { return max(x, 0.0); }
    case 2u: { return 0.5 * x * erfcFast(-0.70710678118654752 * x); }
    case 3u: { return 0.5 * x * (1.0 + tanhSafe(0.79788456080286536 * (x + 0.044715 * x * x * x))); }
    case 4u: { return tanhSafe(x); }
    default: { return x; }
  }
}
