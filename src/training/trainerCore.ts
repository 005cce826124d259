// What the prompt trainers (UseLiteTrainer, BertTrainer) share: the PromptTrainer interface the training loop
// uses, the shape and batch types, and TrainerCore — the public methods over a ParamStore
// (trainableParams.ts) and a cache of step plans, each plan the prepared dispatches of one
// (batch, sequence length) shape. A trainer supplies the layout of a batch (prepareBatch, with the
// helpers below) and the plan of a shape (buildPlan: encoder, heads.ts, backward, update).

import { PlanCache, type ShapePlan } from '../gpu/planCache';
import { encodeDispatches, type PreparedDispatch } from '../gpu/preparedDispatch';
import type { GpuRuntime } from '../gpu/runtime';
import { IGNORED_TARGET } from './kernels/crossEntropy';
import type { OptimizerSettings, OptimizerState, ParamStore, TrainableParams, TrainMetrics } from './trainableParams';

export interface TrainerShape {
  /** N soft-prompt rows (0: no prompt, e.g. the linear probe). */
  promptLength: number;
  /** m plain-token rows (0: plain prompt tuning, no reconstruction head). */
  plainLength: number;
  classes: number;
  /** c, the reconstruction head's inner width. */
  reconstructionWidth: number;
  /** |T|: reconstruction targets are ids < this. */
  targetVocab: number;
  /** λ, the weight of the reconstruction loss: loss = loss_task + λ·loss_rec. */
  lambda: number;
}

/** One batch as the service sees it: privatised ids only. */
export interface TrainBatch {
  /** Per example: m privatised plain tokens, then the privatised text (no prompt rows). */
  ids: readonly (ArrayLike<number>)[];
  labels: readonly number[];
  /** Per example the m clean plain-token ids the reconstruction head must predict (public). */
  plainTargets?: readonly (ArrayLike<number>)[];
}

/** What the training loop needs of a trainer: UseLiteTrainer and BertTrainer both are one. */
export interface PromptTrainer {
  /** Optimiser steps taken (AdamW's t). */
  readonly steps: number;
  setParams(p: TrainableParams): void;
  /** Zeroes AdamW's moments and step count. */
  resetOptimizer(): void;
  resetMetrics(): void;
  readParams(): Promise<TrainableParams>;
  readGradients(): Promise<TrainableParams>;
  /** AdamW state, for a checkpoint. */
  readOptimizerState(): Promise<OptimizerState>;
  setOptimizerState(state: OptimizerState): void;
  /** Forward and backward on one batch, leaving the gradients in place (tests read them). */
  gradients(batch: TrainBatch): Promise<void>;
  /** One optimiser step with learning rates `lr` for the heads and `promptLr` for the soft prompt. */
  step(batch: TrainBatch, lr: number, promptLr: number): Promise<void>;
  /** Predicted classes and task losses per example (forward only), on the plan of `planBatch` examples. */
  predict(batch: TrainBatch, planBatch?: number): Promise<{ predicted: Uint32Array; losses: Float32Array }>;
  /** The accumulated metrics since the last read, then zeroed. */
  readMetrics(): Promise<TrainMetrics>;
  destroy(): void;
}

/** The buffers and dispatch lists of one (batch, seqLen) shape. */
export interface StepPlan extends ShapePlan {
  batch: number;
  seqLen: number;
  ids: GPUBuffer;
  lengths: GPUBuffer;
  labels: GPUBuffer;
  plainTargets: GPUBuffer;
  taskLosses: GPUBuffer;
  predicted: GPUBuffer;
  /** Zeroed before the backward pass (gradients that are only scattered into). */
  clears: GPUBuffer[];
  forward: PreparedDispatch[];
  backward: PreparedDispatch[];
  update: PreparedDispatch[];
  metrics: PreparedDispatch[];
}

/**
 * The public methods of a prompt trainer. One step is one submit: forward, clears, backward, metrics, then
 * the update and the gradient norm's copy into the metrics; nothing else is read during training, and a
 * step allocates nothing.
 */
export abstract class TrainerCore<P extends StepPlan> implements PromptTrainer {
  private readonly plans: PlanCache<P>;

  protected constructor(
    protected readonly runtime: GpuRuntime,
    protected readonly params: ParamStore,
    /** Plans kept: one per padded sequence length in use (rows round up to 16) — a handful per dataset. */
    maxPlans: number,
  ) {
    this.plans = new PlanCache<P>(maxPlans);
  }

  get optimizer(): OptimizerSettings {
    return this.params.optimizer;
  }

  get steps(): number {
    return this.params.steps;
  }

  setParams(p: TrainableParams): void {
    this.params.set(p);
  }

  resetOptimizer(): void {
    this.params.resetOptimizer();
  }

  resetMetrics(): void {
    this.params.resetMetrics();
  }

  async readParams(): Promise<TrainableParams> {
    return this.params.read('value');
  }

  async readGradients(): Promise<TrainableParams> {
    return this.params.read('grad');
  }

  async readOptimizerState(): Promise<OptimizerState> {
    return this.params.readOptimizerState();
  }

  setOptimizerState(state: OptimizerState): void {
    this.params.setOptimizerState(state);
  }

  async gradients(batch: TrainBatch): Promise<void> {
    const plan = this.prepareBatch(batch, batch.ids.length);
    await this.runtime.submit('computing gradients', (enc) => {
      encodeDispatches(enc, plan.forward);
      for (const b of plan.clears) enc.clearBuffer(b);
      encodeDispatches(enc, plan.backward);
      encodeDispatches(enc, plan.metrics);
    });
  }

  /**
   * One optimiser step: forward, backward, clip, AdamW (the schedule is applied by the caller). The losses
   * are means over the batch's examples, so every example of the batch is real (the loop drops an epoch's
   * last partial batch).
   */
  async step(batch: TrainBatch, lr: number, promptLr: number): Promise<void> {
    const plan = this.prepareBatch(batch, batch.ids.length);
    const t = this.params.beginStep(lr, promptLr);
    await this.runtime.submit('training a step', (enc) => {
      encodeDispatches(enc, plan.forward);
      for (const b of plan.clears) enc.clearBuffer(b);
      encodeDispatches(enc, plan.backward);
      encodeDispatches(enc, plan.metrics);
      encodeDispatches(enc, plan.update);
      this.params.encodeGradNorm(enc);
    });
    this.params.endStep(t);
  }

  async predict(batch: TrainBatch, planBatch = batch.ids.length): Promise<{ predicted: Uint32Array; losses: Float32Array }> {
    // Evaluation batches pad up to the training batch size (ignored rows), so they share the training plans.
    const plan = this.prepareBatch(batch, Math.max(planBatch, batch.ids.length));
    await this.runtime.submit('evaluating', (enc) => encodeDispatches(enc, plan.forward));
    const n = batch.ids.length;
    const [predicted, losses] = await Promise.all([this.runtime.read(plan.predicted, n * 4), this.runtime.read(plan.taskLosses, n * 4)]);
    return { predicted: new Uint32Array(predicted), losses: new Float32Array(losses) };
  }

  async readMetrics(): Promise<TrainMetrics> {
    return this.params.readMetrics();
  }

  destroy(): void {
    this.plans.clear();
    this.params.destroy();
  }

  /** Validates and writes a batch's ids, lengths, labels and targets into the plan for its shape. */
  protected abstract prepareBatch(batch: TrainBatch, planBatch: number): P;

  /** The activation arena and the dispatch lists of one shape. */
  protected abstract buildPlan(batch: number, seqLen: number): P;

  protected plan(batch: number, seqLen: number): P {
    return this.plans.get(`${batch}x${seqLen}`, () => this.buildPlan(batch, seqLen));
  }
}

/** An activation arena: `buf` allocates storage (labelled `${label} ${name}`) that `buffers` lists. */
export function planArena(runtime: GpuRuntime, label: string): { buffers: GPUBuffer[]; buf: (floats: number, name: string) => GPUBuffer } {
  const buffers: GPUBuffer[] = [];
  const buf = (floats: number, name: string) => {
    const b = runtime.storage(floats * 4, `${label} ${name}`);
    buffers.push(b);
    return b;
  };
  return { buffers, buf };
}

/** Throws a RangeError unless the shape's sizes are integers ≥ 0, λ ≥ 0, classes ≥ 2 and a reconstruction head has room. */
export function checkTrainerShape(s: TrainerShape, label: string): void {
  for (const name of ['promptLength', 'plainLength', 'classes', 'reconstructionWidth', 'targetVocab'] as const) {
    const v = s[name];
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`${label}: ${name} must be an integer ≥ 0, got ${v}`);
  }
  if (!(Number.isFinite(s.lambda) && s.lambda >= 0)) throw new RangeError(`${label}: λ must be a finite number ≥ 0, got ${s.lambda}`);
  if (s.classes < 2) throw new RangeError(`${label}: a classifier needs at least 2 classes`);
  if (s.plainLength > 0 && (s.reconstructionWidth < 1 || s.targetVocab < 2)) throw new RangeError(`${label}: the reconstruction head needs a width ≥ 1 and a target vocabulary ≥ 2`);
}

/** Throws a RangeError unless the batch has examples and a label for each; its example count. */
export function checkBatch(batch: TrainBatch, label: string): number {
  const B = batch.ids.length;
  if (B === 0) throw new RangeError(`${label}: empty batch`);
  if (batch.labels.length !== B) throw new RangeError(`${label}: ${B} examples but ${batch.labels.length} labels`);
  return B;
}

/** A batch's host arrays for a plan of `planBatch` examples: labels and plain targets start ignored. */
export interface PackedBatch {
  /** u32 [planBatch, seqLen] */
  ids: Uint32Array;
  lengths: Uint32Array;
  labels: Uint32Array;
  /** u32 [planBatch·m] (at least one) */
  targets: Uint32Array;
}

export function packedBatch(planBatch: number, seqLen: number, plainLength: number): PackedBatch {
  return {
    ids: new Uint32Array(planBatch * seqLen),
    lengths: new Uint32Array(planBatch),
    labels: new Uint32Array(planBatch).fill(IGNORED_TARGET),
    targets: new Uint32Array(Math.max(planBatch * plainLength, 1)).fill(IGNORED_TARGET),
  };
}

/**
 * Validates example b's token ids, label and plain targets and writes them: its ids from row `firstRow` of
 * its seqLen rows. The caller checks its length and writes the rest of its layout.
 */
export function packExample(
  packed: PackedBatch,
  batch: TrainBatch,
  b: number,
  o: { label: string; seqLen: number; firstRow: number; vocabSize: number; classes: number; plainLength: number; targetVocab: number },
): void {
  const { label: who, classes, plainLength: m, targetVocab } = o;
  const x = batch.ids[b];
  for (let p = 0; p < x.length; p++) {
    const id = x[p];
    if (!Number.isInteger(id) || id < 0 || id >= o.vocabSize) throw new RangeError(`${who}: token id ${id} is outside the vocabulary`);
    packed.ids[b * o.seqLen + o.firstRow + p] = id;
  }
  const label = batch.labels[b];
  if (!Number.isInteger(label) || label < 0 || label >= classes) throw new RangeError(`${who}: label ${label} is not a class index below ${classes}`);
  packed.labels[b] = label;
  if (m > 0) {
    const t = batch.plainTargets?.[b];
    if (!t || t.length !== m) throw new RangeError(`${who}: example ${b} needs ${m} plain-token targets`);
    for (let i = 0; i < m; i++) {
      if (!Number.isInteger(t[i]) || t[i] < 0 || t[i] >= targetVocab) throw new RangeError(`${who}: plain target ${t[i]} is outside the target vocabulary (${targetVocab})`);
      packed.targets[b * m + i] = t[i];
    }
  }
}

/** Writes a packed batch into its plan's buffers (plain targets only when there are plain rows). */
export function writePackedBatch(runtime: GpuRuntime, plan: StepPlan, packed: PackedBatch, plainLength: number): void {
  runtime.write(plan.ids, packed.ids);
  runtime.write(plan.lengths, packed.lengths);
  runtime.write(plan.labels, packed.labels);
  if (plainLength > 0) runtime.write(plan.plainTargets, packed.targets);
}
