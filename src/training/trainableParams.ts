// The trained parameters of a prompt trainer (UseLiteTrainer, BertTrainer) on the GPU: one slot per trained
// parameter (value, gradient and AdamW's two moments), AdamW's step count and per-step state, the update
// dispatches (global gradient norm → clip scale → AdamW) and the small metrics buffer that the heads
// accumulate loss sums and correct counts into (heads.ts) and readMetrics() copies back every few steps.

import type { PreparedDispatch } from '../gpu/preparedDispatch';
import type { GpuRuntime } from '../gpu/runtime';
import { AdamWKernel, stepStateFor } from './kernels/adamW';
import { ClipScaleKernel, SumSquaresKernel } from './kernels/globalNorm';

export interface OptimizerSettings {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Global gradient-norm clip; 0 = no clipping. */
  maxGradNorm: number;
}

export const DEFAULT_OPTIMIZER: OptimizerSettings = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1 };

/** The trained parameters, [in, out] row-major. */
export interface TrainableParams {
  prompt: Float32Array;
  taskW: Float32Array;
  taskB: Float32Array;
  recW2: Float32Array;
  recW1: Float32Array;
}

export type ParamName = keyof TrainableParams;
export const PARAM_NAMES: readonly ParamName[] = ['prompt', 'taskW', 'taskB', 'recW2', 'recW1'];

export function emptyParams(): TrainableParams {
  return { prompt: new Float32Array(0), taskW: new Float32Array(0), taskB: new Float32Array(0), recW2: new Float32Array(0), recW1: new Float32Array(0) };
}

/** AdamW's step count and moments, for a checkpoint. */
export interface OptimizerState {
  step: number;
  m: TrainableParams;
  v: TrainableParams;
}

export interface TrainMetrics {
  /** Σ over examples of the task cross-entropy since the last read. */
  taskLossSum: number;
  /** Σ over plain rows of the reconstruction cross-entropy since the last read. */
  recLossSum: number;
  taskCorrect: number;
  recCorrect: number;
  /** Global gradient norm of the last step (before clipping). */
  gradNorm: number;
}

/** Metric slots in the GPU metrics buffer. */
export const METRIC_SLOT = { taskLoss: 0, recLoss: 1, taskCorrect: 2, recCorrect: 3, gradNorm: 4 } as const;
const METRIC_SLOTS = 8;

export interface ParamSlot {
  name: ParamName;
  floats: number;
  value: GPUBuffer;
  grad: GPUBuffer;
  m: GPUBuffer;
  v: GPUBuffer;
  /** The prompt has its own learning rate (Lester et al. tune prompts with much larger steps). */
  group: 'prompt' | 'heads';
}

interface UpdateKernels {
  sumSquares: SumSquaresKernel;
  clipScale: ClipScaleKernel;
  adamW: AdamWKernel;
}

/** The GPU side of the trained parameters and their optimiser; `label` prefixes errors and buffer labels. */
export class ParamStore {
  private stepCount = 0;

  private constructor(
    private readonly runtime: GpuRuntime,
    private readonly label: string,
    private readonly sizes: Readonly<Record<ParamName, number>>,
    readonly optimizer: OptimizerSettings,
    private readonly kernels: UpdateKernels,
    /** The trained parameters (size > 0), in PARAM_NAMES order. */
    readonly slots: readonly ParamSlot[],
    private readonly stepState: { prompt: GPUBuffer; heads: GPUBuffer },
    private readonly normPartials: GPUBuffer,
    /** (norm, scale) of the last step (ClipScaleKernel). */
    private readonly clip: GPUBuffer,
    /** Loss sums and correct counts since the last read, at METRIC_SLOT. */
    readonly metrics: GPUBuffer,
    private readonly metricsStaging: GPUBuffer,
    private readonly owned: GPUBuffer[],
  ) {}

  /** Slots for every parameter of size > 0 in `sizes`, set to `initial`, with zero moments and metrics. */
  static async create(runtime: GpuRuntime, label: string, sizes: Record<ParamName, number>, optimizer: OptimizerSettings, initial: TrainableParams): Promise<ParamStore> {
    const [sumSquares, clipScale, adamW] = await Promise.all([SumSquaresKernel.create(runtime), ClipScaleKernel.create(runtime), AdamWKernel.create(runtime)]);
    const owned: GPUBuffer[] = [];
    const buf = (floats: number, name: string) => {
      const b = runtime.storage(floats * 4, `${label} ${name}`);
      owned.push(b);
      return b;
    };
    const slots: ParamSlot[] = [];
    for (const name of PARAM_NAMES) {
      const floats = sizes[name];
      if (floats === 0) continue;
      slots.push({ name, floats, value: buf(floats, name), grad: buf(floats, `${name}.grad`), m: buf(floats, `${name}.m`), v: buf(floats, `${name}.v`), group: name === 'prompt' ? 'prompt' : 'heads' });
    }
    const store = new ParamStore(
      runtime, label, { ...sizes }, optimizer, { sumSquares, clipScale, adamW }, slots,
      { prompt: buf(4, 'stepState.prompt'), heads: buf(4, 'stepState.heads') }, buf(Math.max(slots.length, 1), 'norm partials'), buf(2, 'clip'), buf(METRIC_SLOTS, 'metrics'),
      runtime.device.createBuffer({ label: `${label} metrics staging`, size: METRIC_SLOTS * 4, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ }),
      owned,
    );
    store.set(initial);
    store.resetOptimizer();
    store.resetMetrics();
    return store;
  }

  /** Optimiser steps taken (AdamW's t). */
  get steps(): number {
    return this.stepCount;
  }

  slot(name: ParamName): ParamSlot {
    const slot = this.slots.find((p) => p.name === name);
    if (!slot) throw new Error(`${this.label}: no parameter ${name}`);
    return slot;
  }

  /** Writes the parameter values; every one must have its size (0 for a part that is not trained). */
  set(p: TrainableParams): void {
    for (const name of PARAM_NAMES) {
      if (p[name].length !== this.sizes[name]) throw new RangeError(`${this.label}: ${name} has ${p[name].length} values, needs ${this.sizes[name]}`);
    }
    for (const slot of this.slots) this.runtime.write(slot.value, p[slot.name]);
  }

  /** Zeroes AdamW's moments and step count. */
  resetOptimizer(): void {
    for (const slot of this.slots) {
      const zeros = new Float32Array(slot.floats);
      this.runtime.write(slot.m, zeros);
      this.runtime.write(slot.v, zeros);
    }
    this.stepCount = 0;
  }

  async read(which: 'value' | 'grad' | 'm' | 'v'): Promise<TrainableParams> {
    const out = emptyParams();
    for (const slot of this.slots) out[slot.name] = new Float32Array(await this.runtime.read(slot[which], slot.floats * 4));
    return out;
  }

  async readOptimizerState(): Promise<OptimizerState> {
    return { step: this.stepCount, m: await this.read('m'), v: await this.read('v') };
  }

  setOptimizerState(state: OptimizerState): void {
    for (const slot of this.slots) {
      for (const [which, values] of [['m', state.m[slot.name]], ['v', state.v[slot.name]]] as const) {
        if (values.length !== slot.floats) throw new RangeError(`${this.label}: ${slot.name}.${which} has ${values.length} values, needs ${slot.floats}`);
      }
      this.runtime.write(slot.m, state.m[slot.name]);
      this.runtime.write(slot.v, state.v[slot.name]);
    }
    this.stepCount = state.step;
  }

  /** Writes the learning rates and bias corrections of the next step; returns its t (endStep takes it). */
  beginStep(lr: number, promptLr: number): number {
    const t = this.stepCount + 1;
    const o = this.optimizer;
    this.runtime.write(this.stepState.heads, stepStateFor(t, lr, o.beta1, o.beta2));
    this.runtime.write(this.stepState.prompt, stepStateFor(t, promptLr, o.beta1, o.beta2));
    return t;
  }

  /** Counts step t as taken (after its submit). */
  endStep(t: number): void {
    this.stepCount = t;
  }

  /**
   * The update of one step, for a plan (its dispatches are destroyed with it): the global gradient norm's
   * partial sums, the clip scale, then AdamW on every slot. Nothing when no parameter is trained.
   */
  prepareUpdate(): PreparedDispatch[] {
    const update: PreparedDispatch[] = [];
    if (this.slots.length === 0) return update;
    const k = this.kernels;
    const o = this.optimizer;
    this.slots.forEach((p, i) => update.push(k.sumSquares.prepare({ x: p.grad, count: p.floats, partials: this.normPartials, slot: i })));
    update.push(k.clipScale.prepare({ partials: this.normPartials, slots: this.slots.length, out: this.clip, maxNorm: o.maxGradNorm }));
    for (const p of this.slots) {
      // No weight decay on biases (common practice; the bias is a few numbers).
      const weightDecay = p.name === 'taskB' ? 0 : o.weightDecay;
      update.push(k.adamW.prepare({ param: p.value, grad: p.grad, m: p.m, v: p.v, count: p.floats, stepState: this.stepState[p.group], clip: this.clip, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay }));
    }
    return update;
  }

  /** Records the step's gradient norm (before clipping) into the metrics, after the update. */
  encodeGradNorm(enc: GPUCommandEncoder): void {
    enc.copyBufferToBuffer(this.clip, 0, this.metrics, METRIC_SLOT.gradNorm * 4, 4);
  }

  resetMetrics(): void {
    this.runtime.write(this.metrics, new Float32Array(METRIC_SLOTS));
  }

  /** The accumulated metrics since the last read, then zeroed. One small copy; call it every few steps. */
  async readMetrics(): Promise<TrainMetrics> {
    await this.runtime.submit('reading training metrics', (enc) => enc.copyBufferToBuffer(this.metrics, 0, this.metricsStaging, 0, METRIC_SLOTS * 4));
    await this.metricsStaging.mapAsync(GPUMapMode.READ);
    const m = new Float32Array(this.metricsStaging.getMappedRange().slice(0));
    this.metricsStaging.unmap();
    this.resetMetrics();
    const S = METRIC_SLOT;
    return { taskLossSum: m[S.taskLoss], recLossSum: m[S.recLoss], taskCorrect: m[S.taskCorrect], recCorrect: m[S.recCorrect], gradNorm: m[S.gradNorm] };
  }

  destroy(): void {
    for (const b of this.owned) b.destroy();
    this.metricsStaging.destroy();
  }
}
