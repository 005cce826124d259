// The GPU BERT training step (src/training/bertTrainer.ts) against the double-precision reference
// (reference/bertTrainingReference.ts): every trained tensor's gradient, both task heads, with and without
// RAPT, on a tiny random BERT whose sizes are not multiples of 4 (hidden 12, head width 6, FFN 18: the
// unaligned kernels) with ragged lengths and padding rows, and on the tiny-bert fixture checkpoint (hidden
// 32: the vec4 kernels). Also: the trainer's forward is the encoder's forward (verbaliser logits against
// BertEncoder's MLM logits), steps are deterministic and lower the loss, bad input is refused.
import { describe, expect, it } from 'vitest';
import { parseBertConfig } from '../../../src/model/bert/bertConfig';
import { BertEncoder } from '../../../src/model/bert/bertEncoder';
import { isBertTensorUsed, mapBertWeights, type BertWeights } from '../../../src/model/bert/bertWeights';
import { readSafetensors } from '../../../src/model/formats/safetensors';
import { BertTrainer, type BertHead, type BertTrainerShape, type PromptTrainer } from '../../../src/training/bertTrainer';
import { bertTrainStepReference } from '../../../src/training/reference/bertTrainingReference';
import { TINY_BERT_SPECIAL_IDS, tinyBertTrainableParams, tinyBertWeights } from '../../../src/training/reference/tinyBert';
import { PARAM_NAMES, type OptimizerSettings, type TrainableParams } from '../../../src/training/useLiteTrainer';
import { loadBert } from '../../../src/model/bert/loadBert';
import { localFilesSource } from '../../../src/model/sources/localFilesSource';
import { DeviceEmbeddingTable } from '../../../src/privacy/deviceTable';
import { Privatizer } from '../../../src/privacy/privatize';
import type { BertTrainRequestOptions } from '../../../src/training/trainBertCondition';
import { trainCondition } from '../../../src/training/trainCondition';
import type { TrainRequest } from '../../../src/training/trainTypes';
import { testRuntime } from '../gpuTestRuntime';
import { asRef, f32, relErr } from './trainerTestUtils';


const NO_CLIP: OptimizerSettings = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 0 };

async function makeTrainer(w: BertWeights, shape: BertTrainerShape, params: TrainableParams, optimizer = NO_CLIP) {
  const rt = await testRuntime();
  const encoder = await BertEncoder.create(rt, w);
  const trainer = await BertTrainer.create(rt, w, encoder.deviceWeights, shape, params, optimizer);
  // Structurally what the training loop drives (compile-time check).
  const loopView: PromptTrainer = trainer;
  return { rt, encoder, trainer, loopView };
}

async function fixtureWeights(): Promise<BertWeights> {
  const base = '/tests/fixtures/tiny-bert/';
  const config = parseBertConfig(await (await fetch(`${base}config.json`)).json());
  return mapBertWeights(config, readSafetensors(await (await fetch(`${base}model.safetensors`)).arrayBuffer(), { only: isBertTensorUsed }));
}

/** Gradients, losses and predictions of one batch on the GPU against the reference; returns the worst relative error. */
async function compare(w: BertWeights, head: BertHead, m: number, texts: number[][], plain: number[][], labelWordIds: number[], tol: number): Promise<number> {
  const N = 3;
  const classes = 3;
  const shape: BertTrainerShape = { promptLength: N, plainLength: m, classes, reconstructionWidth: 4, targetVocab: 20, lambda: 0.7, head, labelWordIds, specialIds: TINY_BERT_SPECIAL_IDS };
  const params = f32(tinyBertTrainableParams(w.config.hiddenSize, { promptLength: N, classes, head, ...(m ? { recRank: 4, recVocab: 20 } : {}) }, 7));
  const targets = plain.map((p) => p.map((x) => x % 20));
  const ids = texts.map((t, b) => (m ? [...plain[b], ...t] : t));
  const labels = [2, 0, 1];
  const batch = { ids, labels, plainTargets: m ? targets : undefined };
  const { trainer, encoder } = await makeTrainer(w, shape, params);
  await trainer.gradients(batch);
  const grads = await trainer.readGradients();
  const metrics = await trainer.readMetrics();
  const ref = bertTrainStepReference(w, asRef(params, m > 0), batch, { promptLength: N, plainLength: m, classes, lambda: 0.7, head, labelWordIds, specialIds: TINY_BERT_SPECIAL_IDS });
  expect(Math.abs(metrics.taskLossSum / 3 - ref.lossTask)).toBeLessThan(2e-6 * Math.max(1, ref.lossTask));
  if (m) expect(Math.abs(metrics.recLossSum / (3 * m) - ref.lossRec)).toBeLessThan(2e-6 * Math.max(1, ref.lossRec));
  let worst = 0;
  for (const name of PARAM_NAMES) {
    const want = ref.grads[name];
    if (!want || want.length === 0) {
      expect(grads[name].length, name).toBe(0);
      continue;
    }
    const e = relErr(grads[name], want);
    worst = Math.max(worst, e);
    expect(e, `${head} m=${m} ${name}`).toBeLessThan(tol);
  }
  // predict(): the same forward, padded up to a larger plan batch (ignored rows).
  const { predicted, losses } = await trainer.predict(batch, 5);
  ref.taskLogits.forEach((logits, b) => {
    const best = logits.indexOf(Math.max(...logits));
    expect(predicted[b]).toBe(best);
    const logZ = Math.log(logits.reduce((s, v) => s + Math.exp(v), 0));
    const want = logZ - logits[labels[b]];
    expect(Math.abs(losses[b] - want), `loss ${b}`).toBeLessThan(2e-6 * Math.max(1, want));
  });
  trainer.destroy();
  encoder.destroy();
  return worst;
}

describe('BertTrainer on a tiny random BERT (unaligned sizes)', () => {
  const w = tinyBertWeights(3);
  // Ragged lengths: a one-token text, a long one (19 rows of 32 with RAPT and the verbaliser).
  const texts = [[5, 9, 11, 13], [7], [12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22]];
  const plain = [[21, 29], [8, 8], [27, 6]];
  for (const head of ['classifier', 'verbaliser'] as const) {
    for (const m of [0, 2]) {
      it(`${head}, ${m ? 'RAPT (m = 2)' : 'prompt tuning'}: every trained gradient matches the f64 reference`, async () => {
        const worst = await compare(w, head, m, texts, plain, [9, 17, 23], 1e-5);
        console.log(`tiny random BERT, ${head}, m = ${m}: worst gradient error ${worst.toExponential(2)} (relative to each tensor's max)`);
      });
    }
  }

  it('a step is deterministic and moves the loss down; readMetrics resets', async () => {
    const shape: BertTrainerShape = { promptLength: 2, plainLength: 2, classes: 3, reconstructionWidth: 4, targetVocab: 20, lambda: 1, head: 'verbaliser', labelWordIds: [9, 17, 23], specialIds: TINY_BERT_SPECIAL_IDS };
    const params = f32(tinyBertTrainableParams(12, { promptLength: 2, classes: 3, head: 'verbaliser', recRank: 4, recVocab: 20 }, 9));
    const targets = [[1, 9], [8, 8], [7, 6]];
    const batch = { ids: texts.map((t, b) => [...plain[b], ...t]), labels: [2, 0, 1], plainTargets: targets };
    const runs: Float32Array[] = [];
    const losses: number[] = [];
    for (let r = 0; r < 2; r++) {
      const { trainer, encoder } = await makeTrainer(w, shape, params);
      for (let s = 0; s < 5; s++) {
        await trainer.step(batch, 0.05, 0.05);
        const m = await trainer.readMetrics();
        if (r === 0) losses.push(m.taskLossSum / 3 + m.recLossSum / 6);
      }
      const after = await trainer.readMetrics();
      expect(after.taskLossSum).toBe(0);
      const p = await trainer.readParams();
      runs.push(new Float32Array([...p.prompt, ...p.recW2, ...p.recW1]));
      expect(trainer.steps).toBe(5);
      expect(p.taskW.length).toBe(0);
      trainer.destroy();
      encoder.destroy();
    }
    expect([...runs[1]]).toEqual([...runs[0]]);
    console.log(`tiny random BERT, verbaliser + RAPT, 5 steps: loss ${losses.map((l) => l.toFixed(4)).join(' → ')}`);
    expect(losses[4]).toBeLessThan(losses[0]);
  });

  it('AdamW and clipping match a hand-rolled first step from the reference gradients (prompt and head learning rates)', async () => {
    const shape: BertTrainerShape = { promptLength: 2, plainLength: 0, classes: 3, reconstructionWidth: 0, targetVocab: 0, lambda: 1, head: 'classifier', specialIds: TINY_BERT_SPECIAL_IDS };
    const params = f32(tinyBertTrainableParams(12, { promptLength: 2, classes: 3, head: 'classifier' }, 11));
    const batch = { ids: texts, labels: [2, 0, 1] };
    const maxNorm = 0.01;
    const { trainer, encoder } = await makeTrainer(w, shape, params, { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1, maxGradNorm: maxNorm });
    await trainer.step(batch, 0.01, 0.02);
    const after = await trainer.readParams();
    const ref = bertTrainStepReference(w, asRef(params, false), batch, { promptLength: 2, plainLength: 0, classes: 3, lambda: 1, head: 'classifier', specialIds: TINY_BERT_SPECIAL_IDS });
    const norm = Math.sqrt((['prompt', 'taskW', 'taskB'] as const).reduce((s, n) => s + ref.grads[n].reduce((a, g) => a + g * g, 0), 0));
    const clip = Math.min(1, maxNorm / (norm + 1e-6));
    expect(clip).toBeLessThan(1);
    expect(Math.abs((await trainer.readMetrics()).gradNorm - norm) / norm).toBeLessThan(1e-5);
    for (const [name, lr, wd] of [['prompt', 0.02, 0.1], ['taskW', 0.01, 0.1], ['taskB', 0.01, 0]] as const) {
      // First AdamW step: m̂ = g, v̂ = g², so the step is lr·g/(|g| + eps) + lr·wd·p.
      const want = params[name].map((p, i) => {
        const g = ref.grads[name][i] * clip;
        return p - lr * (g / (Math.abs(g) + 1e-8) + wd * p);
      });
      expect(relErr(after[name], want), name).toBeLessThan(1e-4);
    }
    trainer.destroy();
    encoder.destroy();
  });

  it('refuses bad shapes and batches with clear messages', async () => {
    const rt = await testRuntime();
    const encoder = await BertEncoder.create(rt, w);
    const base: BertTrainerShape = { promptLength: 2, plainLength: 2, classes: 3, reconstructionWidth: 4, targetVocab: 20, lambda: 1, head: 'classifier', specialIds: TINY_BERT_SPECIAL_IDS };
    const params = f32(tinyBertTrainableParams(12, { promptLength: 2, classes: 3, head: 'classifier', recRank: 4, recVocab: 20 }, 1));
    await expect(BertTrainer.create(rt, w, encoder.deviceWeights, { ...base, head: 'verbaliser', labelWordIds: [9, 17] }, params)).rejects.toThrow(/one label word per class/);
    await expect(BertTrainer.create(rt, w, encoder.deviceWeights, { ...base, head: 'verbaliser', labelWordIds: [9, 9, 17] }, params)).rejects.toThrow(/share a label word/);
    await expect(BertTrainer.create(rt, { ...w, mlmHead: null }, encoder.deviceWeights, { ...base, head: 'verbaliser', labelWordIds: [9, 17, 23] }, params)).rejects.toThrow(/masked-LM/);
    // The verbaliser has no task weights: a classifier's initial parameters do not fit.
    await expect(BertTrainer.create(rt, w, encoder.deviceWeights, { ...base, head: 'verbaliser', labelWordIds: [9, 17, 23] }, params)).rejects.toThrow(/taskW has 36 values, needs 0/);
    const trainer = await BertTrainer.create(rt, w, encoder.deviceWeights, base, params, NO_CLIP);
    await expect(trainer.gradients({ ids: [[1, 2, 3]], labels: [5], plainTargets: [[1, 2]] })).rejects.toThrow(/label 5/);
    await expect(trainer.gradients({ ids: [[1, 2, 30]], labels: [0], plainTargets: [[1, 2]] })).rejects.toThrow(/outside the vocabulary/);
    await expect(trainer.gradients({ ids: [[1, 2, 3]], labels: [0], plainTargets: [[1, 25]] })).rejects.toThrow(/target vocabulary/);
    await expect(trainer.gradients({ ids: [[1, 2]], labels: [0], plainTargets: [[1, 2]] })).rejects.toThrow(/at least one text token/);
    // 1 + 2 + 28 + 1 = 32 rows fit; one more does not.
    await expect(trainer.gradients({ ids: [Array(28).fill(5)], labels: [0], plainTargets: [[1, 2]] })).resolves.toBeUndefined();
    await expect(trainer.gradients({ ids: [Array(29).fill(5)], labels: [0], plainTargets: [[1, 2]] })).rejects.toThrow(/exceed/);
    trainer.destroy();
    encoder.destroy();
  });
});

describe('BertTrainer on the tiny-bert fixture checkpoint (hidden 32, vec4 kernels)', () => {
  it('verbaliser and classifier with RAPT: every trained gradient matches the f64 reference', async () => {
    const w = await fixtureWeights();
    const texts = [[38, 42, 5], [51], [17, 47, 41, 51, 60, 61, 62, 70]];
    const plain = [[60, 33], [44, 45], [90, 91]];
    for (const head of ['verbaliser', 'classifier'] as const) {
      const worst = await compare(w, head, 2, texts, plain, [51, 52, 53], 1e-5);
      console.log(`tiny-bert fixture, ${head} + RAPT: worst gradient error ${worst.toExponential(2)}`);
    }
  });

  it("the trainer's forward is the encoder's: verbaliser losses from BertEncoder's MLM logits (no prompt)", async () => {
    const w = await fixtureWeights();
    const s = TINY_BERT_SPECIAL_IDS;
    const labelWordIds = [51, 52, 53, 84];
    const shape: BertTrainerShape = { promptLength: 0, plainLength: 0, classes: 4, reconstructionWidth: 0, targetVocab: 0, lambda: 0, head: 'verbaliser', labelWordIds, specialIds: s };
    const empty = new Float32Array(0);
    const { trainer, encoder } = await makeTrainer(w, shape, { prompt: empty, taskW: empty, taskB: empty, recW2: empty, recW1: empty });
    const texts = [[38, 42, 5], [51, 6, 52], [17, 1, 47]];
    const labels = [3, 0, 2];
    const { predicted, losses } = await trainer.predict({ ids: texts, labels });
    const out = await encoder.forward(texts.map((t) => [s.cls, ...t, s.mask, s.sep]), texts.map((t, b) => [b, t.length + 1] as [number, number]));
    const V = w.config.vocabSize;
    texts.forEach((_, b) => {
      const logits = labelWordIds.map((id) => out.mlmLogits![b * V + id]);
      const logZ = Math.log(logits.reduce((a, v) => a + Math.exp(v), 0));
      expect(Math.abs(losses[b] - (logZ - logits[labels[b]]))).toBeLessThan(1e-5);
      expect(predicted[b]).toBe(logits.indexOf(Math.max(...logits)));
    });
    trainer.destroy();
    encoder.destroy();
  });
});

describe('trainCondition on a BERT model (tiny-bert fixture, end to end)', () => {
  it('privatises, trains RAPT with the verbaliser head through trainLoop, and evaluates', async () => {
    const rt = await testRuntime();
    const base = '/tests/fixtures/tiny-bert/';
    const names = ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt'];
    const files = await Promise.all(names.map(async (n) => ({ path: `tiny-bert/${n}`, file: await (await fetch(`${base}${n}`)).blob() })));
    const model = await loadBert(localFilesSource(files, { label: 'tiny-bert' }), () => {}, ['the cat sat on the mat']);
    const table = new DeviceEmbeddingTable(rt, model.table);
    const privatizer = await Privatizer.create(rt, table);
    // Which animal the text is about: the label word itself is in the text.
    const subjects = ['the cat sat on the mat', 'my cat is very big', 'the dog ran to the tree', 'a big dog was in the house'];
    const examples = Array.from({ length: 24 }, (_, i) => ({ text: `${subjects[i % 4]} ${['and', 'with', 'of'][i % 3]} it`, label: (i % 4) >> 1 }));
    const req: TrainRequest & BertTrainRequestOptions = {
      condition: 'rapt', eta: 500, seed: 5, train: examples.slice(0, 16), dev: examples.slice(16), labelNames: ['cat', 'dog'],
      promptLength: 2, rapt: { plainTokens: 2, lambda: 1, width: 8, targetVocab: null },
      settings: { epochs: 3, batchSize: 4, lr: 0.01, promptLr: 0.05, warmupFraction: 0.1, weightDecay: 0, maxGradNorm: 1, maxTokens: 12, evalsPerEpoch: 1, initialEvaluation: true },
      head: 'verbaliser',
      labelWords: null,
    };
    const result = await trainCondition({ runtime: rt, model, privatizer, encoder: null }, req);
    console.log(`tiny-bert RAPT verbaliser: ${result.steps} steps, eval loss ${result.evals.map((e) => e.loss.toFixed(3)).join(' → ')}, accuracy ${result.accuracy}`);
    expect(result.steps).toBe(12);
    expect(result.evals.length).toBe(4);
    expect(result.trainExamples).toBe(16);
    expect(result.plainTokens).toHaveLength(2);
    // Prompt 2×32, W2 32×8, W1 8×|T|: |T| = the last candidate id + 1 = 98; no task weights.
    expect(result.shape.trainedParameters).toBe(2 * 32 + 32 * 8 + 8 * 98);
    expect(result.history.every((h) => Number.isFinite(h.lossTask) && h.lossRec !== null)).toBe(true);
    expect(result.evals.at(-1)!.loss).toBeLessThan(result.evals[0].loss);
    // A label word that is not one token is refused with its pieces.
    await expect(trainCondition({ runtime: rt, model, privatizer, encoder: null }, { ...req, labelWords: ['cat', 'dogs'] } as TrainRequest)).rejects.toThrow(/"dogs" is 2 tokens/);
    privatizer.destroy();
    table.destroy();
  });
});
