// The prompt-tuning / RAPT training step (trainStepSetup.ts) written with jax-js on its webgpu device: a
// benchmark peer for our WGSL training step. One jit over the whole step — valueAndGrad of the loss with
// respect to the trainables (argnums 0; the frozen encoder and the batch are further arguments, not
// differentiated), the global-norm clip and the AdamW update — returning the new trainables, the new
// moments and the two losses. A second jit (compiled only when used) returns the losses and the raw
// gradients, for checks.
//
// jax-js moves arrays into the ops that take them (reference counting): a value used again is passed as
// `x.ref`. The jitted functions receive the frozen weights by argument (`tree.ref(frozen)` each call, so
// they survive it); the trainables and moments are consumed by the step and replaced by its outputs.
// AdamW's learning rates and bias corrections change every step, so they travel in a small array argument
// rather than as JS numbers captured at trace time (which would be baked into the compiled step).

import type { Array as JaxArray } from '@jax-js/jax';
import type { UseLiteWeights } from '../../model/useLite/useLiteWeights';
import { layerNorm, linear, useLiteEncoderParams, type UseEncoderParams } from '../jaxModels';
import type { Jax } from '../peers';
import {
  batchMasks,
  trainableShapes,
  USE_HIDDEN,
  USE_INPUT_DIM,
  type LossAndGrads,
  type StepLosses,
  type TrainBatch,
  type Trainables,
  type TrainStepOptions,
  type TrainStepPeer,
} from './trainStepSetup';

type Frozen = UseEncoderParams;

/** Trainables on the device; `rec` has one entry with RAPT, none for plain prompt tuning. */
type Train = { prompt: JaxArray; taskW: JaxArray; taskB: JaxArray; rec: { w2: JaxArray; w1: JaxArray }[] };

type Batch = {
  /** [B, S] int32. */
  ids: JaxArray;
  /** [B, 1, 1, S]: 0 or −1e9 per key. */
  keyBias: JaxArray;
  /** [B, S, 1]: 1/n_b at text rows. */
  pool: JaxArray;
  /** [B] int32. */
  labels: JaxArray;
  /** [B·m] int32 ([0] without RAPT: unused). */
  targets: JaxArray;
};

const LN_EPS = 1e-6;


/** Mean cross-entropy of logits [rows, classes] against int32 targets [rows]. */
function crossEntropy(jax: Jax, logits: JaxArray, targets: JaxArray, classes: number): JaxArray {
  const rows = logits.shape[0];
  return jax.nn
    .logSoftmax(logits, -1)
    .mul(jax.nn.oneHot(targets, classes))
    .sum()
    .mul(-1 / rows);
}

export interface JaxTrainStepOptions {
  opts: TrainStepOptions;
  weights: UseLiteWeights;
  init: Trainables;
}

export function createJaxTrainStep(jax: Jax, { opts, weights: w, init }: JaxTrainStepOptions): TrainStepPeer {
  const np = jax.numpy;
  const N = opts.promptTokens;
  const m = opts.plainTokens;
  const rapt = m > 0;
  if (rapt !== (init.rec !== null)) throw new Error('the reconstruction head is needed exactly when plainTokens > 0');
  const shapes = trainableShapes(opts);
  const put = (data: Float32Array, shape: number[]) => np.array(data, { shape });

  const frozen: Frozen = useLiteEncoderParams(jax, w);
  const upload = (t: Trainables): Train => ({
    prompt: put(t.prompt, shapes.prompt),
    taskW: put(t.taskWeight, shapes.taskWeight),
    taskB: put(t.taskBias, shapes.taskBias),
    rec: t.rec ? [{ w2: put(t.rec.w2, shapes.recW2), w1: put(t.rec.w1, shapes.recW1) }] : [],
  });
  let train = upload(init);
  const zeros = (): Train => ({
    prompt: np.zeros(shapes.prompt),
    taskW: np.zeros(shapes.taskWeight),
    taskB: np.zeros(shapes.taskBias),
    rec: rapt ? [{ w2: np.zeros(shapes.recW2), w1: np.zeros(shapes.recW1) }] : [],
  });
  let moments = { m: zeros(), v: zeros() };
  let steps = 0;

  /** [loss, [lossTask, lossRec]] for valueAndGrad(…, { hasAux: true }). */
  const lossFn = (t: Train, f: Frozen, b: Batch): [JaxArray, [JaxArray, JaxArray]] => {
    const [B, S] = b.ids.shape;
    const rows = B * S;
    const d = USE_INPUT_DIM;
    // x0: P + t at the prompt rows, 2·E[id] + t elsewhere.
    const embedded = np.take(f.embeddings, b.ids.reshape([rows]), 0).mul(2).reshape([B, S, d]);
    const prompt = np.broadcastTo(t.prompt.reshape([1, N, d]), [B, N, d]);
    const x0 = np.concatenate([prompt, embedded.slice([], [N, S])], 1).add(f.timing.slice([0, S]));
    let x = x0.reshape([rows, d]);
    w.layers.forEach((lw, i) => {
      const l = f.layers[i];
      const width = lw.inputWidth;
      const qkv = linear(jax, layerNorm(jax, x.ref, l.ln, LN_EPS), l.qkvW, l.qkvB).reshape([B, S, 3, lw.heads, width / lw.heads]);
      const q = qkv.ref.slice([], [], 0);
      const k = qkv.ref.slice([], [], 1);
      const v = qkv.slice([], [], 2);
      const o = jax.nn.dotProductAttention(q, k, v, { scale: lw.queryScale, bias: b.keyBias.ref }).reshape([rows, width]);
      const attn = linear(jax, o, l.outW, l.outB);
      const residual = l.res.length ? linear(jax, x, l.res[0].w, l.res[0].b) : x;
      const x1 = attn.add(residual);
      const inner = jax.nn.relu(linear(jax, layerNorm(jax, x1.ref, l.ffnLn, LN_EPS), l.w1, l.b1));
      x = x1.add(linear(jax, inner, l.w2, l.b2));
    });
    b.keyBias.dispose();
    const states = x.reshape([B, S, USE_HIDDEN]);
    const pooled = states.ref.mul(b.pool).sum(1);
    const lossTask = crossEntropy(jax, linear(jax, pooled, t.taskW, t.taskB), b.labels, opts.classes);
    let lossRec: JaxArray;
    if (rapt) {
      const g = states.slice([], [N, N + m]).reshape([B * m, USE_HIDDEN]);
      const logits = np.matmul(np.matmul(g, t.rec[0].w2), t.rec[0].w1);
      lossRec = crossEntropy(jax, logits, b.targets, opts.reconVocab);
    } else {
      states.dispose();
      b.targets.dispose();
      lossRec = np.zeros([]);
    }
    const loss = lossTask.ref.add(lossRec.ref.mul(opts.lambda));
    return [loss, [lossTask, lossRec]];
  };

  const valueAndGrad = jax.valueAndGrad(lossFn, { argnums: 0, hasAux: true });

  const gradsFn = jax.jit((t: Train, f: Frozen, b: Batch) => {
    const [[loss, aux], grads] = valueAndGrad(t, f, b);
    loss.dispose();
    return { lossTask: aux[0], lossRec: aux[1], grads };
  });

  const a = opts.adamW;
  const clipOn = a.maxGradNorm > 0;
  /**
   * One leaf of AdamW (all arguments consumed): returns [p', m', v'].
   *   g ← g·clip;  m' = β1·m + (1 − β1)·g;  v' = β2·v + (1 − β2)·g²;
   *   p' = p − lr·((m'/bc1)/(√(v'/bc2) + eps) + wd·p)
   */
  const adamLeaf = (p: JaxArray, g: JaxArray, m0: JaxArray, v0: JaxArray, clip: JaxArray, lr: JaxArray, bc1: JaxArray, bc2: JaxArray, wd: number) => {
    const gc = g.mul(clip);
    const m1 = m0.mul(a.beta1).add(gc.ref.mul(1 - a.beta1));
    const v1 = v0.mul(a.beta2).add(np.square(gc).mul(1 - a.beta2));
    const adam = m1.ref.div(bc1).div(np.sqrt(v1.ref.div(bc2)).add(a.eps));
    const step = wd > 0 ? adam.add(p.ref.mul(wd)) : adam;
    return [p.sub(step.mul(lr)), m1, v1] as const;
  };

  /** hyper = [lr (heads), promptLr, 1 − β1^t, 1 − β2^t]. */
  const stepFn = jax.jit((t: Train, mom: { m: Train; v: Train }, f: Frozen, b: Batch, hyper: JaxArray) => {
    const [[loss, aux], grads] = valueAndGrad(jax.tree.ref(t), f, b);
    loss.dispose();
    const gLeaves = jax.tree.leaves(grads) as JaxArray[];
    let clip: JaxArray;
    if (clipOn) {
      // min(1, maxNorm / (‖g‖ + 1e-6)), ‖g‖ over every trainable together.
      const sumSq = gLeaves.map((g) => np.square(g.ref).sum()).reduce((acc, x) => acc.add(x));
      clip = np.minimum(np.reciprocal(np.sqrt(sumSq).add(1e-6)).mul(a.maxGradNorm), 1);
    } else clip = np.ones([]);
    const lrHeads = hyper.ref.slice(0);
    const lrPrompt = hyper.ref.slice(1);
    const bc1 = hyper.ref.slice(2);
    const bc2 = hyper.slice(3);
    const leaf = (p: JaxArray, g: JaxArray, m0: JaxArray, v0: JaxArray, lr: JaxArray, wd: number) =>
      adamLeaf(p, g, m0, v0, clip.ref, lr, bc1.ref, bc2.ref, wd);
    const prompt = leaf(t.prompt, grads.prompt, mom.m.prompt, mom.v.prompt, lrPrompt, a.weightDecay);
    const taskW = leaf(t.taskW, grads.taskW, mom.m.taskW, mom.v.taskW, lrHeads.ref, a.weightDecay);
    const taskB = leaf(t.taskB, grads.taskB, mom.m.taskB, mom.v.taskB, lrHeads.ref, 0);
    const rec = t.rec.map((r, i) => ({
      w2: leaf(r.w2, grads.rec[i].w2, mom.m.rec[i].w2, mom.v.rec[i].w2, lrHeads.ref, a.weightDecay),
      w1: leaf(r.w1, grads.rec[i].w1, mom.m.rec[i].w1, mom.v.rec[i].w1, lrHeads.ref, a.weightDecay),
    }));
    for (const x of [clip, lrHeads, bc1, bc2]) x.dispose();
    const pick = (k: 0 | 1 | 2): Train => ({
      prompt: prompt[k],
      taskW: taskW[k],
      taskB: taskB[k],
      rec: rec.map((r) => ({ w2: r.w2[k], w1: r.w1[k] })),
    });
    return { train: pick(0), moments: { m: pick(1), v: pick(2) }, lossTask: aux[0], lossRec: aux[1] };
  });

  const batchArrays = (batch: TrainBatch): Batch => {
    const { keyBias, poolWeights } = batchMasks(batch, opts);
    const B = batch.batch;
    const S = batch.length;
    return {
      ids: np.array(batch.ids, { shape: [B, S], dtype: np.int32 }),
      keyBias: put(keyBias, [B, 1, 1, S]),
      pool: put(poolWeights, [B, S, 1]),
      labels: np.array(batch.labels, { shape: [B], dtype: np.int32 }),
      targets: rapt ? np.array(batch.plainTargets, { shape: [B * m], dtype: np.int32 }) : np.array(new Int32Array(1), { shape: [1], dtype: np.int32 }),
    };
  };

  const scalar = async (x: JaxArray) => ((await x.data()) as Float32Array)[0];
  const read = async (t: Train): Promise<Trainables> => {
    const get = async (x: JaxArray) => new Float32Array((await x.ref.data()) as Float32Array);
    return {
      prompt: await get(t.prompt),
      taskWeight: await get(t.taskW),
      taskBias: await get(t.taskB),
      rec: t.rec.length ? { w2: await get(t.rec[0].w2), w1: await get(t.rec[0].w1) } : null,
    };
  };

  return {
    name: 'jax-js (jit + valueAndGrad, webgpu)',
    adjustments: [],
    get steps() {
      return steps;
    },
    async step(batch, rates = {}) {
      steps++;
      const hyper = np.array(new Float32Array([rates.lr ?? a.lr, rates.promptLr ?? a.promptLr, 1 - a.beta1 ** steps, 1 - a.beta2 ** steps]), { shape: [4] });
      const out = stepFn(train, moments, jax.tree.ref(frozen), batchArrays(batch), hyper);
      train = out.train;
      moments = out.moments;
      const losses: StepLosses = { lossTask: await scalar(out.lossTask), lossRec: await scalar(out.lossRec) };
      return losses;
    },
    async lossAndGrads(batch) {
      const out = gradsFn(jax.tree.ref(train), jax.tree.ref(frozen), batchArrays(batch));
      const result: LossAndGrads = { lossTask: await scalar(out.lossTask), lossRec: await scalar(out.lossRec), grads: await read(out.grads) };
      jax.tree.dispose(out.grads);
      return result;
    },
    read: () => read(train),
    dispose() {
      stepFn.dispose();
      gradsFn.dispose();
      jax.tree.dispose(train);
      jax.tree.dispose(moments);
      jax.tree.dispose(frozen);
    },
  };
}
