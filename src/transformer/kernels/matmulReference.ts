// out[r, c] = act(Σ_k A[r, k]·B[k, c] + bias[c]) + residual[r, c] in double precision: the reference for
// shaders/transformer/matmul*.wgsl. With transposeA, A is given as [k, m] (out = Aᵀ·B, a weight gradient).

import { activate, type Activation } from './activations';

export interface MatmulReferenceInput {
  /** [m, k], or [k, m] when transposeA. Float64Array inputs are taken as they are (finite-difference tests). */
  a: Float32Array | Float64Array;
  /** [k, n], or [n, k] when transposeB. */
  b: Float32Array | Float64Array;
  m: number;
  n: number;
  k: number;
  transposeB?: boolean;
  transposeA?: boolean;
  activation?: Activation;
  bias?: Float32Array;
  residual?: Float32Array;
}

export function matmulReference(x: MatmulReferenceInput): Float64Array {
  const { a, b, m, n, k } = x;
  if (x.transposeA && x.transposeB) throw new RangeError('matmulReference: transposeA together with transposeB is not supported');
  const out = new Float64Array(m * n);
  for (let r = 0; r < m; r++) {
    for (let c = 0; c < n; c++) {
      let s = 0;
      for (let i = 0; i < k; i++) s += (x.transposeA ? a[i * m + r] : a[r * k + i]) * (x.transposeB ? b[c * k + i] : b[i * n + c]);
      if (x.bias) s += x.bias[c];
      s = activate(s, x.activation ?? 'none');
      if (x.residual) s += x.residual[r * n + c];
      out[r * n + c] = s;
    }
  }
  return out;
}
