// The f64 training-step reference (src/training/reference) against the independent PyTorch step of
// ../shared/fixtures/rapt-train-step.json on the bundled encoder (measured agreement ~1e-15 relative, with
// P_j = 2·E[prompt_init_ids[j]], λ = 1 and the f64 query scale), and its analytic gradients against central
// finite differences (h = 1e-5) through a tiny random encoder.
import { describe, expect, it } from 'vitest';
import type { UseLiteWeights } from '../../../src/model/useLite/useLiteWeights';
import { RAPT_FIXTURE_REC_VOCAB, fixtureBatch, fixtureOptions, fixtureParams } from '../../../src/training/reference/raptFixture';
import type { RaptFixtureCase } from '../../../src/training/reference/raptFixture';
import { TINY_USE_LITE, tinyTrainableParams, tinyUseLiteWeights } from '../../../src/training/reference/tinyUseLite';
import { l2Norm, useLiteTrainStepReference } from '../../../src/training/reference/useLiteTrainingReference';
import type { TrainBatch, TrainStepOptions, TrainableParams } from '../../../src/training/reference/useLiteTrainingReference';
import { checkGradients, rel, relMaxError } from './finiteDifferences';
import { loadBundledUseLiteWeights, loadRaptTrainStepFixture } from './raptFixtureNode';

describe('USE-Lite training-step reference against the PyTorch fixture (f64)', () => {
  const weights = loadBundledUseLiteWeights();
  const fixture = loadRaptTrainStepFixture();
  const params = fixtureParams(weights, fixture);

  for (const mode of ['pt', 'rapt'] as const) {
    it(`${mode === 'pt' ? 'prompt tuning' : 'RAPT'}: logits, losses and gradients agree to 1e-9 relative`, () => {
      const expected: RaptFixtureCase = mode === 'pt' ? fixture.pt_f64 : fixture.rapt_f64;
      const opts = fixtureOptions(fixture, mode);
      const r = useLiteTrainStepReference(weights, params, fixtureBatch(fixture, mode), opts);
      const tol = 1e-9;
      expect(relMaxError(r.taskLogits.flatMap((l) => [...l]), expected.task_logits.flat())).toBeLessThan(tol);
      expect(rel(r.lossTask, expected.loss_task)).toBeLessThan(tol);
      expect(relMaxError(r.grads.prompt, expected.grad_prompt.flat())).toBeLessThan(tol);
      expect(rel(l2Norm(r.grads.prompt), expected.grad_prompt_norm)).toBeLessThan(tol);
      expect(rel(l2Norm(r.grads.taskW), expected.grad_head_weight_norm)).toBeLessThan(tol);
      // The f32 PyTorch step agrees with f64 to its own precision.
      expect(relMaxError(r.grads.prompt, (mode === 'pt' ? fixture.pt_f32 : fixture.rapt_f32).grad_prompt.flat())).toBeLessThan(1e-4);
      if (mode === 'pt') {
        expect(r.lossRec).toBe(0);
        expect(r.loss).toBe(r.lossTask);
        expect(r.recLogits).toBeUndefined();
        expect(r.grads.recW1).toBeUndefined();
      } else {
        expect(rel(r.lossRec, expected.loss_rec)).toBeLessThan(tol);
        expect(r.loss).toBeCloseTo(r.lossTask + r.lossRec, 14);
        const T = RAPT_FIXTURE_REC_VOCAB;
        const first5 = r.recLogits!.flatMap((ex) => Array.from({ length: opts.plainLength }, (_, i) => [...ex.subarray(i * T, i * T + 5)]).flat());
        expect(relMaxError(first5, expected.rec_logits_first_5!.flat(2))).toBeLessThan(tol);
        expect(rel(l2Norm(r.grads.recW2!), expected.grad_W2_norm!)).toBeLessThan(tol);
        expect(rel(l2Norm(r.grads.recW1!), expected.grad_W1_norm!)).toBeLessThan(tol);
      }
    }, 120_000);
  }
});

describe('USE-Lite training-step reference against finite differences (tiny random encoder)', () => {
  const weights: UseLiteWeights = tinyUseLiteWeights(1);
  const classes = 3;
  const recRank = 5;
  const recVocab = 7;

  function check(mode: 'pt' | 'rapt') {
    const N = 3;
    const m = mode === 'rapt' ? 2 : 0;
    const params = tinyTrainableParams(weights, { promptLength: N, classes, recRank, recVocab }, 2);
    const texts = [[5, 17, 3, 44], [9], [1, 2, 30, 30, 49, 0]];
    const plain = [[11, 12], [13, 11], [40, 8]]; // "privatised" plain tokens fed to the encoder
    const batch: TrainBatch = {
      ids: texts.map((t, b) => [...plain[b].slice(0, m), ...t]),
      labels: [2, 0, 1],
      ...(m > 0 ? { plainTargets: [[1, 6], [0, 3], [6, 2]] } : {}),
    };
    const opts: TrainStepOptions = { promptLength: N, plainLength: m, classes, lambda: 0.7 };
    const analytic = useLiteTrainStepReference(weights, params, batch, opts);
    const loss = (p: TrainableParams) => useLiteTrainStepReference(weights, p, batch, opts).loss;

    const names = (m > 0 ? ['prompt', 'taskW', 'taskB', 'recW2', 'recW1'] : ['prompt', 'taskW', 'taskB']) as (keyof TrainableParams)[];
    // Whole tensor: max |error| / max |fd| (measured ≤ 3e-10); entry by entry for every entry above 1e-3
    // of the tensor's norm (measured ≤ 3e-8).
    return checkGradients(params, analytic.grads, names, loss, { h: 1e-5, minNorm: 1e-2, entryTol: 1e-6, label: mode });
  }

  it('prompt tuning: every prompt and task-head gradient entry', () => {
    expect(check('pt')).toBeLessThan(1e-6);
  });
  it('RAPT (λ = 0.7, targets ≠ inputs): every prompt, task-head and reconstruction-head gradient entry', () => {
    expect(check('rapt')).toBeLessThan(1e-6);
  }, 120_000);

  it('is a valid UseLiteWeights of the stated sizes', () => {
    const [l0, l1] = weights.layers;
    expect(weights.embeddings.length).toBe(TINY_USE_LITE.vocabSize * TINY_USE_LITE.embeddingDim);
    expect(weights.timingInverse.length * 2).toBe(weights.embeddingDim);
    expect([l0.inputWidth, l0.hidden, l1.inputWidth, l1.hidden, l0.ffnWidth, l0.heads]).toEqual([8, 16, 16, 16, 24, 2]);
    expect(l0.qkvWeight.length).toBe(8 * 24);
    expect(l1.residualProjection).toBeNull();
    expect(weights.outputWeight.length).toBe(16 * 16);
  });

  it('rejects examples longer than the positions and inconsistent shapes', () => {
    const params = tinyTrainableParams(weights, { promptLength: 4, classes: 2 });
    const opts = { promptLength: 4, plainLength: 0, classes: 2, lambda: 1 };
    expect(() => useLiteTrainStepReference(weights, params, { ids: [new Array(29).fill(1)], labels: [0] }, opts)).toThrow(/at most 32/);
    expect(() => useLiteTrainStepReference(weights, params, { ids: [new Array(28).fill(1)], labels: [0] }, opts)).not.toThrow();
    expect(() => useLiteTrainStepReference(weights, params, { ids: [[1]], labels: [2] }, opts)).toThrow(/label/);
    expect(() => useLiteTrainStepReference(weights, params, { ids: [[1]], labels: [0] }, { ...opts, plainLength: 1 })).toThrow(/recW2/);
  });
});
