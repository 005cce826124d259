// The BERT activations and their derivatives in double precision: the reference for
// shaders/training/geluBackward.wgsl (and for the BERT training reference).
//   gelu      act(x) = x·Φ(x),  act'(x) = Φ(x) + x·φ(x)       Φ(x) = ½(1 + erf(x/√2)), φ(x) = e^{−x²/2}/√(2π)
//   geluTanh  act(x) = ½x(1 + t),  t = tanh(u), u = √(2/π)(x + 0.044715x³)
//             act'(x) = ½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²)
//   relu      act'(x) = [x > 0]   (subgradient 0 at 0)
// Checked against central finite differences of activate() in tests/gpu/training/bertKernels.test.ts.

import { activate, erf } from '../../transformer/kernels/activations';
import type { TrainableActivation } from './geluBackward';

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

export function activationDerivative(x: number, kind: TrainableActivation): number {
  switch (kind) {
    case 'relu':
      return x > 0 ? 1 : 0;
    case 'geluTanh': {
      const t = Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x));
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x);
    }
    default:
      return 0.5 * (1 + erf(x / Math.SQRT2)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
  }
}

/** y = act(x), f64. */
export function geluForwardReference(x: ArrayLike<number>, kind: TrainableActivation = 'gelu'): Float64Array {
  return Float64Array.from({ length: x.length }, (_, i) => activate(x[i], kind));
}

/** dX = dY·act'(x), f64. */
export function geluBackwardReference(x: ArrayLike<number>, dY: ArrayLike<number>, kind: TrainableActivation = 'gelu'): Float64Array {
  if (x.length !== dY.length) throw new RangeError(`geluBackwardReference: x has ${x.length} elements, dY ${dY.length}`);
  return Float64Array.from({ length: x.length }, (_, i) => dY[i] * activationDerivative(x[i], kind));
}
