// The prompt-tuning / RAPT training step (trainStepSetup.ts) written with TensorFlow.js on its webgpu
// backend: a benchmark peer for our WGSL training step. The trainables are tf.Variables; the step is
// tf.variableGrads of the loss with respect to them (the frozen encoder weights are plain tensors, so the
// tape computes activation gradients through the encoder and weight gradients for the heads only), then
// the global-norm clip and AdamW as tensor ops and Variable.assign — everything inside one tf.tidy.
//
// Use it with the TF.js instance from openTf() (peers.ts): that backend keeps CPU copies of integer and
// small tensors, because a synchronous GPU readback crashes WebGPU under headless Chromium; this step reads
// its losses and parameters only asynchronously (data()).
//
// One adjustment of its own (SPLIT_K_NOTE, listed in `adjustments`): TF.js's split-K matmul gives wrong
// results on SwiftShader, so the step runs with the flag that keeps TF.js off it. It only ever matters for
// small reconstruction batches (B·m ≤ 64); at the benchmark's shapes TF.js picks the same programs as
// without the flag.

import type { UseLiteWeights } from '../../model/useLite/useLiteWeights';
import { useLiteTimingTable } from '../../model/useLite/useLiteWeights';
import type { Tf } from '../peers';
import {
  batchMasks,
  trainableShapes,
  USE_HIDDEN,
  USE_INPUT_DIM,
  type LossAndGrads,
  type TrainBatch,
  type Trainables,
  type TrainStepOptions,
  type TrainStepPeer,
  type TrainableName,
  adamWFor,
} from './trainStepSetup';

type Tensor = import('@tensorflow/tfjs').Tensor;
type Variable = import('@tensorflow/tfjs').Variable;

interface LayerTensors {
  lnGamma: Tensor;
  lnBeta: Tensor;
  qkvW: Tensor;
  qkvB: Tensor;
  outW: Tensor;
  outB: Tensor;
  res: { w: Tensor; b: Tensor } | null;
  ffnGamma: Tensor;
  ffnBeta: Tensor;
  w1: Tensor;
  b1: Tensor;
  w2: Tensor;
  b2: Tensor;
}

const LN_EPS = 1e-6;

const THRESHOLD_FLAG = 'WEBGPU_THRESHOLD_TO_INCREASE_WORKGROUPS_FOR_MATMUL';
const SPLIT_K_NOTE =
  `${THRESHOLD_FLAG} = 1 during the step: TF.js's split-K matmul (its choice for outputs of ≤ 8 32×32 tiles with ` +
  'K ≥ 2000 — here the reconstruction-head gradient dlogits·W1ᵀ [B·m, T]·[T, c] when B·m ≤ 64 at c = 128) returns ' +
  'wrong sums on SwiftShader (max error 1.3 on values of magnitude 1.5 for 32×8000·(128×8000)ᵀ, with or without the ' +
  "peers.ts adjustments); at B·m > 64 (the benchmark's 16×8 = 128) TF.js picks its packed matmul either way";

export interface TfTrainStepOptions {
  opts: TrainStepOptions;
  weights: UseLiteWeights;
  init: Trainables;
}

export function createTfTrainStep(tf: Tf, { opts, weights: w, init }: TfTrainStepOptions): TrainStepPeer {
  const N = opts.promptTokens;
  const m = opts.plainTokens;
  const rapt = m > 0;
  if (rapt !== (init.rec !== null)) throw new Error('the reconstruction head is needed exactly when plainTokens > 0');
  const shapes = trainableShapes(opts);

  /**
   * Runs fn (synchronous TF.js work) with the matmul threshold at 1, so TF.js never picks its split-K
   * program (SPLIT_K_NOTE), and restores the flag's previous value. Every TF.js op chooses its program when
   * it is called, so the setting covers exactly the ops fn issues, gradients included.
   */
  const withoutSplitK = <T>(fn: () => T): T => {
    const env = tf.env();
    const previous = env.getNumber(THRESHOLD_FLAG);
    env.set(THRESHOLD_FLAG, 1);
    try {
      return fn();
    } finally {
      env.set(THRESHOLD_FLAG, previous);
    }
  };

  const embeddings = tf.tensor2d(w.embeddings, [w.vocabSize, w.embeddingDim]);
  const timing = tf.tensor2d(useLiteTimingTable(w), [w.maxPositions, w.embeddingDim]);
  const layers: LayerTensors[] = w.layers.map((l) => ({
    lnGamma: tf.tensor1d(l.attentionLn.gamma),
    lnBeta: tf.tensor1d(l.attentionLn.beta),
    qkvW: tf.tensor2d(l.qkvWeight, [l.inputWidth, 3 * l.inputWidth]),
    qkvB: tf.tensor1d(l.qkvBias),
    outW: tf.tensor2d(l.attentionOutWeight, [l.inputWidth, l.hidden]),
    outB: tf.tensor1d(l.attentionOutBias),
    res: l.residualProjection
      ? { w: tf.tensor2d(l.residualProjection.weight, [l.inputWidth, l.hidden]), b: tf.tensor1d(l.residualProjection.bias) }
      : null,
    ffnGamma: tf.tensor1d(l.ffnLn.gamma),
    ffnBeta: tf.tensor1d(l.ffnLn.beta),
    w1: tf.tensor2d(l.ffnInWeight, [l.hidden, l.ffnWidth]),
    b1: tf.tensor1d(l.ffnInBias),
    w2: tf.tensor2d(l.ffnOutWeight, [l.ffnWidth, l.hidden]),
    b2: tf.tensor1d(l.ffnOutBias),
  }));
  const frozen: Tensor[] = [embeddings, timing, ...layers.flatMap((l) => [l.lnGamma, l.lnBeta, l.qkvW, l.qkvB, l.outW, l.outB, l.ffnGamma, l.ffnBeta, l.w1, l.b1, l.w2, l.b2, ...(l.res ? [l.res.w, l.res.b] : [])])];

  // Unnamed variables: TF.js names must be unique per page, and several peers may coexist.
  const variable = (data: Float32Array, shape: number[], trainable = true) => tf.variable(tf.tensor(data, shape), trainable);
  const vars = {
    prompt: variable(init.prompt, shapes.prompt),
    taskW: variable(init.taskWeight, shapes.taskWeight),
    taskB: variable(init.taskBias, shapes.taskBias),
    recW2: init.rec ? variable(init.rec.w2, shapes.recW2) : null,
    recW1: init.rec ? variable(init.rec.w1, shapes.recW1) : null,
  };
  const varList: Variable[] = [vars.prompt, vars.taskW, vars.taskB, ...(vars.recW2 && vars.recW1 ? [vars.recW2, vars.recW1] : [])];
  const varNames: TrainableName[] = ['prompt', 'taskWeight', 'taskBias', 'recW2', 'recW1'];
  const zerosLike = (v: Variable) => tf.variable(tf.zeros(v.shape), false);
  const moments = varList.map((v) => ({ m: zerosLike(v), v: zerosLike(v) }));
  let steps = 0;

  const layerNorm = (x: Tensor, gamma: Tensor, beta: Tensor): Tensor => {
    const { mean, variance } = tf.moments(x, -1, true);
    return x.sub(mean).mul(tf.rsqrt(variance.add(LN_EPS))).mul(gamma).add(beta);
  };
  const linear = (x: Tensor, wt: Tensor, b: Tensor) => tf.add(tf.matMul(x, wt), b);
  const crossEntropy = (logits: Tensor, targets: Tensor, classes: number): Tensor =>
    tf.logSoftmax(logits).mul(tf.oneHot(targets, classes).toFloat()).sum().mul(-1 / logits.shape[0]);

  interface BatchTensors {
    ids: Tensor;
    keyBias: Tensor;
    pool: Tensor;
    labels: Tensor;
    targets: Tensor | null;
  }
  const batchTensors = (b: TrainBatch): BatchTensors => {
    const { keyBias, poolWeights } = batchMasks(b, opts);
    return {
      ids: tf.tensor1d(b.ids, 'int32'),
      keyBias: tf.tensor(keyBias, [b.batch, 1, 1, b.length]),
      pool: tf.tensor(poolWeights, [b.batch, b.length, 1]),
      labels: tf.tensor1d(b.labels, 'int32'),
      targets: rapt ? tf.tensor1d(b.plainTargets, 'int32') : null,
    };
  };

  /** The two losses and loss = lossTask + λ·lossRec (call inside a tidy or a gradient function). */
  const losses = (bt: BatchTensors, B: number, S: number): { loss: Tensor; lossTask: Tensor; lossRec: Tensor } => {
    const rows = B * S;
    const d = USE_INPUT_DIM;
    const embedded = tf.gather(embeddings, bt.ids).mul(2).reshape([B, S, d]);
    const prompt = tf.broadcastTo(vars.prompt.reshape([1, N, d]), [B, N, d]);
    const x0 = tf.concat([prompt, embedded.slice([0, N, 0], [B, S - N, d])], 1).add(timing.slice([0, 0], [S, d]));
    let x: Tensor = x0.reshape([rows, d]);
    w.layers.forEach((lw, i) => {
      const l = layers[i];
      const width = lw.inputWidth;
      const H = lw.heads;
      const dh = width / H;
      const qkv = linear(layerNorm(x, l.lnGamma, l.lnBeta), l.qkvW, l.qkvB);
      const heads = (t: Tensor) => t.reshape([B, S, H, dh]).transpose([0, 2, 1, 3]).reshape([B * H, S, dh]);
      const q = heads(qkv.slice([0, 0], [rows, width]).mul(lw.queryScale));
      const k = heads(qkv.slice([0, width], [rows, width]));
      const v = heads(qkv.slice([0, 2 * width], [rows, width]));
      const scores = tf.matMul(q, k, false, true).reshape([B, H, S, S]).add(bt.keyBias);
      const probs = tf.softmax(scores).reshape([B * H, S, S]);
      const o = tf.matMul(probs, v).reshape([B, H, S, dh]).transpose([0, 2, 1, 3]).reshape([rows, width]);
      const attn = linear(o, l.outW, l.outB);
      const x1 = attn.add(l.res ? linear(x, l.res.w, l.res.b) : x);
      const inner = tf.relu(linear(layerNorm(x1, l.ffnGamma, l.ffnBeta), l.w1, l.b1));
      x = x1.add(linear(inner, l.w2, l.b2));
    });
    const states = x.reshape([B, S, USE_HIDDEN]);
    const pooled = states.mul(bt.pool).sum(1);
    const lossTask = crossEntropy(linear(pooled, vars.taskW, vars.taskB), bt.labels, opts.classes);
    let lossRec: Tensor = tf.scalar(0);
    if (rapt && vars.recW2 && vars.recW1 && bt.targets) {
      const g = states.slice([0, N, 0], [B, m, USE_HIDDEN]).reshape([B * m, USE_HIDDEN]);
      lossRec = crossEntropy(tf.matMul(tf.matMul(g, vars.recW2), vars.recW1), bt.targets, opts.reconVocab);
    }
    return { loss: lossTask.add(lossRec.mul(opts.lambda)), lossTask, lossRec };
  };

  /** Losses (kept) and raw gradients (kept), in varList order. */
  const lossesAndGrads = (b: TrainBatch): { lossTask: Tensor; lossRec: Tensor; grads: Tensor[] } => {
    const bt = batchTensors(b);
    try {
      let lossTask: Tensor | null = null;
      let lossRec: Tensor | null = null;
      const { value, grads } = tf.variableGrads(() => {
        const r = losses(bt, b.batch, b.length);
        lossTask = tf.keep(r.lossTask);
        lossRec = tf.keep(r.lossRec);
        return r.loss as import('@tensorflow/tfjs').Scalar;
      }, varList);
      value.dispose();
      return { lossTask: lossTask!, lossRec: lossRec!, grads: varList.map((v) => grads[v.name]) };
    } finally {
      tf.dispose([bt.ids, bt.keyBias, bt.pool, bt.labels, ...(bt.targets ? [bt.targets] : [])]);
    }
  };

  const a = opts.adamW;
  const scalarOf = async (t: Tensor) => {
    const value = (await t.data())[0];
    t.dispose();
    return value;
  };
  const readAll = async (ts: Tensor[]) => Promise.all(ts.map(async (t) => new Float32Array(await t.data())));
  const asTrainables = (arrays: Float32Array[]): Trainables => ({
    prompt: arrays[0],
    taskWeight: arrays[1],
    taskBias: arrays[2],
    rec: rapt ? { w2: arrays[3], w1: arrays[4] } : null,
  });

  return {
    name: `TF.js ${tf.version.tfjs} (${tf.getBackend()}, variableGrads)`,
    adjustments: [SPLIT_K_NOTE],
    get steps() {
      return steps;
    },
    async step(batch, rates = {}) {
      steps++;
      const bc1 = 1 - a.beta1 ** steps;
      const bc2 = 1 - a.beta2 ** steps;
      const o = { ...a, ...rates };
      const [lossTask, lossRec] = withoutSplitK(() =>
        tf.tidy(() => {
          const { lossTask, lossRec, grads } = lossesAndGrads(batch);
          // min(1, maxNorm / (‖g‖ + 1e-6)), ‖g‖ over every trainable together.
          const clip =
            a.maxGradNorm > 0 ? tf.minimum(tf.div(a.maxGradNorm, tf.sqrt(tf.addN(grads.map((g) => g.square().sum()))).add(1e-6)), 1) : tf.scalar(1);
          varList.forEach((p, i) => {
            const { lr, weightDecay } = adamWFor(varNames[i], o);
            const g = grads[i].mul(clip);
            const { m: mv, v: vv } = moments[i];
            mv.assign(mv.mul(a.beta1).add(g.mul(1 - a.beta1)));
            vv.assign(vv.mul(a.beta2).add(g.square().mul(1 - a.beta2)));
            let update = mv.div(bc1).div(vv.div(bc2).sqrt().add(a.eps));
            if (weightDecay > 0) update = update.add(p.mul(weightDecay));
            p.assign(p.sub(update.mul(lr)));
          });
          return [lossTask, lossRec];
        }),
      );
      return { lossTask: await scalarOf(lossTask), lossRec: await scalarOf(lossRec) };
    },
    async lossAndGrads(batch) {
      const { lossTask, lossRec, grads } = withoutSplitK(() => lossesAndGrads(batch));
      const arrays = await readAll(grads);
      tf.dispose(grads);
      const result: LossAndGrads = { lossTask: await scalarOf(lossTask), lossRec: await scalarOf(lossRec), grads: asTrainables(arrays) };
      return result;
    },
    read: async () => asTrainables(await readAll(varList)),
    dispose() {
      tf.dispose([...frozen, ...varList, ...moments.flatMap((x) => [x.m, x.v])]);
    },
  };
}
