// The GPU training step (useLiteTrainer.ts) against the double-precision reference
// (reference/useLiteTrainingReference.ts): on a tiny random encoder with padding, ragged lengths and every
// trained tensor compared; and on the bundled USE-Lite encoder against the independent PyTorch fixture
// ../shared/fixtures/rapt-train-step.json (losses and the full prompt gradient, f32 values).
import { describe, expect, it } from 'vitest';
import fixtureJson from '../../../../shared/fixtures/rapt-train-step.json';
import { parseWeightsManifest, readWeightsSync } from '../../../src/model/formats/tfjsWeights';
import { UseLiteEncoder } from '../../../src/model/useLite/useLiteEncoder';
import { useLiteWeights, type UseLiteWeights } from '../../../src/model/useLite/useLiteWeights';
import { fixtureBatch, fixtureParams, parseRaptTrainStepFixture } from '../../../src/training/reference/raptFixture';
import { tinyTrainableParams, tinyUseLiteWeights } from '../../../src/training/reference/tinyUseLite';
import { l2Norm, useLiteTrainStepReference } from '../../../src/training/reference/useLiteTrainingReference';
import { PARAM_NAMES, UseLiteTrainer, type TrainableParams, type TrainerShape } from '../../../src/training/useLiteTrainer';
import { testRuntime } from '../gpuTestRuntime';
import { asRef, f32, relErr } from './trainerTestUtils';


async function tinyTrainer(w: UseLiteWeights, shape: TrainerShape, params: TrainableParams) {
  const rt = await testRuntime();
  const encoder = await UseLiteEncoder.create(rt, w);
  const trainer = await UseLiteTrainer.create(rt, w, encoder.deviceWeights, shape, params, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 0 });
  return { rt, encoder, trainer };
}

describe('UseLiteTrainer on a tiny random encoder', () => {
  const w = tinyUseLiteWeights(3);
  // Ragged lengths: padding rows inside the plan, a one-token text, a long one.
  const texts = [[5, 9, 11, 3], [7], [12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22]];
  const labels = [2, 0, 1];

  for (const m of [0, 2]) {
    it(`gradients of every trained tensor match the f64 reference (${m ? 'RAPT, m = 2' : 'prompt tuning'})`, async () => {
      const shape: TrainerShape = { promptLength: 3, plainLength: m, classes: 3, reconstructionWidth: 4, targetVocab: 40, lambda: 0.7 };
      const params = f32(tinyTrainableParams(w, { promptLength: 3, classes: 3, ...(m ? { recRank: 4, recVocab: 40 } : {}) }, 7));
      const plain = [[21, 30], [8, 8], [39, 1]];
      const ids = texts.map((t, b) => (m ? [...plain[b].map((x) => (x + 5) % 50), ...t] : t));
      const batch = { ids, labels, plainTargets: m ? plain : undefined };
      const { trainer, encoder } = await tinyTrainer(w, shape, params);
      await trainer.gradients(batch);
      const grads = await trainer.readGradients();
      const metrics = await trainer.readMetrics();
      const ref = useLiteTrainStepReference(w, asRef(params, m > 0), { ids, labels, plainTargets: m ? plain : undefined }, { promptLength: 3, plainLength: m, classes: 3, lambda: 0.7 });
      expect(metrics.taskLossSum / 3).toBeCloseTo(ref.lossTask, 5);
      if (m) expect(metrics.recLossSum / (3 * m)).toBeCloseTo(ref.lossRec, 5);
      for (const name of PARAM_NAMES) {
        const want = ref.grads[name];
        if (!want) continue;
        expect(relErr(grads[name], want), name).toBeLessThan(2e-5);
      }
      trainer.destroy();
      encoder.destroy();
    });
  }

  it('a step is deterministic and moves the loss down; readMetrics resets', async () => {
    const shape: TrainerShape = { promptLength: 2, plainLength: 2, classes: 3, reconstructionWidth: 4, targetVocab: 40, lambda: 1 };
    const params = f32(tinyTrainableParams(w, { promptLength: 2, classes: 3, recRank: 4, recVocab: 40 }, 9));
    const plain = [[21, 30], [8, 8], [39, 1]];
    const batch = { ids: texts.map((t, b) => [...plain[b], ...t]), labels, plainTargets: plain };
    const runs: Float32Array[] = [];
    const losses: number[] = [];
    for (let r = 0; r < 2; r++) {
      const { trainer, encoder } = await tinyTrainer(w, shape, params);
      for (let s = 0; s < 5; s++) {
        await trainer.step(batch, 0.05, 0.05);
        const m = await trainer.readMetrics();
        if (r === 0) losses.push(m.taskLossSum / 3 + m.recLossSum / 6);
      }
      const p = await trainer.readParams();
      runs.push(new Float32Array([...p.prompt, ...p.taskW, ...p.recW1]));
      expect(trainer.steps).toBe(5);
      trainer.destroy();
      encoder.destroy();
    }
    expect([...runs[1]]).toEqual([...runs[0]]);
    expect(losses[4]).toBeLessThan(losses[0]);
  });

  it('AdamW and clipping match a hand-rolled update from the reference gradients', async () => {
    const shape: TrainerShape = { promptLength: 2, plainLength: 0, classes: 3, reconstructionWidth: 4, targetVocab: 40, lambda: 1 };
    const params = f32(tinyTrainableParams(w, { promptLength: 2, classes: 3 }, 11));
    const batch = { ids: texts, labels };
    const rt = await testRuntime();
    const encoder = await UseLiteEncoder.create(rt, w);
    const maxNorm = 0.01;
    const trainer = await UseLiteTrainer.create(rt, w, encoder.deviceWeights, shape, params, { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1, maxGradNorm: maxNorm });
    await trainer.step(batch, 0.01, 0.02);
    const after = await trainer.readParams();
    const ref = useLiteTrainStepReference(w, asRef(params, false), { ids: texts, labels }, { promptLength: 2, plainLength: 0, classes: 3, lambda: 1 });
    const norm = Math.sqrt(['prompt', 'taskW', 'taskB'].reduce((s, n) => s + l2Norm(ref.grads[n as 'prompt'])! ** 2, 0));
    const clip = Math.min(1, maxNorm / (norm + 1e-6));
    expect(clip).toBeLessThan(1);
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

  it('refuses bad batches with clear messages', async () => {
    const shape: TrainerShape = { promptLength: 2, plainLength: 2, classes: 3, reconstructionWidth: 4, targetVocab: 40, lambda: 1 };
    const { trainer, encoder } = await tinyTrainer(w, shape, f32(tinyTrainableParams(w, { promptLength: 2, classes: 3, recRank: 4, recVocab: 40 }, 1)));
    await expect(trainer.gradients({ ids: [[1, 2, 3]], labels: [5], plainTargets: [[1, 2]] })).rejects.toThrow(/label 5/);
    await expect(trainer.gradients({ ids: [[1, 2, 99]], labels: [0], plainTargets: [[1, 2]] })).rejects.toThrow(/outside the vocabulary/);
    await expect(trainer.gradients({ ids: [[1, 2, 3]], labels: [0], plainTargets: [[1, 45]] })).rejects.toThrow(/target vocabulary/);
    await expect(trainer.gradients({ ids: [Array(40).fill(1)], labels: [0], plainTargets: [[1, 2]] })).rejects.toThrow(/exceed/);
    trainer.destroy();
    encoder.destroy();
  });
});

describe('UseLiteTrainer on the bundled encoder against the PyTorch fixture', () => {
  it('reproduces the fixture losses and prompt gradient (plain prompt tuning and RAPT)', async () => {
    const fixture = parseRaptTrainStepFixture(fixtureJson);
    const base = '/generated/models/use-lite/';
    const modelJson = (await (await fetch(`${base}model.json`)).json()) as { weightsManifest: unknown[] };
    const manifest = parseWeightsManifest(modelJson);
    const shards = await Promise.all(manifest.groups.flatMap((g) => g.paths.map((p) => fetch(`${base}${p}`).then((r) => r.arrayBuffer()))));
    const w = useLiteWeights(readWeightsSync(manifest, shards));
    const rt = await testRuntime();
    const encoder = await UseLiteEncoder.create(rt, w);
    const params = f32(fixtureParams(w, fixture));
    for (const mode of ['pt', 'rapt'] as const) {
      const m = mode === 'rapt' ? fixture.plain_tokens.length : 0;
      const want = mode === 'rapt' ? fixture.rapt_f32 : fixture.pt_f32;
      const shape: TrainerShape = { promptLength: 10, plainLength: m, classes: 2, reconstructionWidth: 128, targetVocab: 8000, lambda: 1 };
      const trainer = await UseLiteTrainer.create(rt, w, encoder.deviceWeights, shape, m ? params : { ...params, recW1: new Float32Array(0), recW2: new Float32Array(0) });
      await trainer.gradients(fixtureBatch(fixture, mode));
      const metrics = await trainer.readMetrics();
      const grads = await trainer.readGradients();
      const promptErr = relErr(grads.prompt, want.grad_prompt.flat());
      console.log(`fixture ${mode}: loss_task ${metrics.taskLossSum / 4} (fixture f32 ${want.loss_task}), loss_rec ${metrics.recLossSum / Math.max(1, 4 * m)} (${want.loss_rec}), prompt gradient max|Δ|/max ${promptErr.toExponential(2)}`);
      expect(metrics.taskLossSum / 4).toBeCloseTo(want.loss_task, 5);
      if (m) expect(metrics.recLossSum / (4 * m)).toBeCloseTo(want.loss_rec, 4);
      expect(promptErr).toBeLessThan(1e-3);
      expect(Math.abs(l2Norm(grads.prompt) - want.grad_prompt_norm) / want.grad_prompt_norm).toBeLessThan(1e-4);
      expect(Math.abs(l2Norm(grads.taskW) - want.grad_head_weight_norm) / want.grad_head_weight_norm).toBeLessThan(1e-4);
      trainer.destroy();
    }
    encoder.destroy();
  });
});
