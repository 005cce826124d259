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
// steps; nothing else is read during training, and a step allocates nothing. The public methods, the
// parameters and optimiser, and the heads are shared with BertTrainer (trainerCore.ts,
// trainableParams.ts, heads.ts); this file is the USE-Lite layout and encoder forward and backward.

import type { GpuRuntime } from '../gpu/runtime';
import type { LayerBuffers } from '../model/useLite/useLiteEncoder';
import type { UseLiteWeights } from '../model/useLite/useLiteWeights';
import { AttentionKernel } from '../transformer/kernels/attention';
import { EmbeddingKernel } from '../transformer/kernels/embedding';
import { LayerNormKernel } from '../transformer/kernels/layerNorm';
import { MatmulKernel } from '../transformer/kernels/matmul';
import { AttentionBackwardKernel } from './kernels/attentionBackward';
import { LayerNormBackwardKernel } from './kernels/layerNormBackward';
import { ReluBackwardKernel } from './kernels/reluBackward';
import { SoftPromptKernel } from './kernels/softPrompt';
import { createHeadKernels, prepareClassifierHead, prepareReconstructionHead, prepareTaskLoss, type HeadKernels, type PlanLists } from './heads';
import { DEFAULT_OPTIMIZER, ParamStore, type OptimizerSettings, type ParamName, type TrainableParams } from './trainableParams';
import { TrainerCore, checkBatch, checkTrainerShape, packExample, packedBatch, planArena, writePackedBatch } from './trainerCore';
import type { PromptTrainer, StepPlan, TrainBatch, TrainerShape } from './trainerCore';

export { DEFAULT_OPTIMIZER, PARAM_NAMES, emptyParams } from './trainableParams';
export type { OptimizerSettings, OptimizerState, ParamName, TrainableParams, TrainMetrics } from './trainableParams';
export type { PromptTrainer, TrainBatch, TrainerShape } from './trainerCore';

const LN_EPS = 1e-6;
/** Plans kept: one per padded sequence length in use (rows round up to 16) — a handful per dataset. */
const MAX_PLANS = 8;

type Plan = StepPlan;

interface Kernels extends HeadKernels {
  embedding: EmbeddingKernel;
  softPrompt: SoftPromptKernel;
  layerNorm: LayerNormKernel;
  attention: AttentionKernel;
  linearResidual: MatmulKernel;
  linearRelu: MatmulKernel;
  layerNormBackwardResidual: LayerNormBackwardKernel;
  attentionBackward: AttentionBackwardKernel;
  reluBackward: ReluBackwardKernel;
}

type FrozenWeights = { embeddings: GPUBuffer; timing: GPUBuffer; layers: readonly LayerBuffers[] };

export class UseLiteTrainer extends TrainerCore<Plan> implements PromptTrainer {
  private constructor(
    runtime: GpuRuntime,
    readonly weights: UseLiteWeights,
    readonly shape: TrainerShape,
    private readonly kernels: Kernels,
    private readonly frozen: FrozenWeights,
    params: ParamStore,
  ) {
    super(runtime, params, MAX_PLANS);
  }

  /**
   * A trainer over the encoder's frozen weights already on the GPU (UseLiteEncoder.deviceWeights), with the
   * trainable parameters set to `initial`.
   */
  static async create(
    runtime: GpuRuntime,
    weights: UseLiteWeights,
    frozen: FrozenWeights,
    shape: TrainerShape,
    initial: TrainableParams,
    optimizer: OptimizerSettings = DEFAULT_OPTIMIZER,
  ): Promise<UseLiteTrainer> {
    checkShape(weights, shape);
    const [heads, embedding, softPrompt, layerNorm, attention, linearResidual, linearRelu, layerNormBackwardResidual, attentionBackward, reluBackward] = await Promise.all([
      createHeadKernels(runtime),
      EmbeddingKernel.create(runtime),
      SoftPromptKernel.create(runtime),
      LayerNormKernel.create(runtime),
      AttentionKernel.create(runtime),
      MatmulKernel.create(runtime, { bias: true, residual: true }),
      MatmulKernel.create(runtime, { bias: true, activation: 'relu' }),
      LayerNormBackwardKernel.create(runtime, { residual: true }),
      AttentionBackwardKernel.create(runtime),
      ReluBackwardKernel.create(runtime),
    ]);
    const params = await ParamStore.create(runtime, 'trainer', paramSizes(weights, shape), optimizer, initial);
    const kernels: Kernels = { ...heads, embedding, softPrompt, layerNorm, attention, linearResidual, linearRelu, layerNormBackwardResidual, attentionBackward, reluBackward };
    return new UseLiteTrainer(runtime, weights, shape, kernels, frozen, params);
  }

  /** Layout [P ; k' ; x'] from row 0, right padding. */
  protected prepareBatch(batch: TrainBatch, planBatch: number): Plan {
    const { promptLength: N, plainLength: m, classes, targetVocab } = this.shape;
    const B = checkBatch(batch, 'trainer');
    const longest = Math.max(...batch.ids.map((x) => x.length));
    const need = N + longest;
    if (need > this.weights.maxPositions) throw new RangeError(`trainer: ${need} rows (prompt ${N} + ${longest} tokens) exceed the encoder's ${this.weights.maxPositions} positions`);
    // Few shapes: rows round up to a multiple of 16.
    const seqLen = Math.min(this.weights.maxPositions, Math.ceil(Math.max(need, N + m + 1) / 16) * 16);
    const plan = this.plan(planBatch, seqLen);
    const packed = packedBatch(plan.batch, seqLen, m);
    const layout = { label: 'trainer', seqLen, firstRow: N, vocabSize: this.weights.vocabSize, classes, plainLength: m, targetVocab };
    for (let b = 0; b < B; b++) {
      const x = batch.ids[b];
      if (x.length < m) throw new RangeError(`trainer: example ${b} has ${x.length} tokens, fewer than the ${m} plain tokens`);
      packExample(packed, batch, b, layout);
      packed.lengths[b] = N + x.length;
    }
    // Padding examples (rows past B) keep length N + m + 1 of token 0 so every kernel sees a valid row; their
    // targets are ignored, so they contribute nothing to losses or gradients.
    for (let b = B; b < plan.batch; b++) packed.lengths[b] = Math.min(seqLen, N + m + 1);
    writePackedBatch(this.runtime, plan, packed, m);
    return plan;
  }

  /** The gradient scales 1/B and λ/(B·m) are baked in. */
  protected buildPlan(batch: number, seqLen: number): Plan {
    const rt = this.runtime;
    const k = this.kernels;
    const w = this.weights;
    const { promptLength: N, plainLength: m, classes, reconstructionWidth: c, targetVocab: T, lambda } = this.shape;
    const R = batch * seqLen;
    const { buffers, buf } = planArena(rt, `trainer ${batch}x${seqLen}`);
    const param = (name: ParamName) => this.params.slot(name);
    const ids = buf(R, 'ids');
    const lengths = buf(batch, 'lengths');
    const labels = buf(batch, 'labels');
    const plainTargets = buf(Math.max(batch * m, 1), 'plain targets');
    const lists: PlanLists = { buf, forward: [], backward: [], metrics: [] };
    const { forward, backward, metrics } = lists;

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

    // ---- heads: the task classifier on the mean of the text rows [N + m, length), RAPT's reconstruction head ----
    const dFinal = buf(R * H, 'dFinal');
    const task = prepareTaskLoss(k, lists, { labels, batch, classes, metrics: this.params.metrics });
    prepareClassifierHead(k, lists, { x: finalStates, ends: lengths, start: N + m, batch, seqLen, hidden: H, classes, weight: param('taskW'), bias: param('taskB'), task, dX: dFinal });
    if (m > 0) {
      prepareReconstructionHead(rt, k, lists, {
        x: finalStates, firstRow: N, batch, seqLen, plainLength: m, hidden: H, width: c, targetVocab: T, lambda,
        targets: plainTargets, w2: param('recW2'), w1: param('recW1'), metrics: this.params.metrics, dX: dFinal,
      });
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
    const update = this.params.prepareUpdate();

    return {
      batch, seqLen, ids, lengths, labels, plainTargets, taskLosses: task.losses, predicted: task.predicted, clears: [], buffers,
      dispatches: [...forward, ...backward, ...metrics, ...update], forward, backward, update, metrics,
    };
  }
}

function checkShape(w: UseLiteWeights, s: TrainerShape): void {
  checkTrainerShape(s, 'trainer');
  if (s.promptLength + s.plainLength + 1 > w.maxPositions) throw new RangeError(`trainer: ${s.promptLength} prompt + ${s.plainLength} plain rows leave no room for text in ${w.maxPositions} positions`);
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

