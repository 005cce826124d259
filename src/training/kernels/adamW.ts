// Binds and dispatches shaders/training/adamW.wgsl: one AdamW step (decoupled weight decay) over a
// parameter buffer, its gradient (times the global clip scale) and its moment buffers. The per-step values
// (lr, bias corrections) come from a small storage buffer the trainer rewrites each step with
// stepStateFor(), so one prepared dispatch serves the whole run. Reference: adamWReference.ts.

import { packParams, prepareDispatch, type PreparedDispatch } from '../../gpu/preparedDispatch';
import type { Binding, GpuRuntime } from '../../gpu/runtime';
import { requireBytes, requireDims, requireNoAlias } from '../../transformer/kernels/bindings';

export interface AdamWBindings {
  /** f32 [count], updated in place */
  param: Binding;
  /** f32 [count] */
  grad: Binding;
  /** f32 [count], updated in place; zeros before the first step */
  m: Binding;
  /** f32 [count], updated in place; zeros before the first step */
  v: Binding;
  count: number;
  /** f32 [4] = stepStateFor(step, lr, beta1, beta2), rewritten by the trainer before each step */
  stepState: Binding;
  /** f32 [2] = (norm, scale) from ClipScaleKernel; the gradient is multiplied by the scale */
  clip: Binding;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** Bytes of the stepState binding. */
export const STEP_STATE_BYTES = 16;

/** Elements per workgroup (adamW.wgsl: one invocation per element). */
const PER_GROUP = 256;

/**
 * The stepState contents for step `step` (1-based): [lr, 1 − β1^step, 1 − β2^step, 0], computed in f64.
 * Write it with queue.writeBuffer (GpuRuntime.write) before the submit that runs the step.
 */
export function stepStateFor(step: number, lr: number, beta1: number, beta2: number): Float32Array {
  if (!(Number.isInteger(step) && step >= 1)) throw new RangeError(`stepStateFor: step must be an integer ≥ 1, got ${step}`);
  if (!(Number.isFinite(lr) && lr >= 0)) throw new RangeError(`stepStateFor: lr must be a finite number ≥ 0, got ${lr}`);
  checkBeta('stepStateFor', 'beta1', beta1);
  checkBeta('stepStateFor', 'beta2', beta2);
  return Float32Array.of(lr, 1 - beta1 ** step, 1 - beta2 ** step, 0);
}

function checkBeta(where: string, name: string, beta: number): void {
  if (!(beta >= 0 && beta < 1)) throw new RangeError(`${where}: ${name} must be in [0, 1), got ${beta}`);
}

export class AdamWKernel {
  private constructor(
    private readonly runtime: GpuRuntime,
    private readonly pipeline: GPUComputePipeline,
  ) {}

  static async create(runtime: GpuRuntime): Promise<AdamWKernel> {
    return new AdamWKernel(runtime, await runtime.pipeline('training/adamW.wgsl', 'main'));
  }

  /** The uniform { count, β1, 1 − β1, β2, 1 − β2, eps, weightDecay } is appended as the last binding (6). */
  prepare(x: AdamWBindings): PreparedDispatch {
    const { count, beta1, beta2, eps, weightDecay } = x;
    const name = 'adamW';
    requireDims(name, { count });
    checkBeta(name, 'beta1', beta1);
    checkBeta(name, 'beta2', beta2);
    if (!(Number.isFinite(eps) && eps >= 0)) throw new RangeError(`${name}: eps must be a finite number ≥ 0, got ${eps}`);
    if (!(Number.isFinite(weightDecay) && weightDecay >= 0)) throw new RangeError(`${name}: weightDecay must be a finite number ≥ 0, got ${weightDecay}`);
    const bytes = count * 4;
    requireBytes(name, 'param', x.param, bytes);
    requireBytes(name, 'grad', x.grad, bytes);
    requireBytes(name, 'm', x.m, bytes);
    requireBytes(name, 'v', x.v, bytes);
    requireBytes(name, 'stepState', x.stepState, STEP_STATE_BYTES);
    requireBytes(name, 'clip', x.clip, 8);
    const inputs = { grad: x.grad, stepState: x.stepState, clip: x.clip };
    requireNoAlias(name, x.param, { ...inputs, m: x.m, v: x.v });
    requireNoAlias(name, x.m, { ...inputs, v: x.v });
    requireNoAlias(name, x.v, inputs);
    return prepareDispatch(
      this.runtime,
      `${name} ${count}`,
      this.pipeline,
      [x.param, x.grad, x.m, x.v, x.stepState, x.clip],
      packParams([
        { u32: count },
        { f32: beta1 },
        { f32: 1 - beta1 },
        { f32: beta2 },
        { f32: 1 - beta2 },
        { f32: eps },
        { f32: weightDecay },
      ]),
      this.runtime.rowGrid(Math.ceil(count / PER_GROUP)),
    );
  }
}
