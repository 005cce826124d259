// What the training-step peers (jaxTrainStep.ts, tfjsTrainStep.ts) share: options, the trainable
// parameters and their deterministic initialisation, the padded batch layout, the host-side masks derived
// from it, and an f64 AdamW reference for checking an update.
//
// The step (docs/training-design.md; fixture ../shared/fixtures/rapt-train-step.json, its `layout`):
//   rows per example: [ P (N soft-prompt rows) ; plain (m privatised plain tokens, RAPT only) ; text ] then
//   right padding to the batch's padded length S; lengths[b] = N + m + n_b; padded rows are masked as keys.
//   x0[p] = P_p + t(p) for p < N, 2·E[id_p] + t(p) elsewhere (t = USE-Lite timing signal on every row);
//   the two frozen USE-Lite layers (pre-LN eps 1e-6, layer 0 adds the projection x0·W_d + b_d, ReLU FFN,
//   4 heads, key padding bias −1e9 as the graph adds);
//   task head: pooled = mean of the final 512-d states over the text rows [N + m, lengths[b]),
//     logits = pooled·Wc + bc (Wc [512, classes]), loss_task = mean over the batch of cross-entropy;
//   reconstruction head (m > 0): g = final states at rows N..N+m−1, logits = (g·W2)·W1 (W2 [512, c],
//     W1 [c, T], no bias), loss_rec = mean over B·m of cross-entropy against the plain targets;
//   loss = loss_task + λ·loss_rec; gradients w.r.t. P, Wc, bc, W2, W1 only (the encoder is frozen);
//   update: global-norm clip, then AdamW (decoupled weight decay except on bc; the prompt has its own lr) —
//   the same update as our trainer (src/training/useLiteTrainer.ts, shaders/training/adamW.wgsl).

import type { UseLiteWeights } from '../../model/useLite/useLiteWeights';

/** Width of USE-Lite's input rows (E and P) and of its final states. */
export const USE_INPUT_DIM = 256;
export const USE_HIDDEN = 512;
/** The graph's additive key-padding bias. */
export const KEY_PADDING_BIAS = -1e9;

export interface AdamWOptions {
  /** Learning rate of the heads (Wc, bc, W2, W1). */
  lr: number;
  /** Learning rate of the soft prompt P (prompt tuning uses far larger steps than the heads). */
  promptLr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /**
   * Decoupled: p ← p − lr·(wd·p + m̂/(√v̂ + eps)) on P, Wc, W2 and W1; none on the bias bc (as our
   * trainer, src/training/useLiteTrainer.ts).
   */
  weightDecay: number;
  /**
   * Gradients are scaled by min(1, maxGradNorm / (‖g‖ + 1e-6)) (‖g‖ over all trainables together,
   * PyTorch's clip_grad_norm_ and our globalNorm.wgsl) before AdamW; ≤ 0 disables clipping.
   */
  maxGradNorm: number;
}

export const DEFAULT_ADAMW: AdamWOptions = { lr: 1e-3, promptLr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1 };

/** The learning rate and weight decay a trainable gets. */
export function adamWFor(name: TrainableName, a: AdamWOptions): { lr: number; weightDecay: number } {
  return { lr: name === 'prompt' ? a.promptLr : a.lr, weightDecay: name === 'taskBias' ? 0 : a.weightDecay };
}

/** min(1, maxNorm / (norm + 1e-6)), or 1 when clipping is off. */
export function clipScaleOf(norm: number, maxGradNorm: number): number {
  return maxGradNorm > 0 ? Math.min(1, maxGradNorm / (norm + 1e-6)) : 1;
}

export interface TrainStepOptions {
  /** N soft-prompt rows. */
  promptTokens: number;
  /** m plain-token rows; 0 = plain prompt tuning (no reconstruction head, loss_rec = 0). */
  plainTokens: number;
  classes: number;
  /** |T|: the reconstruction head's output vocabulary (8000: USE-Lite's pieces, not the 2 spare rows). */
  reconVocab: number;
  /** c: the reconstruction head's bottleneck width. */
  reconRank: number;
  /** λ: weight of loss_rec. */
  lambda: number;
  adamW: AdamWOptions;
}

/** Options with defaults: 2 classes, T = 8000, c = 128, λ = 1, DEFAULT_ADAMW for what `adamW` leaves out. */
export function trainStepOptions(
  o: Partial<Omit<TrainStepOptions, 'adamW'>> & Pick<TrainStepOptions, 'promptTokens' | 'plainTokens'> & { adamW?: Partial<AdamWOptions> },
): TrainStepOptions {
  return { classes: 2, reconVocab: 8000, reconRank: 128, lambda: 1, ...o, adamW: { ...DEFAULT_ADAMW, ...o.adamW } };
}

/** The trained tensors, row-major, weights [in, out]. */
export interface Trainables {
  /** P [N, 256]. */
  prompt: Float32Array;
  /** Wc [512, classes]. */
  taskWeight: Float32Array;
  /** bc [classes]. */
  taskBias: Float32Array;
  /** W2 [512, c] and W1 [c, T]; null when plainTokens = 0. */
  rec: { w2: Float32Array; w1: Float32Array } | null;
}

export type TrainableName = 'prompt' | 'taskWeight' | 'taskBias' | 'recW2' | 'recW1';

/** The trainables as a flat list in a fixed order (prompt, taskWeight, taskBias[, recW2, recW1]). */
export function trainableList(t: Trainables): [TrainableName, Float32Array][] {
  const list: [TrainableName, Float32Array][] = [
    ['prompt', t.prompt],
    ['taskWeight', t.taskWeight],
    ['taskBias', t.taskBias],
  ];
  if (t.rec) list.push(['recW2', t.rec.w2], ['recW1', t.rec.w1]);
  return list;
}

export function trainableShapes(o: TrainStepOptions): Record<TrainableName, number[]> {
  return {
    prompt: [o.promptTokens, USE_INPUT_DIM],
    taskWeight: [USE_HIDDEN, o.classes],
    taskBias: [o.classes],
    recW2: [USE_HIDDEN, o.reconRank],
    recW1: [o.reconRank, o.reconVocab],
  };
}

/**
 * The fixture's deterministic initialisation (rapt-train-step.json `formulas`, transposed to [in, out]):
 *   Wc[j, c] = head.weight[c, j] = 0.01·sin(0.1·(512c + j) + 1)      bc[c] = 0.1c − 0.05
 *   W2[j, r] = W2_fixture[r, j] = 0.02·cos(0.01·(512r + j))          (fixture W2 is [c, 512])
 *   W1[r, v] = W1_fixture[v, r] = 0.05·sin(0.001·(128v + r) + 2)     (fixture W1 is [T, c]; the 128 is
 *                                                                     the fixture's c and kept as written)
 *   P_j = 2·E[promptInitIds[j]] — the doubled embedding, as the encoder feeds its other rows; this is the
 *   convention that reproduces the fixture's losses (P_j = E[id] is off by 1e-3 in loss_task).
 * Computed in double precision and rounded once, as PyTorch float64 → float32 would.
 */
export function formulaTrainables(w: UseLiteWeights, o: TrainStepOptions, promptInitIds: readonly number[]): Trainables {
  if (promptInitIds.length !== o.promptTokens) throw new Error(`${promptInitIds.length} prompt init ids for ${o.promptTokens} prompt tokens`);
  const d = USE_INPUT_DIM;
  const prompt = new Float32Array(o.promptTokens * d);
  promptInitIds.forEach((id, j) => {
    if (!(id >= 0 && id < w.vocabSize)) throw new Error(`prompt init id ${id} is outside the vocabulary`);
    for (let i = 0; i < d; i++) prompt[j * d + i] = 2 * w.embeddings[id * d + i];
  });
  const taskWeight = new Float32Array(USE_HIDDEN * o.classes);
  for (let j = 0; j < USE_HIDDEN; j++) for (let c = 0; c < o.classes; c++) taskWeight[j * o.classes + c] = 0.01 * Math.sin(0.1 * (512 * c + j) + 1);
  const taskBias = Float32Array.from({ length: o.classes }, (_, c) => 0.1 * c - 0.05);
  let rec: Trainables['rec'] = null;
  if (o.plainTokens > 0) {
    const c = o.reconRank;
    const T = o.reconVocab;
    const w2 = new Float32Array(USE_HIDDEN * c);
    for (let j = 0; j < USE_HIDDEN; j++) for (let r = 0; r < c; r++) w2[j * c + r] = 0.02 * Math.cos(0.01 * (512 * r + j));
    const w1 = new Float32Array(c * T);
    for (let r = 0; r < c; r++) for (let v = 0; v < T; v++) w1[r * T + v] = 0.05 * Math.sin(0.001 * (128 * v + r) + 2);
    rec = { w2, w1 };
  }
  return { prompt, taskWeight, taskBias, rec };
}

/** One padded batch in the layout above. */
export interface TrainBatch {
  batch: number;
  /** S: padded rows per example (≤ 128, the timing table's length). */
  length: number;
  /**
   * [batch·S] int32: rows < N are placeholders (0; the prompt replaces them), rows N..N+m−1 the privatised
   * plain tokens, then the text, then padding (0).
   */
  ids: Int32Array;
  /** [batch]: N + m + n_b. */
  lengths: Int32Array;
  /** [batch] class ids. */
  labels: Int32Array;
  /** [batch·m]: the original plain token ids, targets of the reconstruction head (empty when m = 0). */
  plainTargets: Int32Array;
}

export interface TrainExample {
  /** Text token ids (at least one). */
  text: readonly number[];
  label: number;
  /** m privatised plain tokens (RAPT only). */
  plain?: readonly number[];
  /** The reconstruction targets for them; defaults to `plain` itself. */
  plainTargets?: readonly number[];
}

/** Lays examples out as a TrainBatch padded to `length` rows (default: the longest example). */
export function makeTrainBatch(examples: readonly TrainExample[], o: TrainStepOptions, vocabSize: number, length?: number): TrainBatch {
  const N = o.promptTokens;
  const m = o.plainTokens;
  const need = Math.max(...examples.map((e) => N + m + e.text.length));
  const S = length ?? need;
  if (examples.length === 0) throw new Error('an empty batch');
  if (S < need) throw new Error(`padded length ${S} is shorter than the longest example (${need} rows)`);
  if (S > 128) throw new Error(`padded length ${S} exceeds USE-Lite's 128 positions`);
  const B = examples.length;
  const ids = new Int32Array(B * S);
  const lengths = new Int32Array(B);
  const labels = new Int32Array(B);
  const plainTargets = new Int32Array(B * m);
  const checkId = (id: number, limit: number, what: string) => {
    if (!Number.isInteger(id) || id < 0 || id >= limit) throw new Error(`${what} ${id} is outside [0, ${limit})`);
  };
  examples.forEach((e, b) => {
    if (e.text.length === 0) throw new Error(`example ${b} has no text tokens (the task head averages over them)`);
    const plain = e.plain ?? [];
    const targets = e.plainTargets ?? plain;
    if (plain.length !== m || targets.length !== m) throw new Error(`example ${b}: ${plain.length} plain tokens and ${targets.length} targets, expected ${m}`);
    checkId(e.label, o.classes, `example ${b}: label`);
    const row = [...plain, ...e.text];
    row.forEach((id, i) => {
      checkId(id, vocabSize, `example ${b}: token id`);
      ids[b * S + N + i] = id;
    });
    targets.forEach((id, i) => {
      checkId(id, o.reconVocab, `example ${b}: plain target`);
      plainTargets[b * m + i] = id;
    });
    lengths[b] = N + m + e.text.length;
    labels[b] = e.label;
  });
  return { batch: B, length: S, ids, lengths, labels, plainTargets };
}

/** Host-side inputs derived from a batch's lengths, fed to both peers as plain arrays. */
export interface BatchMasks {
  /** [batch·S]: 0 at real rows, KEY_PADDING_BIAS at padding (added to attention logits per key). */
  keyBias: Float32Array;
  /** [batch·S]: 1/n_b at the text rows [N + m, lengths[b]), 0 elsewhere (the task head's mean). */
  poolWeights: Float32Array;
}

export function batchMasks(b: TrainBatch, o: TrainStepOptions): BatchMasks {
  const S = b.length;
  const keyBias = new Float32Array(b.batch * S);
  const poolWeights = new Float32Array(b.batch * S);
  const first = o.promptTokens + o.plainTokens;
  for (let e = 0; e < b.batch; e++) {
    const len = b.lengths[e];
    for (let p = len; p < S; p++) keyBias[e * S + p] = KEY_PADDING_BIAS;
    for (let p = first; p < len; p++) poolWeights[e * S + p] = 1 / (len - first);
  }
  return { keyBias, poolWeights };
}

/** What a peer's step reports. */
export interface StepLosses {
  lossTask: number;
  /** 0 when plainTokens = 0. */
  lossRec: number;
}

/** The losses and raw (unclipped) gradients of one batch, without an update. */
export interface LossAndGrads extends StepLosses {
  grads: Trainables;
}

/** This step's learning rates (a schedule); the options' lr and promptLr where absent. */
export interface StepRates {
  lr?: number;
  promptLr?: number;
}

/** A training-step peer: one instance per (options, initial trainables); the encoder weights stay frozen. */
export interface TrainStepPeer {
  readonly name: string;
  /** Anything the peer does differently from the plain library call, for the benchmark's notes. */
  readonly adjustments: string[];
  /** Forward + backward + clip + AdamW update; resolves once the losses are read back. */
  step(batch: TrainBatch, rates?: StepRates): Promise<StepLosses>;
  /** Forward + backward only (for checks): losses and unclipped gradients, trainables unchanged. */
  lossAndGrads(batch: TrainBatch): Promise<LossAndGrads>;
  /** The current trainables, read back. */
  read(): Promise<Trainables>;
  /** Steps taken so far. */
  readonly steps: number;
  dispose(): void;
}

/**
 * f64 reference of one clipped AdamW step (step number t ≥ 1) on the trainables in trainableList order;
 * params and the moments m, v are updated in place. `rates` overrides the options' learning rates (a
 * schedule), as the peers' step() does.
 */
export function adamWReference(
  named: [TrainableName, Float64Array][],
  grads: ArrayLike<number>[],
  moments: { m: Float64Array[]; v: Float64Array[] },
  t: number,
  a: AdamWOptions,
  rates: StepRates = {},
): { gradNorm: number; clipScale: number } {
  let sq = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sq += g[i] * g[i];
  const gradNorm = Math.sqrt(sq);
  const clipScale = clipScaleOf(gradNorm, a.maxGradNorm);
  const bc1 = 1 - a.beta1 ** t;
  const bc2 = 1 - a.beta2 ** t;
  const o = { ...a, ...rates };
  named.forEach(([name, p], k) => {
    const { lr, weightDecay } = adamWFor(name, o);
    const g = grads[k];
    const m = moments.m[k];
    const v = moments.v[k];
    for (let i = 0; i < p.length; i++) {
      const gi = g[i] * clipScale;
      m[i] = a.beta1 * m[i] + (1 - a.beta1) * gi;
      v[i] = a.beta2 * v[i] + (1 - a.beta2) * gi * gi;
      p[i] -= lr * (m[i] / bc1 / (Math.sqrt(v[i] / bc2) + a.eps) + weightDecay * p[i]);
    }
  });
  return { gradNorm, clipScale };
}
