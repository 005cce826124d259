// Plain-TypeScript, double-precision reference of one prompt-tuning / RAPT training step on a frozen
// BERT-family encoder (post-LN, learned positions, token types; src/model/bert/bertEncoder.ts): forward and
// analytic backward, one example at a time and unpadded. The oracle src/training/bertTrainer.ts is tested
// against (tests/gpu/training/bertTrainer.test.ts); checked itself against central finite differences and,
// for the forward, against the NumPy reference of tests/fixtures/tiny-bert
// (tests/unit/training/bertTrainingReference.test.ts).
//
// Rows of one example (bertTrainer.ts has the same layout):
//   [CLS] ; P (N soft-prompt rows) ; k' (m plain rows, RAPT only) ; x' (n text rows) ; [MASK] (verbaliser only) ; [SEP]
//   xsum[p] = w[p] + position[p] + tokenType[0]   w[p] = P[p − 1] at prompt rows, E[id] elsewhere
//   x0 = LN_emb(xsum)                             (the prompt replaces word embeddings, before BERT's LN)
//   per layer: qkv = x·Wqkv + b; o = attention(qkv, 1/√dh)
//              x1 = LN(o·Wo + bo + x); out = LN(act(x1·Wi + bi)·Wout + bout + x1)
// Task heads: 'classifier' — logits = mean(final states over the text rows)·Wc + bc;
//             'verbaliser' — at the [MASK] row g: u = LN(act(g·Wt + bt)) (the frozen MLM transform), logits over
//             the label words only: logits[k] = u·D[label_k] + bias[label_k], D the (tied) decoder.
//             loss_task = mean cross-entropy over the batch.
// Reconstruction head (RAPT) at the plain rows: logits = (g·W2)·W1, loss_rec = mean cross-entropy over B·m.
// loss = loss_task + λ·loss_rec. Trained: P, (Wc, bc), W2, W1; everything else is frozen.

import type { BertConfig } from '../../model/bert/bertConfig';
import type { BertLayerWeights, BertWeights } from '../../model/bert/bertWeights';
import { activate } from '../../transformer/kernels/activations';
import { activationDerivative } from '../kernels/geluBackwardReference';
import { checkLength, classifierHeadStep, crossEntropy, reconstructionDims, reconstructionHeadStep, stepResult, zeroGrads } from './headsReference';
import { attentionBackward, attentionForward, layerNormBackward, layerNormForward, matmul, matmulTransposeB, type LayerNormCache } from './useLiteLayerReference';
import type { TrainBatch, TrainableGrads, TrainableParams, TrainStepResult } from './useLiteTrainingReference';

export type BertHead = 'classifier' | 'verbaliser';

/** Token ids the layout uses (WordPieceTokenizer.specialIds). */
export interface BertSpecialIds {
  cls: number;
  sep: number;
  mask: number;
  pad: number;
}

export interface BertTrainStepOptions {
  /** N, soft-prompt rows (after [CLS]). */
  promptLength: number;
  /** m, plain-token rows; 0 = plain prompt tuning (no reconstruction head). */
  plainLength: number;
  classes: number;
  /** Weight of the reconstruction loss. */
  lambda: number;
  head: BertHead;
  /** Verbaliser: the vocabulary id of each class's label word (classes of them). */
  labelWordIds?: readonly number[];
  specialIds: BertSpecialIds;
}

/** Where the parts of one example sit (0-based rows). */
export interface BertLayout {
  rows: number;
  promptStart: number;
  plainStart: number;
  textStart: number;
  /** One past the last text row. */
  textEnd: number;
  /** The [MASK] row (verbaliser), else −1. */
  maskRow: number;
  sepRow: number;
}

/** The layout of an example with N prompt rows, m plain rows and n text rows. */
export function bertLayout(promptLength: number, plainLength: number, textLength: number, head: BertHead): BertLayout {
  const plainStart = 1 + promptLength;
  const textStart = plainStart + plainLength;
  const textEnd = textStart + textLength;
  const maskRow = head === 'verbaliser' ? textEnd : -1;
  const sepRow = head === 'verbaliser' ? textEnd + 1 : textEnd;
  return { rows: sepRow + 1, promptStart: 1, plainStart, textStart, textEnd, maskRow, sepRow };
}

export interface BertExampleTrace {
  layout: BertLayout;
  /** Final hidden states [rows, hidden]. */
  finalStates: Float64Array;
  /** dLoss/dFinalStates [rows, hidden]. */
  dFinalStates: Float64Array;
  /** dLoss/dxsum [rows, hidden] (before the embedding LayerNorm); rows 1..N summed over the batch are grads.prompt. */
  dEmbeddingSum: Float64Array;
}

/** taskW and taskB of grads are empty for the verbaliser. */
export type BertTrainStepResult = TrainStepResult<BertExampleTrace>;

// ---- building blocks ----

export interface BertLayerCache {
  n: number;
  qkv: Float64Array;
  probs: Float64Array;
  /** LayerNorm after attention (input o·Wo + bo + x). */
  ln1: LayerNormCache;
  /** FFN pre-activation x1·Wi + bi [n, I]. */
  ffnPre: Float64Array;
  /** LayerNorm after the FFN. */
  ln2: LayerNormCache;
  out: Float64Array;
}

export function bertLayerForward(x: Float64Array, n: number, w: BertLayerWeights, config: BertConfig): BertLayerCache {
  const { hiddenSize: h, intermediateSize: I, numAttentionHeads: heads, headDim, layerNormEps: eps, hiddenAct } = config;
  const qkv = matmul(x, n, h, w.qkvWeight, 3 * h, w.qkvBias);
  const { o, probs } = attentionForward(qkv, n, h, heads, 1 / Math.sqrt(headDim));
  const pre1 = matmul(o, n, h, w.attentionOutWeight, h, w.attentionOutBias);
  for (let i = 0; i < pre1.length; i++) pre1[i] += x[i];
  const { y: x1, cache: ln1 } = layerNormForward(pre1, n, h, w.attentionLn.gamma, w.attentionLn.beta, eps);
  const ffnPre = matmul(x1, n, h, w.intermediateWeight, I, w.intermediateBias);
  const inner = ffnPre.map((v) => activate(v, hiddenAct));
  const pre2 = matmul(inner, n, I, w.outputWeight, h, w.outputBias);
  for (let i = 0; i < pre2.length; i++) pre2[i] += x1[i];
  const { y: out, cache: ln2 } = layerNormForward(pre2, n, h, w.outputLn.gamma, w.outputLn.beta, eps);
  return { n, qkv, probs, ln1, ffnPre, ln2, out };
}

/** dL/dx [n, h] from dL/dout [n, h] (frozen weights: no weight gradients). */
export function bertLayerBackward(c: BertLayerCache, dOut: Float64Array, w: BertLayerWeights, config: BertConfig): Float64Array {
  const { hiddenSize: h, intermediateSize: I, numAttentionHeads: heads, headDim, hiddenAct } = config;
  const { n } = c;
  // out = LN2(pre2), pre2 = act(ffnPre)·Wout + bout + x1, ffnPre = x1·Wi + bi.
  const dPre2 = layerNormBackward(dOut, c.ln2, n, h, w.outputLn.gamma);
  const dInner = matmulTransposeB(dPre2, n, h, w.outputWeight, I);
  for (let i = 0; i < dInner.length; i++) dInner[i] *= activationDerivative(c.ffnPre[i], hiddenAct);
  const dX1 = matmulTransposeB(dInner, n, I, w.intermediateWeight, h);
  for (let i = 0; i < dX1.length; i++) dX1[i] += dPre2[i];
  // x1 = LN1(pre1), pre1 = attention(x·Wqkv + b)·Wo + bo + x.
  const dPre1 = layerNormBackward(dX1, c.ln1, n, h, w.attentionLn.gamma);
  const dO = matmulTransposeB(dPre1, n, h, w.attentionOutWeight, h);
  const dQkv = attentionBackward(c.qkv, c.probs, dO, n, h, heads, 1 / Math.sqrt(headDim));
  const dX = matmulTransposeB(dQkv, n, 3 * h, w.qkvWeight, h);
  for (let i = 0; i < dX.length; i++) dX[i] += dPre1[i];
  return dX;
}

/** The decoder rows (tied word embeddings unless the checkpoint has its own) and biases of the given ids. */
function decoderRows(weights: BertWeights, ids: readonly number[]): { rows: Float64Array; bias: Float64Array } {
  const head = weights.mlmHead;
  if (!head) throw new Error('this model has no masked-LM head');
  const h = weights.config.hiddenSize;
  const table = head.decoderWeight ?? weights.wordEmbeddings;
  const rows = new Float64Array(ids.length * h);
  ids.forEach((id, k) => {
    if (!Number.isInteger(id) || id < 0 || id >= weights.config.vocabSize) throw new Error(`label word id ${id} is outside the vocabulary`);
    for (let i = 0; i < h; i++) rows[k * h + i] = table[id * h + i];
  });
  return { rows, bias: Float64Array.from(ids, (id) => head.decoderBias[id]) };
}

interface MlmCache {
  transformPre: Float64Array;
  ln: LayerNormCache;
  u: Float64Array;
}

function mlmTransform(weights: BertWeights, g: ArrayLike<number>): MlmCache {
  const head = weights.mlmHead;
  if (!head) throw new Error('this model has no masked-LM head');
  const { hiddenSize: h, hiddenAct, layerNormEps } = weights.config;
  const transformPre = matmul(g, 1, h, head.transformWeight, h, head.transformBias);
  const a = transformPre.map((v) => activate(v, hiddenAct));
  const { y: u, cache: ln } = layerNormForward(a, 1, h, head.ln.gamma, head.ln.beta, layerNormEps);
  return { transformPre, ln, u };
}

/** MLM logits of one final state g [hidden] over `ids` (default: the whole vocabulary). */
export function mlmLogitsReference(weights: BertWeights, g: ArrayLike<number>, ids?: readonly number[]): Float64Array {
  const { u } = mlmTransform(weights, g);
  const which = ids ?? Array.from({ length: weights.config.vocabSize }, (_, i) => i);
  const { rows, bias } = decoderRows(weights, which);
  return Float64Array.from(which, (_, k) => {
    let s = bias[k];
    for (let i = 0; i < u.length; i++) s += u[i] * rows[k * u.length + i];
    return s;
  });
}

/** Embedding sum, LN and the layers for one sequence; `promptRows` (if any) replace word vectors at rows 1..N. */
function encode(weights: BertWeights, tokens: readonly number[], prompt: ArrayLike<number> | null, promptLength: number) {
  const cfg = weights.config;
  const h = cfg.hiddenSize;
  const L = tokens.length;
  if (L > cfg.maxPositionEmbeddings) throw new Error(`an example has ${L} rows; at most ${cfg.maxPositionEmbeddings} positions`);
  const xsum = new Float64Array(L * h);
  for (let p = 0; p < L; p++) {
    const o = p * h;
    const isPrompt = prompt !== null && p >= 1 && p <= promptLength;
    const id = tokens[p];
    if (!isPrompt && !(Number.isInteger(id) && id >= 0 && id < cfg.vocabSize)) throw new Error(`token id ${id} outside the embedding table`);
    for (let i = 0; i < h; i++) {
      const word = isPrompt ? prompt![(p - 1) * h + i] : weights.wordEmbeddings[id * h + i];
      xsum[o + i] = word + weights.positionEmbeddings[o + i] + weights.tokenTypeEmbeddings[i];
    }
  }
  const { y: x0, cache: embLn } = layerNormForward(xsum, L, h, weights.embeddingLn.gamma, weights.embeddingLn.beta, cfg.layerNormEps);
  const caches: BertLayerCache[] = [];
  let x = x0;
  for (const lw of weights.layers) {
    const c = bertLayerForward(x, L, lw, cfg);
    caches.push(c);
    x = c.out;
  }
  return { embLn, caches, finalStates: x };
}

/** Final hidden states [L, hidden] of one sequence of ids (with its [CLS] … [SEP]), token type 0. */
export function bertEncoderReference(weights: BertWeights, ids: readonly number[]): Float64Array {
  return encode(weights, ids, null, 0).finalStates;
}

// ---- the training step ----

export function bertTrainStepReference(weights: BertWeights, params: TrainableParams, batch: TrainBatch, opts: BertTrainStepOptions): BertTrainStepResult {
  const cfg = weights.config;
  const { promptLength: N, plainLength: m, classes: K, head } = opts;
  const H = cfg.hiddenSize;
  const B = batch.ids.length;
  const rapt = m > 0;
  const verbaliser = head === 'verbaliser';
  if (B === 0) throw new Error('empty batch');
  if (batch.labels.length !== B) throw new Error(`${batch.labels.length} labels for ${B} examples`);
  checkLength('prompt', params.prompt, N * H);
  checkLength('taskW', params.taskW, verbaliser ? 0 : H * K);
  checkLength('taskB', params.taskB, verbaliser ? 0 : K);
  let labelRows: { rows: Float64Array; bias: Float64Array } | null = null;
  if (verbaliser) {
    if (!weights.mlmHead) throw new Error('the verbaliser needs a masked-LM head');
    checkLength('labelWordIds', opts.labelWordIds, K);
    labelRows = decoderRows(weights, opts.labelWordIds!);
  }
  const dims = reconstructionDims(params, H, rapt);
  const grads: TrainableGrads = zeroGrads(N * H, verbaliser ? 0 : H * K, verbaliser ? 0 : K, H, dims);
  const taskLogits: Float64Array[] = [];
  const recLogits: Float64Array[] = [];
  const examples: BertExampleTrace[] = [];
  let lossTask = 0;
  let lossRec = 0;
  const s = opts.specialIds;

  for (let b = 0; b < B; b++) {
    const ids = batch.ids[b];
    const n = ids.length - m;
    if (n < 1) throw new Error(`example ${b} has ${ids.length} ids: needs ${m} plain tokens and at least one text token`);
    const layout = bertLayout(N, m, n, head);
    const L = layout.rows;
    const label = batch.labels[b];
    if (!Number.isInteger(label) || label < 0 || label >= K) throw new Error(`example ${b}: label ${label} outside [0, ${K})`);
    const tokens = [s.cls, ...new Array<number>(N).fill(s.pad), ...Array.from(ids), ...(verbaliser ? [s.mask] : []), s.sep];
    const { embLn, caches, finalStates: g } = encode(weights, tokens, params.prompt, N);
    const dG = new Float64Array(L * H);

    if (!verbaliser) {
      // Mean over the text rows, then the linear classifier.
      const task = classifierHeadStep(g, H, layout.textStart, layout.textEnd, params, K, label, B, grads, dG);
      taskLogits.push(task.logits);
      lossTask += task.loss;
    } else {
      // The frozen MLM head at the [MASK] row, logits over the label words.
      const gm = g.subarray(layout.maskRow * H, (layout.maskRow + 1) * H);
      const mc = mlmTransform(weights, gm);
      const { rows, bias } = labelRows!;
      const logits = Float64Array.from({ length: K }, (_, k) => {
        let v = bias[k];
        for (let i = 0; i < H; i++) v += mc.u[i] * rows[k * H + i];
        return v;
      });
      taskLogits.push(logits);
      const dLogits = new Float64Array(K);
      lossTask += crossEntropy(logits, label, 1 / B, dLogits) / B;
      const dU = matmul(dLogits, 1, K, rows, H);
      const dA = layerNormBackward(dU, mc.ln, 1, H, weights.mlmHead!.ln.gamma);
      for (let i = 0; i < H; i++) dA[i] *= activationDerivative(mc.transformPre[i], cfg.hiddenAct);
      dG.set(matmulTransposeB(dA, 1, H, weights.mlmHead!.transformWeight, H), layout.maskRow * H);
    }

    // Reconstruction head at the plain rows.
    if (rapt) {
      const targets = batch.plainTargets ? batch.plainTargets[b] : ids.slice(0, m);
      const rec = reconstructionHeadStep(g, H, layout.plainStart, m, params, dims, targets, opts.lambda, B, b, grads, dG, lossRec);
      recLogits.push(rec.logits);
      lossRec = rec.lossRec;
    }

    // Frozen encoder backward, then the embedding LayerNorm; the prompt rows sum over the batch.
    let d: Float64Array = dG;
    for (let l = weights.layers.length - 1; l >= 0; l--) d = bertLayerBackward(caches[l], d, weights.layers[l], cfg);
    const dSum = layerNormBackward(d, embLn, L, H, weights.embeddingLn.gamma);
    for (let i = 0; i < N * H; i++) grads.prompt[i] += dSum[H + i];
    examples.push({ layout, finalStates: g, dFinalStates: dG, dEmbeddingSum: dSum });
  }

  return stepResult(taskLogits, rapt ? recLogits : null, lossTask, lossRec, opts.lambda, grads, examples);
}
