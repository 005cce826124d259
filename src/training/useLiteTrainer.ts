// Prompt tuning and RAPT on the frozen USE-Lite encoder, on our WGSL kernels (design:
// docs/training-design.md; reference: reference/useLiteTrainingReference.ts; fixture:
// ../shared/fixtures/rapt-train-step.json).
//
// One training step is one submit of prepared dispatches, built once per (batch, sequence length) shape:
//   forward   x0 = [P ; 2E[k'] ; 2E[x']] + t           embedding, then the soft prompt over rows p < N
//             two encoder layers, every activation kept for the backward
//             task: pooled = mean of text rows → logits = pooled·Wc + bc → softmax-CE
//             RAPT: g = final states at the plain rows → z = g·W2 → logits = z·W1 → softmax-CE (× λ)
//   backward  head weight gradients (Xᵀ·dY), then activation gradients only through the frozen layers,
//             down to dX0, whose prompt rows summed over the batch are dP (no atomics: one owner per element)
//   update    global gradient norm → clip scale → AdamW on P, Wc, bc, W2, W1
// Loss sums and correct counts accumulate in a small GPU buffer that readMetrics() copies back every few
// steps; nothing else is read during training, and a step allocates nothing.

import type { GpuRuntime } from '../gpu/runtime';
import { PlanCache } from '../gpu/planCache';
import { encodeDispatches, type PreparedDispatch } from '../gpu/preparedDispatch';
import type { LayerBuffers } from '../model/useLite/useLiteEncoder';
import type { UseLiteWeights } from '../model/useLite/useLiteWeights';
import { AttentionKernel } from '../transformer/kernels/attention';
import { EmbeddingKernel } from '../transformer/kernels/embedding';
import { GatherRowsKernel } from '../transformer/kernels/gatherRows';
import { LayerNormKernel } from '../transformer/kernels/layerNorm';
import { MatmulKernel } from '../transformer/kernels/matmul';
import { AdamWKernel, stepStateFor } from './kernels/adamW';
import { AttentionBackwardKernel } from './kernels/attentionBackward';
import { ClipScaleKernel, SumSquaresKernel } from './kernels/globalNorm';
import { ColumnSumKernel } from './kernels/columnSum';
import { CrossEntropyKernel } from './kernels/crossEntropy';
import { LayerNormBackwardKernel } from './kernels/layerNormBackward';
import { RangeMeanPoolKernel } from './kernels/rangeMeanPool';
import { CountCorrectKernel, ReduceSumKernel } from './kernels/reduceSum';
import { ReluBackwardKernel } from './kernels/reluBackward';
import { ScatterAddRowsKernel, plainRowIndex } from './kernels/scatterAddRows';
import { SoftPromptKernel } from './kernels/softPrompt';

const LN_EPS = 1e-6;
/** Ignored target (padding example): zero loss and gradient (crossEntropy.wgsl). */
export const IGNORE_TARGET = 0xffffffff;
/** Plans kept: one per padded sequence length in use (rows round up to 16) — a handful per dataset. */
const MAX_PLANS = 8;

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

/** One batch as the service sees it: privatised ids only. */
export interface TrainBatch {
  /** Per example: m privatised plain tokens, then the privatised text (no prompt rows). */
  ids: readonly (ArrayLike<number>)[];
  labels: readonly number[];
  /** Per example the m clean plain-token ids the reconstruction head must predict (public). */
  plainTargets?: readonly (ArrayLike<number>)[];
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

interface ParamSlot {
  name: ParamName;
  floats: number;
  value: GPUBuffer;
  grad: GPUBuffer;
  m: GPUBuffer;
  v: GPUBuffer;
  /** The prompt has its own learning rate (Lester et al. tune prompts with much larger steps). */
  group: 'prompt' | 'heads';
}

interface Plan {
  batch: number;
  seqLen: number;
  ids: GPUBuffer;
  lengths: GPUBuffer;
  labels: GPUBuffer;
  plainTargets: GPUBuffer;
  taskLosses: GPUBuffer;
  predicted: GPUBuffer;
  buffers: GPUBuffer[];
  /** Everything, for PlanCache's cleanup. */
  dispatches: PreparedDispatch[];
  forward: PreparedDispatch[];
  backward: PreparedDispatch[];
  update: PreparedDispatch[];
  metrics: PreparedDispatch[];
}

interface Kernels {
  embedding: EmbeddingKernel;
  softPrompt: SoftPromptKernel;
  layerNorm: LayerNormKernel;
  attention: AttentionKernel;
  linear: MatmulKernel;
  linearResidual: MatmulKernel;
  linearRelu: MatmulKernel;
  plain: MatmulKernel;
  /** dX = dY·Wᵀ */
  backData: MatmulKernel;
  /** dW = Xᵀ·dY */
  backWeight: MatmulKernel;
  layerNormBackward: LayerNormBackwardKernel;
  layerNormBackwardResidual: LayerNormBackwardKernel;
  attentionBackward: AttentionBackwardKernel;
  reluBackward: ReluBackwardKernel;
  pool: RangeMeanPoolKernel;
  gather: GatherRowsKernel;
  scatter: ScatterAddRowsKernel;
  crossEntropy: CrossEntropyKernel;
  columnSum: ColumnSumKernel;
  sumSquares: SumSquaresKernel;
  clipScale: ClipScaleKernel;
  adamW: AdamWKernel;
  reduceSum: ReduceSumKernel;
  countCorrect: CountCorrectKernel;
}

/** Metric slots in the GPU metrics buffer. */
const SLOT = { taskLoss: 0, recLoss: 1, taskCorrect: 2, recCorrect: 3, gradNorm: 4 } as const;
const METRIC_SLOTS = 8;

export class UseLiteTrainer {
  private readonly plans = new PlanCache<Plan>(MAX_PLANS);
  private readonly metricsStaging: GPUBuffer;
  private stepCount = 0;

  private constructor(
    private readonly runtime: GpuRuntime,
    readonly weights: UseLiteWeights,
    readonly shape: TrainerShape,
    readonly optimizer: OptimizerSettings,
    private readonly kernels: Kernels,
    private readonly frozen: { embeddings: GPUBuffer; timing: GPUBuffer; layers: readonly LayerBuffers[] },
    private readonly params: ParamSlot[],
    private readonly stepState: { prompt: GPUBuffer; heads: GPUBuffer },
    private readonly normPartials: GPUBuffer,
    private readonly clip: GPUBuffer,
    private readonly metrics: GPUBuffer,
    private readonly owned: GPUBuffer[],
  ) {
    this.metricsStaging = runtime.device.createBuffer({ label: 'trainer metrics staging', size: METRIC_SLOTS * 4, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
  }

  /**
   * A trainer over the encoder's frozen weights already on the GPU (UseLiteEncoder.deviceWeights), with the
   * trainable parameters set to `initial`.
   */
  static async create(
    runtime: GpuRuntime,
    weights: UseLiteWeights,
    frozen: { embeddings: GPUBuffer; timing: GPUBuffer; layers: readonly LayerBuffers[] },
    shape: TrainerShape,
    initial: TrainableParams,
    optimizer: OptimizerSettings = DEFAULT_OPTIMIZER,
  ): Promise<UseLiteTrainer> {
    checkShape(weights, shape);
    const [
      embedding, softPrompt, layerNorm, attention, linear, linearResidual, linearRelu, plain, backData, backWeight,
      layerNormBackward, layerNormBackwardResidual, attentionBackward, reluBackward, pool, gather, scatter, crossEntropy,
      columnSum, sumSquares, clipScale, adamW, reduceSum, countCorrect,
    ] = await Promise.all([
      EmbeddingKernel.create(runtime),
      SoftPromptKernel.create(runtime),
      LayerNormKernel.create(runtime),
      AttentionKernel.create(runtime),
      MatmulKernel.create(runtime, { bias: true }),
      MatmulKernel.create(runtime, { bias: true, residual: true }),
      MatmulKernel.create(runtime, { bias: true, activation: 'relu' }),
      MatmulKernel.create(runtime, {}),
      MatmulKernel.create(runtime, { transposeB: true }),
      MatmulKernel.create(runtime, { transposeA: true }),
      LayerNormBackwardKernel.create(runtime, { residual: false }),
      LayerNormBackwardKernel.create(runtime, { residual: true }),
      AttentionBackwardKernel.create(runtime),
      ReluBackwardKernel.create(runtime),
      RangeMeanPoolKernel.create(runtime),
      GatherRowsKernel.create(runtime),
      ScatterAddRowsKernel.create(runtime),
      CrossEntropyKernel.create(runtime),
      ColumnSumKernel.create(runtime),
      SumSquaresKernel.create(runtime),
      ClipScaleKernel.create(runtime),
      AdamWKernel.create(runtime),
      ReduceSumKernel.create(runtime),
      CountCorrectKernel.create(runtime),
    ]);
    const owned: GPUBuffer[] = [];
    const buf = (floats: number, label: string) => {
      const b = runtime.storage(floats * 4, `trainer ${label}`);
      owned.push(b);
      return b;
    };
    const sizes = paramSizes(weights, shape);
    const params: ParamSlot[] = [];
    for (const name of PARAM_NAMES) {
      const floats = sizes[name];
      if (floats === 0) continue;
      params.push({ name, floats, value: buf(floats, name), grad: buf(floats, `${name}.grad`), m: buf(floats, `${name}.m`), v: buf(floats, `${name}.v`), group: name === 'prompt' ? 'prompt' : 'heads' });
    }
    const trainer = new UseLiteTrainer(
      runtime, weights, shape, optimizer,
      { embedding, softPrompt, layerNorm, attention, linear, linearResidual, linearRelu, plain, backData, backWeight, layerNormBackward, layerNormBackwardResidual, attentionBackward, reluBackward, pool, gather, scatter, crossEntropy, columnSum, sumSquares, clipScale, adamW, reduceSum, countCorrect },
      frozen, params, { prompt: buf(4, 'stepState.prompt'), heads: buf(4, 'stepState.heads') }, buf(Math.max(params.length, 1), 'norm partials'), buf(2, 'clip'), buf(METRIC_SLOTS, 'metrics'), owned,
    );
    trainer.setParams(initial);
    trainer.resetOptimizer();
    trainer.resetMetrics();
    return trainer;
  }

  /** Optimiser steps taken (AdamW's t). */
  get steps(): number {
    return this.stepCount;
  }

  setParams(p: TrainableParams): void {
    const sizes = paramSizes(this.weights, this.shape);
    for (const slot of this.params) {
      const value = p[slot.name];
      if (value.length !== sizes[slot.name]) throw new RangeError(`trainer: ${slot.name} has ${value.length} values, needs ${sizes[slot.name]}`);
      this.runtime.write(slot.value, value);
    }
  }

  /** Zeroes AdamW's moments and step count. */
  resetOptimizer(): void {
    for (const slot of this.params) {
      const zeros = new Float32Array(slot.floats);
      this.runtime.write(slot.m, zeros);
      this.runtime.write(slot.v, zeros);
    }
    this.stepCount = 0;
  }

  resetMetrics(): void {
    this.runtime.write(this.metrics, new Float32Array(METRIC_SLOTS));
  }

  async readParams(): Promise<TrainableParams> {
    return this.readSlots('value');
  }

  async readGradients(): Promise<TrainableParams> {
    return this.readSlots('grad');
  }

  /** Parameters and AdamW state, for a checkpoint. */
  async readOptimizerState(): Promise<{ step: number; m: TrainableParams; v: TrainableParams }> {
    return { step: this.stepCount, m: await this.readSlots('m'), v: await this.readSlots('v') };
  }

  setOptimizerState(state: { step: number; m: TrainableParams; v: TrainableParams }): void {
    for (const slot of this.params) {
      this.runtime.write(slot.m, state.m[slot.name]);
      this.runtime.write(slot.v, state.v[slot.name]);
    }
    this.stepCount = state.step;
  }

  /** Forward and backward on one batch, leaving the gradients in place (tests read them). */
  async gradients(batch: TrainBatch): Promise<void> {
    const plan = this.prepareBatch(batch, batch.ids.length);
    await this.runtime.submit('computing gradients', (enc) => {
      encodeDispatches(enc, plan.forward);
      encodeDispatches(enc, plan.backward);
      encodeDispatches(enc, plan.metrics);
    });
  }

  /**
   * One optimiser step: forward, backward, clip, AdamW. `lr` is this step's learning rate for the heads and
   * `promptLr` for the soft prompt (the schedule is applied by the caller). The losses are means over the
   * batch's examples, so every example of the batch is real (the loop drops an epoch's last partial batch).
   */
  async step(batch: TrainBatch, lr: number, promptLr: number): Promise<void> {
    const plan = this.prepareBatch(batch, batch.ids.length);
    const t = this.stepCount + 1;
    this.runtime.write(this.stepState.heads, stepStateFor(t, lr, this.optimizer.beta1, this.optimizer.beta2));
    this.runtime.write(this.stepState.prompt, stepStateFor(t, promptLr, this.optimizer.beta1, this.optimizer.beta2));
    await this.runtime.submit('training a step', (enc) => {
      encodeDispatches(enc, plan.forward);
      encodeDispatches(enc, plan.backward);
      encodeDispatches(enc, plan.metrics);
      encodeDispatches(enc, plan.update);
      enc.copyBufferToBuffer(this.clip, 0, this.metrics, SLOT.gradNorm * 4, 4);
    });
    this.stepCount = t;
  }

  /** Predicted classes and task losses for a batch (evaluation: forward only, the head's loss per example). */
  async predict(batch: TrainBatch, planBatch = batch.ids.length): Promise<{ predicted: Uint32Array; losses: Float32Array }> {
    // Evaluation batches pad up to the training batch size (ignored rows), so they share the training plans.
    const plan = this.prepareBatch(batch, Math.max(planBatch, batch.ids.length));
    await this.runtime.submit('evaluating', (enc) => encodeDispatches(enc, plan.forward));
    const n = batch.ids.length;
    const [predicted, losses] = await Promise.all([this.runtime.read(plan.predicted, n * 4), this.runtime.read(plan.taskLosses, n * 4)]);
    return { predicted: new Uint32Array(predicted), losses: new Float32Array(losses) };
  }

  /** The accumulated metrics since the last read, then zeroed. One small copy; call it every few steps. */
  async readMetrics(): Promise<TrainMetrics> {
    await this.runtime.submit('reading training metrics', (enc) => enc.copyBufferToBuffer(this.metrics, 0, this.metricsStaging, 0, METRIC_SLOTS * 4));
    await this.metricsStaging.mapAsync(GPUMapMode.READ);
    const m = new Float32Array(this.metricsStaging.getMappedRange().slice(0));
    this.metricsStaging.unmap();
    this.resetMetrics();
    return { taskLossSum: m[SLOT.taskLoss], recLossSum: m[SLOT.recLoss], taskCorrect: m[SLOT.taskCorrect], recCorrect: m[SLOT.recCorrect], gradNorm: m[SLOT.gradNorm] };
  }

  destroy(): void {
    this.plans.clear();
    for (const b of this.owned) b.destroy();
    this.metricsStaging.destroy();
  }

  private async readSlots(which: 'value' | 'grad' | 'm' | 'v'): Promise<TrainableParams> {
    const out = emptyParams();
    for (const slot of this.params) out[slot.name] = new Float32Array(await this.runtime.read(slot[which], slot.floats * 4));
    return out;
  }

  /** Validates and writes a batch's ids, lengths, labels and targets into the plan for its shape. */
  private prepareBatch(batch: TrainBatch, planBatch: number): Plan {
    const { promptLength: N, plainLength: m, classes, targetVocab } = this.shape;
    const B = batch.ids.length;
    if (B === 0) throw new RangeError('trainer: empty batch');
    if (batch.labels.length !== B) throw new RangeError(`trainer: ${B} examples but ${batch.labels.length} labels`);
    const longest = Math.max(...batch.ids.map((x) => x.length));
    const need = N + longest;
    if (need > this.weights.maxPositions) throw new RangeError(`trainer: ${need} rows (prompt ${N} + ${longest} tokens) exceed the encoder's ${this.weights.maxPositions} positions`);
    // Few shapes: rows round up to a multiple of 16.
    const seqLen = Math.min(this.weights.maxPositions, Math.ceil(Math.max(need, N + m + 1) / 16) * 16);
    const plan = this.plan(planBatch, seqLen);
    const ids = new Uint32Array(plan.batch * seqLen);
    const lengths = new Uint32Array(plan.batch);
    const labels = new Uint32Array(plan.batch).fill(IGNORE_TARGET);
    const targets = new Uint32Array(Math.max(plan.batch * m, 1)).fill(IGNORE_TARGET);
    for (let b = 0; b < B; b++) {
      const x = batch.ids[b];
      if (x.length < m) throw new RangeError(`trainer: example ${b} has ${x.length} tokens, fewer than the ${m} plain tokens`);
      for (let p = 0; p < x.length; p++) {
        const id = x[p];
        if (!Number.isInteger(id) || id < 0 || id >= this.weights.vocabSize) throw new RangeError(`trainer: token id ${id} is outside the vocabulary`);
        ids[b * seqLen + N + p] = id;
      }
      lengths[b] = N + x.length;
      const label = batch.labels[b];
      if (!Number.isInteger(label) || label < 0 || label >= classes) throw new RangeError(`trainer: label ${label} is not a class index below ${classes}`);
      labels[b] = label;
      if (m > 0) {
        const t = batch.plainTargets?.[b];
        if (!t || t.length !== m) throw new RangeError(`trainer: example ${b} needs ${m} plain-token targets`);
        for (let i = 0; i < m; i++) {
          if (!Number.isInteger(t[i]) || t[i] < 0 || t[i] >= targetVocab) throw new RangeError(`trainer: plain target ${t[i]} is outside the target vocabulary (${targetVocab})`);
          targets[b * m + i] = t[i];
        }
      }
    }
    // Padding examples (rows past B) keep length N + m + 1 of token 0 so every kernel sees a valid row; their
    // targets are ignored, so they contribute nothing to losses or gradients.
    for (let b = B; b < plan.batch; b++) lengths[b] = Math.min(seqLen, N + m + 1);
    this.runtime.write(plan.ids, ids);
    this.runtime.write(plan.lengths, lengths);
    this.runtime.write(plan.labels, labels);
    if (m > 0) this.runtime.write(plan.plainTargets, targets);
    return plan;
  }

  private plan(batch: number, seqLen: number): Plan {
    return this.plans.get(`${batch}x${seqLen}`, () => this.buildPlan(batch, seqLen));
  }

  /** The activation arena and the dispatch lists of one shape. The gradient scales 1/B and λ/(B·m) are baked in. */
  private buildPlan(batch: number, seqLen: number): Plan {
    const rt = this.runtime;
    const k = this.kernels;
    const w = this.weights;
    const { promptLength: N, plainLength: m, classes, reconstructionWidth: c, targetVocab: T, lambda } = this.shape;
    const R = batch * seqLen;
    const buffers: GPUBuffer[] = [];
    const buf = (floats: number, label: string) => {
      const b = rt.storage(floats * 4, `trainer ${batch}x${seqLen} ${label}`);
      buffers.push(b);
      return b;
    };
    const param = (name: ParamName) => {
      const slot = this.params.find((p) => p.name === name);
      if (!slot) throw new Error(`trainer: no parameter ${name}`);
      return slot;
    };
    const ids = buf(R, 'ids');
    const lengths = buf(batch, 'lengths');
    const labels = buf(batch, 'labels');
    const plainTargets = buf(Math.max(batch * m, 1), 'plain targets');
    const forward: PreparedDispatch[] = [];
    const backward: PreparedDispatch[] = [];
    const update: PreparedDispatch[] = [];
    const metrics: PreparedDispatch[] = [];

    // ---- forward ----
    const d0 = w.embeddingDim;
    const x0 = buf(R * d0, 'x0');
    forward.push(k.embedding.prepare({ ids, table: this.frozen.embeddings, positions: this.frozen.timing, out: x0, rows: R, seqLen, hidden: d0, scale: 2 }));
    if (N > 0) forward.push(k.softPrompt.prepareForward({ prompt: param('prompt').value, positions: this.frozen.timing, x: x0, batch, seqLen, promptLength: N, d: d0 }));

    interface Saved { x: GPUBuffer; h: GPUBuffer; qkv: GPUBuffer; o: GPUBuffer; x1: GPUBuffer; f: GPUBuffer; inner: GPUBuffer; out: GPUBuffer }
    const saved: Saved[] = [];
    let x = x0;
    w.layers.forEach((lw, i) => {
      const L = this.frozen.layers[i];
      const width = lw.inputWidth;
      const s: Saved = {
        x,
        h: buf(R * width, `L${i} h`),
        qkv: buf(R * 3 * width, `L${i} qkv`),
        o: buf(R * width, `L${i} o`),
        x1: buf(R * lw.hidden, `L${i} x1`),
        f: buf(R * lw.hidden, `L${i} f`),
        inner: buf(R * lw.ffnWidth, `L${i} inner`),
        out: buf(R * lw.hidden, `L${i} out`),
      };
      forward.push(k.layerNorm.prepare({ x, gamma: L.lnGamma, beta: L.lnBeta, out: s.h, rows: R, cols: width, eps: LN_EPS }));
      forward.push(k.linear.prepare({ a: s.h, b: L.qkvW, bias: L.qkvB, out: s.qkv, m: R, n: 3 * width, k: width }));
      forward.push(k.attention.prepare({ qkv: s.qkv, lengths, out: s.o, batch, seqLen, heads: lw.heads, headDim: width / lw.heads, scale: lw.queryScale }));
      if (L.resW && L.resB) {
        const attn = buf(R * lw.hidden, `L${i} attn`);
        forward.push(k.linear.prepare({ a: s.o, b: L.outW, bias: L.outB, out: attn, m: R, n: lw.hidden, k: width }));
        forward.push(k.linearResidual.prepare({ a: x, b: L.resW, bias: L.resB, residual: attn, out: s.x1, m: R, n: lw.hidden, k: width }));
      } else {
        forward.push(k.linearResidual.prepare({ a: s.o, b: L.outW, bias: L.outB, residual: x, out: s.x1, m: R, n: lw.hidden, k: width }));
      }
      forward.push(k.layerNorm.prepare({ x: s.x1, gamma: L.ffnGamma, beta: L.ffnBeta, out: s.f, rows: R, cols: lw.hidden, eps: LN_EPS }));
      forward.push(k.linearRelu.prepare({ a: s.f, b: L.inW, bias: L.inB, out: s.inner, m: R, n: lw.ffnWidth, k: lw.hidden }));
      forward.push(k.linearResidual.prepare({ a: s.inner, b: L.ffnOutW, bias: L.ffnOutB, residual: s.x1, out: s.out, m: R, n: lw.hidden, k: lw.ffnWidth }));
      saved.push(s);
      x = s.out;
    });
    const H = w.layers[w.layers.length - 1].hidden;
    const finalStates = x;

    // Task head on the mean of the text rows [N + m, length).
    const pooled = buf(batch * H, 'pooled');
    const taskLogits = buf(batch * classes, 'task logits');
    const dTaskLogits = buf(batch * classes, 'task dlogits');
    const taskLosses = buf(batch, 'task losses');
    const predicted = buf(batch, 'predicted');
    forward.push(k.pool.prepareForward({ x: finalStates, lengths, out: pooled, batch, seqLen, hidden: H, start: N + m }));
    forward.push(k.linear.prepare({ a: pooled, b: param('taskW').value, bias: param('taskB').value, out: taskLogits, m: batch, n: classes, k: H }));
    // loss_task is the mean over the batch (step() batches are full; predict() only reads losses per row).
    const taskCe = k.crossEntropy.prepare({ logits: taskLogits, targets: labels, dLogits: dTaskLogits, losses: taskLosses, predicted, rows: batch, classes, scale: 1 / batch });
    forward.push(taskCe);
    metrics.push(k.reduceSum.prepare({ x: taskLosses, out: this.metrics, count: batch, slot: SLOT.taskLoss, factor: 1, accumulate: true }));
    metrics.push(k.countCorrect.prepare({ predicted, targets: labels, out: this.metrics, count: batch, slot: SLOT.taskCorrect }));

    // ---- backward: heads ----
    const dFinal = buf(R * H, 'dFinal');
    const dPooled = buf(batch * H, 'dPooled');
    backward.push(k.backWeight.prepare({ a: pooled, b: dTaskLogits, out: param('taskW').grad, m: H, n: classes, k: batch }));
    backward.push(k.columnSum.prepare({ x: dTaskLogits, out: param('taskB').grad, rows: batch, cols: classes }));
    backward.push(k.backData.prepare({ a: dTaskLogits, b: param('taskW').value, out: dPooled, m: batch, n: H, k: classes }));
    backward.push(k.pool.prepareBackward({ dPooled, lengths, dX: dFinal, batch, seqLen, hidden: H, start: N + m }));

    if (m > 0) {
      const rows = batch * m;
      const index = buf(rows, 'plain rows');
      rt.write(index, plainRowIndex(batch, seqLen, N, m));
      const g = buf(rows * H, 'plain states');
      const z = buf(rows * c, 'rec z');
      const recLogits = buf(rows * T, 'rec logits');
      const dRecLogits = buf(rows * T, 'rec dlogits');
      const recLosses = buf(rows, 'rec losses');
      const recPredicted = buf(rows, 'rec predicted');
      const dz = buf(rows * c, 'rec dz');
      const dg = buf(rows * H, 'rec dg');
      forward.push(k.gather.prepare({ x: finalStates, index, out: g, rows, cols: H }));
      forward.push(k.plain.prepare({ a: g, b: param('recW2').value, out: z, m: rows, n: c, k: H }));
      forward.push(k.plain.prepare({ a: z, b: param('recW1').value, out: recLogits, m: rows, n: T, k: c }));
      forward.push(k.crossEntropy.prepare({ logits: recLogits, targets: plainTargets, dLogits: dRecLogits, losses: recLosses, predicted: recPredicted, rows, classes: T, scale: lambda / rows }));
      metrics.push(k.reduceSum.prepare({ x: recLosses, out: this.metrics, count: rows, slot: SLOT.recLoss, factor: 1, accumulate: true }));
      metrics.push(k.countCorrect.prepare({ predicted: recPredicted, targets: plainTargets, out: this.metrics, count: rows, slot: SLOT.recCorrect }));
      backward.push(k.backWeight.prepare({ a: z, b: dRecLogits, out: param('recW1').grad, m: c, n: T, k: rows }));
      backward.push(k.backData.prepare({ a: dRecLogits, b: param('recW1').value, out: dz, m: rows, n: c, k: T }));
      backward.push(k.backWeight.prepare({ a: g, b: dz, out: param('recW2').grad, m: H, n: c, k: rows }));
      backward.push(k.backData.prepare({ a: dz, b: param('recW2').value, out: dg, m: rows, n: H, k: c }));
      backward.push(k.scatter.prepare({ src: dg, index, dst: dFinal, count: rows, width: H, dstRows: R }));
    }

    // ---- backward: through the frozen layers (activation gradients only), only when a prompt is trained ----
    if (N > 0) {
      let dOut = dFinal;
      for (let i = w.layers.length - 1; i >= 0; i--) {
        const lw = w.layers[i];
        const L = this.frozen.layers[i];
        const s = saved[i];
        const width = lw.inputWidth;
        // out = x1 + relu(LN(x1)·W1 + b1)·W2 + b2
        const dInner = buf(R * lw.ffnWidth, `L${i} dInner`);
        const dInnerRelu = buf(R * lw.ffnWidth, `L${i} dInner relu`);
        const dF = buf(R * lw.hidden, `L${i} dF`);
        const dX1 = buf(R * lw.hidden, `L${i} dX1`);
        backward.push(k.backData.prepare({ a: dOut, b: L.ffnOutW, out: dInner, m: R, n: lw.ffnWidth, k: lw.hidden }));
        backward.push(k.reluBackward.prepare({ y: s.inner, dY: dInner, dX: dInnerRelu, count: R * lw.ffnWidth }));
        backward.push(k.backData.prepare({ a: dInnerRelu, b: L.inW, out: dF, m: R, n: lw.hidden, k: lw.ffnWidth }));
        backward.push(k.layerNormBackwardResidual.prepare({ x: s.x1, gamma: L.ffnGamma, dOut: dF, dRes: dOut, dX: dX1, rows: R, cols: lw.hidden, eps: LN_EPS }));
        // x1 = o·Wo + bo + (x·Wd + bd | x)
        const dO = buf(R * width, `L${i} dO`);
        const dQkv = buf(R * 3 * width, `L${i} dQkv`);
        const dH = buf(R * width, `L${i} dH`);
        const dX = buf(R * width, `L${i} dX`);
        backward.push(k.backData.prepare({ a: dX1, b: L.outW, out: dO, m: R, n: width, k: lw.hidden }));
        const scratch = AttentionBackwardKernel.scratchBytes(batch, lw.heads, seqLen) / 4;
        backward.push(...k.attentionBackward.prepare({ qkv: s.qkv, lengths, dOut: dO, probs: buf(scratch, `L${i} probs`), dScores: buf(scratch, `L${i} dScores`), dQkv, batch, seqLen, heads: lw.heads, headDim: width / lw.heads, scale: lw.queryScale }));
        backward.push(k.backData.prepare({ a: dQkv, b: L.qkvW, out: dH, m: R, n: width, k: 3 * width }));
        let dResidual = dX1;
        if (L.resW) {
          dResidual = buf(R * width, `L${i} dResidual`);
          backward.push(k.backData.prepare({ a: dX1, b: L.resW, out: dResidual, m: R, n: width, k: lw.hidden }));
        }
        backward.push(k.layerNormBackwardResidual.prepare({ x: s.x, gamma: L.lnGamma, dOut: dH, dRes: dResidual, dX, rows: R, cols: width, eps: LN_EPS }));
        dOut = dX;
      }
      backward.push(k.softPrompt.prepareBackward({ dX: dOut, dPrompt: param('prompt').grad, batch, seqLen, promptLength: N, d: d0 }));
    }

    // ---- update: clip by the global norm, then AdamW ----
    this.params.forEach((p, i) => update.push(k.sumSquares.prepare({ x: p.grad, count: p.floats, partials: this.normPartials, slot: i })));
    update.push(k.clipScale.prepare({ partials: this.normPartials, slots: this.params.length, out: this.clip, maxNorm: this.optimizer.maxGradNorm }));
    const o = this.optimizer;
    for (const p of this.params) {
      // No weight decay on biases (common practice; the bias is 2 numbers).
      const weightDecay = p.name === 'taskB' ? 0 : o.weightDecay;
      update.push(k.adamW.prepare({ param: p.value, grad: p.grad, m: p.m, v: p.v, count: p.floats, stepState: this.stepState[p.group], clip: this.clip, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay }));
    }

    return { batch, seqLen, ids, lengths, labels, plainTargets, taskLosses, predicted, buffers, dispatches: [...forward, ...backward, ...metrics, ...update], forward, backward, update, metrics };
  }
}

function checkShape(w: UseLiteWeights, s: TrainerShape): void {
  for (const [name, v] of Object.entries(s)) {
    if (name === 'lambda') {
      if (!(Number.isFinite(v) && v >= 0)) throw new RangeError(`trainer: λ must be a finite number ≥ 0, got ${v}`);
    } else if (!Number.isInteger(v) || v < 0) throw new RangeError(`trainer: ${name} must be an integer ≥ 0, got ${v}`);
  }
  if (s.classes < 2) throw new RangeError('trainer: a classifier needs at least 2 classes');
  if (s.promptLength + s.plainLength + 1 > w.maxPositions) throw new RangeError(`trainer: ${s.promptLength} prompt + ${s.plainLength} plain rows leave no room for text in ${w.maxPositions} positions`);
  if (s.plainLength > 0 && (s.reconstructionWidth < 1 || s.targetVocab < 2)) throw new RangeError('trainer: the reconstruction head needs a width ≥ 1 and a target vocabulary ≥ 2');
}

/** Floats per trainable parameter (0 when that part is not trained). */
export function paramSizes(w: UseLiteWeights, s: TrainerShape): Record<ParamName, number> {
  const H = w.layers[w.layers.length - 1].hidden;
  const rec = s.plainLength > 0;
  return {
    prompt: s.promptLength * w.embeddingDim,
    taskW: H * s.classes,
    taskB: s.classes,
    recW2: rec ? H * s.reconstructionWidth : 0,
    recW1: rec ? s.reconstructionWidth * s.targetVocab : 0,
  };
}

export function emptyParams(): TrainableParams {
  return { prompt: new Float32Array(0), taskW: new Float32Array(0), taskB: new Float32Array(0), recW2: new Float32Array(0), recW1: new Float32Array(0) };
}
