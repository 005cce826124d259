// out[r, c] = act(Σ_k A[r, k]·B[k, c] + bias[c]) + residual[r, c] in double precision: the reference for
// shaders/transformer/matmul*.wgsl.

import { activate, type Activation } from './activations';

export interface MatmulReferenceInput {
  a: Float32Array;
  /** [k, n], or [n, k] when transposeB. */
  b: Float32Array;
  m: number;
  n: number;
  k: number;
  transposeB?: boolean;
  activation?: Activation;
  bias?: Float32Array;
  residual?: Float32Array;
}

export function matmulReference(x: MatmulReferenceInput): Float64Array {
  const { a, b, m, n, k } = x;
  const out = new Float64Array(m * n);
  for (let r = 0; r < m; r++) {
    for (let c = 0; c < n; c++) {
      let s = 0;
      for (let i = 0; i < k; i++) s += a[r * k + i] * (x.transposeB ? b[c * k + i] : b[i * n + c]);
      if (x.bias) s += x.bias[c];
      s = activate(s, x.activation ?? 'none');
      if (x.residual) s += x.residual[r * n + c];
      out[r * n + c] = s;
    }
  }
  return out;
}
