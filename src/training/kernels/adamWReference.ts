// AdamW with decoupled weight decay in double precision: the reference for shaders/training/adamW.wgsl.
//   g = grad·clipScale;  m = β1·m + (1 − β1)·g;  v = β2·v + (1 − β2)·g²
//   p −= lr·( (m / (1 − β1^t)) / (sqrt(v / (1 − β2^t)) + eps) + weightDecay·p )

export interface AdamWHyperparameters {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export interface AdamWState {
  param: Float64Array;
  m: Float64Array;
  v: Float64Array;
}

/** A fresh state: the given parameters, zero moments. */
export function adamWInitialState(param: ArrayLike<number>): AdamWState {
  return { param: Float64Array.from(param), m: new Float64Array(param.length), v: new Float64Array(param.length) };
}

/** One AdamW step number `step` (1-based); returns the new state (the input is not modified). */
export function adamWReference(state: AdamWState, grad: ArrayLike<number>, step: number, clipScale: number, h: AdamWHyperparameters): AdamWState {
  if (!(Number.isInteger(step) && step >= 1)) throw new RangeError(`adamWReference: step must be an integer ≥ 1, got ${step}`);
  const n = state.param.length;
  if (grad.length !== n || state.m.length !== n || state.v.length !== n) throw new RangeError('adamWReference: param, grad, m and v must have the same length');
  const bc1 = 1 - h.beta1 ** step;
  const bc2 = 1 - h.beta2 ** step;
  const out: AdamWState = { param: new Float64Array(n), m: new Float64Array(n), v: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    const g = grad[i] * clipScale;
    const m = h.beta1 * state.m[i] + (1 - h.beta1) * g;
    const v = h.beta2 * state.v[i] + (1 - h.beta2) * g * g;
    const p = state.param[i];
    out.m[i] = m;
    out.v[i] = v;
    out.param[i] = p - h.lr * (m / bc1 / (Math.sqrt(v / bc2) + h.eps) + h.weightDecay * p);
  }
  return out;
}
