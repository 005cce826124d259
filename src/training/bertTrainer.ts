// Prompt tuning and RAPT on a frozen BERT-family encoder (src/model/bert), on our WGSL kernels. The same
// public API as UseLiteTrainer (both are TrainerCore's, trainerCore.ts, with the parameters and optimiser of
// trainableParams.ts and the heads of heads.ts); the f64 oracle is
// reference/bertTrainingReference.ts (tests/gpu/training/bertTrainer.test.ts compares every trained tensor).
//
// Layout of one example (rows, 0-based; right padding to the plan's seqLen):
//   [CLS] ; P (N soft-prompt rows) ; k' (m privatised plain tokens, RAPT only) ; x' (privatised text) ;
//   [MASK] (verbaliser head only) ; [SEP]
// [CLS] stays at row 0, where a pretrained BERT always saw it; positions count every row (the prompt takes
// positions 1..N), token type 0 everywhere. TrainBatch.ids hold k' then x', WITHOUT [CLS]/[SEP] (the
// trainer adds them; tokenize with addSpecialTokens: false).
//
// One step is one submit of prepared dispatches, built once per (batch, seqLen) shape:
//   forward   xsum = E[id] + position + tokenType[0]; prompt rows: xsum[1 + p] = P_p + position[1 + p] + tokenType[0]
//             (PromptRowsKernel over the embedding output); x0 = LN_emb(xsum): the prompt replaces word
//             embeddings BEFORE BERT's embedding LayerNorm, so its gradient passes the LN backward.
//             Post-LN layers: x1 = LN(o·Wo + bo + x), out = LN(act(x1·Wi + bi)·Wout + bout + x1); the FFN's
//             pre-activation is kept (matmul without activation, then GeluKernel.forward — bit-identical to
//             the encoder's fused matmul), as are qkv and both LN inputs.
//             task 'classifier': mean of the final states over the text rows → pooled·Wc + bc → softmax-CE
//             task 'verbaliser' (masked LMs): final state at the [MASK] row → the frozen MLM transform
//             (dense + act + LN) → logits over the label words only, u·D[label_k] + bias[label_k] (D the tied
//             decoder; the C rows and biases are copied once at create) → softmax-CE
//             RAPT: g = final states at the plain rows → z = g·W2 → logits = z·W1 → softmax-CE (× λ)
//   backward  head weight gradients (Xᵀ·dY); activation gradients through the frozen heads and layers:
//               dPre2 = LN2ᵀ dOut; dF = act'(ffnPre) ⊙ (dPre2·Woutᵀ); dX1 = dF·Wiᵀ + dPre2;
//               dPre1 = LN1ᵀ dX1; dQkv = attentionᵀ(dPre1·Woᵀ); dX = dQkv·Wqkvᵀ + dPre1
//             (post-LN: the residual gradient joins AFTER the LN backward, so it rides on the data-gradient
//             matmul's residual input, not on LayerNormBackward's dRes); then dXsum = LN_embᵀ dX0 and
//             dP[p] = Σ_b dXsum[b, 1 + p] (PromptRowsKernel.backward: one owner per element, no atomics)
//   update    global gradient norm → clip scale → AdamW on P, (Wc, bc), W2, W1 — as UseLiteTrainer
// Memory: per layer qkv, the two LN inputs and the FFN pre-activation are kept, (5h + I)·batch·seqLen
// floats (N > 0 only; without a prompt there is no backward through the layers and they are shared).

import type { GpuRuntime } from '../gpu/runtime';
import type { BertDeviceWeights } from '../model/bert/bertEncoder';
import type { BertWeights } from '../model/bert/bertWeights';
import { AttentionKernel } from '../transformer/kernels/attention';
import { EmbeddingKernel } from '../transformer/kernels/embedding';
import { LayerNormKernel } from '../transformer/kernels/layerNorm';
import { MatmulKernel } from '../transformer/kernels/matmul';
import { AttentionBackwardKernel } from './kernels/attentionBackward';
import { GeluKernel } from './kernels/geluBackward';
import { LayerNormBackwardKernel } from './kernels/layerNormBackward';
import { PromptRowsKernel } from './kernels/promptRows';
import { createHeadKernels, prepareClassifierHead, prepareReconstructionHead, prepareTaskLoss, type HeadKernels, type PlanLists } from './heads';
import { DEFAULT_OPTIMIZER, ParamStore, type OptimizerSettings, type ParamName, type TrainableParams } from './trainableParams';
import { TrainerCore, checkBatch, checkTrainerShape, packExample, packedBatch, planArena, writePackedBatch } from './trainerCore';
import type { PromptTrainer, StepPlan, TrainBatch, TrainerShape } from './trainerCore';

export type { PromptTrainer } from './trainerCore';

/** Plans kept: one per padded sequence length in use (rows round up to 16). */
const MAX_PLANS = 8;

export type BertHead = 'classifier' | 'verbaliser';

/** Token ids of the layout (WordPieceTokenizer.specialIds). */
export interface BertSpecialIds {
  cls: number;
  sep: number;
  mask: number;
  pad: number;
}

export interface BertTrainerShape extends TrainerShape {
  /** 'classifier': linear head on the mean of the text rows; 'verbaliser': the MLM head at a [MASK] row. */
  head: BertHead;
  /** Verbaliser: one vocabulary id per class (distinct), `classes` of them. */
  labelWordIds?: readonly number[];
  specialIds: BertSpecialIds;
}

interface Plan extends StepPlan {
  /** Classifier: one past each example's last text row (the pooling range's end). */
  poolEnds: GPUBuffer;
  /** Verbaliser: each example's [MASK] row, b·seqLen + row. */
  maskIndex: GPUBuffer;
}

interface Kernels extends HeadKernels {
  embedding: EmbeddingKernel;
  promptRows: PromptRowsKernel;
  layerNorm: LayerNormKernel;
  attention: AttentionKernel;
  linearResidual: MatmulKernel;
  act: GeluKernel;
  /** logits = u·Dᵀ + bias over the label words' decoder rows */
  decoder: MatmulKernel;
  /** dX = dY·Wᵀ + residual gradient */
  backDataResidual: MatmulKernel;
  layerNormBackward: LayerNormBackwardKernel;
  attentionBackward: AttentionBackwardKernel;
}

/** Host-built frozen tables the trainer owns. */
interface Tables {
  /** [N, h]: position[1 + p] + tokenType[0], added to P at the prompt rows. */
  promptBase: GPUBuffer;
  /** Verbaliser: [C, h] decoder rows and [C] biases of the label words. */
  labelDecoder: GPUBuffer;
  labelBias: GPUBuffer;
}

export class BertTrainer extends TrainerCore<Plan> implements PromptTrainer {
  private constructor(
    runtime: GpuRuntime,
    readonly weights: BertWeights,
    readonly shape: BertTrainerShape,
    private readonly kernels: Kernels,
    private readonly frozen: BertDeviceWeights,
    private readonly tables: Tables,
    params: ParamStore,
  ) {
    super(runtime, params, MAX_PLANS);
  }

  /**
   * A trainer over the encoder's frozen weights already on the GPU (BertEncoder.deviceWeights), with the
   * trainable parameters set to `initial` (taskW and taskB empty for the verbaliser).
   */
  static async create(
    runtime: GpuRuntime,
    weights: BertWeights,
    frozen: BertDeviceWeights,
    shape: BertTrainerShape,
    initial: TrainableParams,
    optimizer: OptimizerSettings = DEFAULT_OPTIMIZER,
  ): Promise<BertTrainer> {
    checkBertShape(weights, shape);
    if (shape.head === 'verbaliser' && !frozen.mlm) throw new RangeError('bert trainer: the verbaliser needs the MLM head on the GPU');
    const act = weights.config.hiddenAct;
    const [heads, embedding, promptRows, layerNorm, attention, linearResidual, gelu, decoder, backDataResidual, layerNormBackward, attentionBackward] = await Promise.all([
      createHeadKernels(runtime),
      EmbeddingKernel.create(runtime, { tokenTypes: true }),
      PromptRowsKernel.create(runtime),
      LayerNormKernel.create(runtime),
      AttentionKernel.create(runtime),
      MatmulKernel.create(runtime, { bias: true, residual: true }),
      GeluKernel.create(runtime, { activation: act }),
      MatmulKernel.create(runtime, { transposeB: true, bias: true }),
      MatmulKernel.create(runtime, { transposeB: true, residual: true }),
      LayerNormBackwardKernel.create(runtime, { residual: false }),
      AttentionBackwardKernel.create(runtime),
    ]);
    const params = await ParamStore.create(runtime, 'bert trainer', bertParamSizes(weights, shape), optimizer, initial);
    const upload = (data: Float32Array, label: string) => {
      const b = runtime.storage(data.length * 4, `bert trainer ${label}`);
      if (data.length > 0) runtime.write(b, data);
      return b;
    };
    const label = labelWordTables(weights, shape);
    const tables: Tables = {
      promptBase: upload(promptBaseTable(weights, shape.promptLength), 'prompt base'),
      labelDecoder: upload(label.rows, 'label decoder'),
      labelBias: upload(label.bias, 'label bias'),
    };
    const kernels: Kernels = { ...heads, embedding, promptRows, layerNorm, attention, linearResidual, act: gelu, decoder, backDataResidual, layerNormBackward, attentionBackward };
    return new BertTrainer(runtime, weights, shape, kernels, frozen, tables, params);
  }

  override destroy(): void {
    super.destroy();
    for (const b of Object.values(this.tables)) b.destroy();
  }

  /** Rows one example of `tokens` ids (plain + text) takes. */
  private rowsFor(tokens: number): number {
    return 1 + this.shape.promptLength + tokens + (this.shape.head === 'verbaliser' ? 2 : 1);
  }

  /** Layout [CLS] ; P ; k' ; x' ; ([MASK]) ; [SEP], right padding. */
  protected prepareBatch(batch: TrainBatch, planBatch: number): Plan {
    const { promptLength: N, plainLength: m, classes, targetVocab, specialIds: s } = this.shape;
    const verbaliser = this.shape.head === 'verbaliser';
    const cfg = this.weights.config;
    const maxPositions = cfg.maxPositionEmbeddings;
    const B = checkBatch(batch, 'bert trainer');
    const longest = Math.max(...batch.ids.map((x) => x.length));
    const need = this.rowsFor(longest);
    if (need > maxPositions) {
      throw new RangeError(`bert trainer: ${need} rows ([CLS] + prompt ${N} + ${longest} tokens + ${verbaliser ? '[MASK] [SEP]' : '[SEP]'}) exceed the encoder's ${maxPositions} positions`);
    }
    const minRows = this.rowsFor(m + 1);
    const seqLen = Math.min(maxPositions, Math.ceil(Math.max(need, minRows) / 16) * 16);
    const plan = this.plan(planBatch, seqLen);
    const packed = packedBatch(plan.batch, seqLen, m);
    const { ids, lengths } = packed;
    const poolEnds = new Uint32Array(plan.batch);
    const maskIndex = new Uint32Array(plan.batch);
    const layoutRow = (b: number, tokens: number) => {
      const textEnd = 1 + N + tokens;
      const rows = this.rowsFor(tokens);
      ids[b * seqLen] = s.cls;
      for (let p = 1; p <= N; p++) ids[b * seqLen + p] = s.pad;
      if (verbaliser) ids[b * seqLen + textEnd] = s.mask;
      ids[b * seqLen + rows - 1] = s.sep;
      lengths[b] = rows;
      poolEnds[b] = textEnd;
      maskIndex[b] = b * seqLen + textEnd;
    };
    const layout = { label: 'bert trainer', seqLen, firstRow: 1 + N, vocabSize: cfg.vocabSize, classes, plainLength: m, targetVocab };
    for (let b = 0; b < B; b++) {
      const x = batch.ids[b];
      if (x.length < m + 1) throw new RangeError(`bert trainer: example ${b} has ${x.length} tokens; it needs the ${m} plain tokens and at least one text token`);
      packExample(packed, batch, b, layout);
      layoutRow(b, x.length);
    }
    // Padding examples (rows past B): the shortest valid layout of [PAD] tokens, ignored targets, so they
    // contribute nothing to losses or gradients.
    for (let b = B; b < plan.batch; b++) layoutRow(b, m + 1);
    writePackedBatch(this.runtime, plan, packed, m);
    if (verbaliser) this.runtime.write(plan.maskIndex, maskIndex);
    else this.runtime.write(plan.poolEnds, poolEnds);
    return plan;
  }

  /** The gradient scales 1/B and λ/(B·m) are baked in. */
  protected buildPlan(batch: number, seqLen: number): Plan {
    const rt = this.runtime;
    const k = this.kernels;
    const fw = this.frozen;
    const cfg = this.weights.config;
    const { promptLength: N, plainLength: m, classes: C, reconstructionWidth: c, targetVocab: T, lambda } = this.shape;
    const verbaliser = this.shape.head === 'verbaliser';
    const h = cfg.hiddenSize;
    const I = cfg.intermediateSize;
    const eps = cfg.layerNormEps;
    const heads = cfg.numAttentionHeads;
    const headDim = cfg.headDim;
    const scale = 1 / Math.sqrt(headDim);
    const R = batch * seqLen;
    const { buffers, buf } = planArena(rt, `bert trainer ${batch}x${seqLen}`);
    const param = (name: ParamName) => this.params.slot(name);
    const ids = buf(R, 'ids');
    const typeIds = buf(R, 'type ids'); // token type 0 everywhere (a fresh buffer is zeroed)
    const lengths = buf(batch, 'lengths');
    const poolEnds = buf(batch, 'pool ends');
    const maskIndex = buf(batch, 'mask rows');
    const labels = buf(batch, 'labels');
    const plainTargets = buf(Math.max(batch * m, 1), 'plain targets');
    const lists: PlanLists = { buf, forward: [], backward: [], metrics: [] };
    const { forward, backward } = lists;
    const clears: GPUBuffer[] = [];

    // ---- forward: embeddings (+ prompt rows), embedding LN ----
    const xsum = buf(R * h, 'embedding sum');
    forward.push(k.embedding.prepare({ ids, table: fw.word, positions: fw.position, typeIds, typeTable: fw.type, out: xsum, rows: R, seqLen, hidden: h, scale: 1, vocab: cfg.vocabSize, typeVocab: cfg.typeVocabSize }));
    if (N > 0) forward.push(k.promptRows.prepareForward({ prompt: param('prompt').value, base: this.tables.promptBase, x: xsum, batch, seqLen, promptLength: N, d: h, start: 1 }));
    const states = [buf(R * h, 'x.a'), buf(R * h, 'x.b')];
    forward.push(k.layerNorm.prepare({ x: xsum, gamma: fw.embeddingLn.gamma, beta: fw.embeddingLn.beta, out: states[0], rows: R, cols: h, eps }));

    // ---- forward: layers; what the backward needs is kept per layer (only when a prompt is trained) ----
    interface Saved { qkv: GPUBuffer; pre1: GPUBuffer; ffnPre: GPUBuffer; pre2: GPUBuffer }
    const keep = N > 0;
    const shared: Saved = { qkv: buf(R * 3 * h, 'qkv'), pre1: buf(R * h, 'pre-LN1'), ffnPre: buf(R * I, 'ffn pre-activation'), pre2: buf(R * h, 'pre-LN2') };
    const o = buf(R * h, 'attention out');
    const x1 = buf(R * h, 'x1');
    const inner = buf(R * I, 'ffn inner');
    const saved: Saved[] = [];
    let x = states[0];
    fw.layers.forEach((L, i) => {
      const s: Saved = keep && i > 0
        ? { qkv: buf(R * 3 * h, `L${i} qkv`), pre1: buf(R * h, `L${i} pre-LN1`), ffnPre: buf(R * I, `L${i} ffn pre-activation`), pre2: buf(R * h, `L${i} pre-LN2`) }
        : shared;
      const out = x === states[0] ? states[1] : states[0];
      forward.push(k.linear.prepare({ a: x, b: L.qkvW, bias: L.qkvB, out: s.qkv, m: R, n: 3 * h, k: h }));
      forward.push(k.attention.prepare({ qkv: s.qkv, lengths, out: o, batch, seqLen, heads, headDim, scale }));
      forward.push(k.linearResidual.prepare({ a: o, b: L.attentionOutW, bias: L.attentionOutB, residual: x, out: s.pre1, m: R, n: h, k: h }));
      forward.push(k.layerNorm.prepare({ x: s.pre1, gamma: L.attentionLn.gamma, beta: L.attentionLn.beta, out: x1, rows: R, cols: h, eps }));
      forward.push(k.linear.prepare({ a: x1, b: L.inW, bias: L.inB, out: s.ffnPre, m: R, n: I, k: h }));
      forward.push(k.act.prepareForward({ x: s.ffnPre, y: inner, count: R * I }));
      forward.push(k.linearResidual.prepare({ a: inner, b: L.outW, bias: L.outB, residual: x1, out: s.pre2, m: R, n: h, k: I }));
      forward.push(k.layerNorm.prepare({ x: s.pre2, gamma: L.outputLn.gamma, beta: L.outputLn.beta, out, rows: R, cols: h, eps }));
      saved.push(s);
      x = out;
    });
    const finalStates = x;
    const dFinal = buf(R * h, 'dFinal');

    // ---- task head ----
    const task = prepareTaskLoss(k, lists, { labels, batch, classes: C, metrics: this.params.metrics });
    if (!verbaliser) {
      // Mean of the text rows [1 + N + m, poolEnd) → linear classifier; writes every element of dFinal.
      prepareClassifierHead(k, lists, { x: finalStates, ends: poolEnds, start: 1 + N + m, batch, seqLen, hidden: h, classes: C, weight: param('taskW'), bias: param('taskB'), task, dX: dFinal });
    } else {
      // The frozen MLM head at the [MASK] rows, logits over the label words.
      const mlm = fw.mlm!;
      const g = buf(batch * h, 'mask states');
      const tPre = buf(batch * h, 'mlm transform pre-activation');
      const tAct = buf(batch * h, 'mlm transform');
      const u = buf(batch * h, 'mlm normed');
      const dU = buf(batch * h, 'mlm dNormed');
      const dTAct = buf(batch * h, 'mlm dTransform');
      const dTPre = buf(batch * h, 'mlm dTransform pre-activation');
      const dG = buf(batch * h, 'mask dStates');
      forward.push(k.gather.prepare({ x: finalStates, index: maskIndex, out: g, rows: batch, cols: h, sourceRows: R }));
      forward.push(k.linear.prepare({ a: g, b: mlm.transformW, bias: mlm.transformB, out: tPre, m: batch, n: h, k: h }));
      forward.push(k.act.prepareForward({ x: tPre, y: tAct, count: batch * h }));
      forward.push(k.layerNorm.prepare({ x: tAct, gamma: mlm.ln.gamma, beta: mlm.ln.beta, out: u, rows: batch, cols: h, eps }));
      forward.push(k.decoder.prepare({ a: u, b: this.tables.labelDecoder, bias: this.tables.labelBias, out: task.logits, m: batch, n: C, k: h }));
      forward.push(task.crossEntropy);
      clears.push(dFinal);
      backward.push(k.plain.prepare({ a: task.dLogits, b: this.tables.labelDecoder, out: dU, m: batch, n: h, k: C }));
      backward.push(k.layerNormBackward.prepare({ x: tAct, gamma: mlm.ln.gamma, dOut: dU, dX: dTAct, rows: batch, cols: h, eps }));
      backward.push(k.act.prepareBackward({ x: tPre, dY: dTAct, dX: dTPre, count: batch * h }));
      backward.push(k.backData.prepare({ a: dTPre, b: mlm.transformW, out: dG, m: batch, n: h, k: h }));
      backward.push(k.scatter.prepare({ src: dG, index: maskIndex, dst: dFinal, count: batch, width: h, dstRows: R }));
    }

    // ---- reconstruction head (RAPT) at the plain rows 1 + N .. N + m ----
    if (m > 0) {
      prepareReconstructionHead(rt, k, lists, {
        x: finalStates, firstRow: 1 + N, batch, seqLen, plainLength: m, hidden: h, width: c, targetVocab: T, lambda,
        targets: plainTargets, w2: param('recW2'), w1: param('recW1'), metrics: this.params.metrics, dX: dFinal,
      });
    }

    // ---- backward through the frozen layers (activation gradients only), only when a prompt is trained ----
    if (N > 0) {
      const dPre2 = buf(R * h, 'dPre2');
      const dInner = buf(R * I, 'dInner');
      const dF = buf(R * I, 'dFfnPre');
      const dX1 = buf(R * h, 'dX1');
      const dPre1 = buf(R * h, 'dPre1');
      const dO = buf(R * h, 'dO');
      const dQkv = buf(R * 3 * h, 'dQkv');
      const scratch = AttentionBackwardKernel.scratchBytes(batch, heads, seqLen) / 4;
      const probs = buf(scratch, 'attention probs');
      const dScores = buf(scratch, 'attention dScores');
      const grads = [dFinal, buf(R * h, 'dX')];
      let dOut = dFinal;
      for (let i = fw.layers.length - 1; i >= 0; i--) {
        const L = fw.layers[i];
        const s = saved[i];
        const dX = dOut === grads[0] ? grads[1] : grads[0];
        backward.push(k.layerNormBackward.prepare({ x: s.pre2, gamma: L.outputLn.gamma, dOut, dX: dPre2, rows: R, cols: h, eps }));
        backward.push(k.backData.prepare({ a: dPre2, b: L.outW, out: dInner, m: R, n: I, k: h }));
        backward.push(k.act.prepareBackward({ x: s.ffnPre, dY: dInner, dX: dF, count: R * I }));
        backward.push(k.backDataResidual.prepare({ a: dF, b: L.inW, residual: dPre2, out: dX1, m: R, n: h, k: I }));
        backward.push(k.layerNormBackward.prepare({ x: s.pre1, gamma: L.attentionLn.gamma, dOut: dX1, dX: dPre1, rows: R, cols: h, eps }));
        backward.push(k.backData.prepare({ a: dPre1, b: L.attentionOutW, out: dO, m: R, n: h, k: h }));
        backward.push(...k.attentionBackward.prepare({ qkv: s.qkv, lengths, dOut: dO, probs, dScores, dQkv, batch, seqLen, heads, headDim, scale }));
        backward.push(k.backDataResidual.prepare({ a: dQkv, b: L.qkvW, residual: dPre1, out: dX, m: R, n: h, k: 3 * h }));
        dOut = dX;
      }
      const dXsum = buf(R * h, 'dEmbeddingSum');
      backward.push(k.layerNormBackward.prepare({ x: xsum, gamma: fw.embeddingLn.gamma, dOut, dX: dXsum, rows: R, cols: h, eps }));
      backward.push(k.promptRows.prepareBackward({ dX: dXsum, dPrompt: param('prompt').grad, batch, seqLen, promptLength: N, d: h, start: 1 }));
    }

    // ---- update: clip by the global norm, then AdamW (nothing to update in a zero-shot verbaliser: N = m = 0) ----
    const update = this.params.prepareUpdate();
    const { metrics } = lists;

    return {
      batch, seqLen, ids, lengths, poolEnds, maskIndex, labels, plainTargets, taskLosses: task.losses, predicted: task.predicted, clears, buffers,
      dispatches: [...forward, ...backward, ...metrics, ...update], forward, backward, update, metrics,
    };
  }
}

/** Throws a RangeError for a shape this model cannot train. */
export function checkBertShape(w: BertWeights, s: BertTrainerShape): void {
  checkTrainerShape(s, 'bert trainer');
  if (s.head !== 'classifier' && s.head !== 'verbaliser') throw new RangeError(`bert trainer: unknown head '${String(s.head)}'`);
  const V = w.config.vocabSize;
  const isId = (id: number) => Number.isInteger(id) && id >= 0 && id < V;
  for (const [name, id] of Object.entries(s.specialIds)) {
    if (!isId(id)) throw new RangeError(`bert trainer: special id ${name} = ${id} is outside the vocabulary`);
  }
  if (s.head === 'verbaliser') {
    if (!w.mlmHead) throw new RangeError('bert trainer: the verbaliser head needs a masked-LM checkpoint (this one has no cls.predictions.* head)');
    const words = s.labelWordIds ?? [];
    if (words.length !== s.classes) throw new RangeError(`bert trainer: the verbaliser needs one label word per class: ${words.length} for ${s.classes} classes`);
    for (const id of words) if (!isId(id)) throw new RangeError(`bert trainer: label word id ${id} is outside the vocabulary`);
    if (new Set(words).size !== words.length) throw new RangeError('bert trainer: two classes share a label word');
  }
  const fixed = 1 + s.promptLength + s.plainLength + (s.head === 'verbaliser' ? 2 : 1);
  if (fixed + 1 > w.config.maxPositionEmbeddings) {
    throw new RangeError(`bert trainer: [CLS], ${s.promptLength} prompt and ${s.plainLength} plain rows and the closing tokens leave no room for text in ${w.config.maxPositionEmbeddings} positions`);
  }
}

/** Floats per trainable parameter (0 when that part is not trained: the verbaliser has no task weights). */
export function bertParamSizes(w: BertWeights, s: BertTrainerShape): Record<ParamName, number> {
  const h = w.config.hiddenSize;
  const rec = s.plainLength > 0;
  const classifier = s.head === 'classifier';
  return {
    prompt: s.promptLength * h,
    taskW: classifier ? h * s.classes : 0,
    taskB: classifier ? s.classes : 0,
    recW2: rec ? h * s.reconstructionWidth : 0,
    recW1: rec ? s.reconstructionWidth * s.targetVocab : 0,
  };
}

/** [N, h]: position[1 + p] + tokenType[0], what the embedding adds besides the word vector at prompt row 1 + p. */
function promptBaseTable(w: BertWeights, promptLength: number): Float32Array {
  const h = w.config.hiddenSize;
  const out = new Float32Array(promptLength * h);
  for (let p = 0; p < promptLength; p++) {
    for (let i = 0; i < h; i++) out[p * h + i] = w.positionEmbeddings[(1 + p) * h + i] + w.tokenTypeEmbeddings[i];
  }
  return out;
}

/** The label words' decoder rows [C, h] and biases [C] (empty for the classifier). */
function labelWordTables(w: BertWeights, s: BertTrainerShape): { rows: Float32Array; bias: Float32Array } {
  if (s.head !== 'verbaliser' || !w.mlmHead) return { rows: new Float32Array(0), bias: new Float32Array(0) };
  const h = w.config.hiddenSize;
  const table = w.mlmHead.decoderWeight ?? w.wordEmbeddings;
  const words = s.labelWordIds ?? [];
  const rows = new Float32Array(words.length * h);
  words.forEach((id, k) => rows.set(table.subarray(id * h, (id + 1) * h), k * h));
  return { rows, bias: Float32Array.from(words, (id) => w.mlmHead!.decoderBias[id]) };
}
