// The f64 BERT training-step reference (src/training/reference/bertTrainingReference.ts): its forward against
// the independent NumPy forward of tests/fixtures/tiny-bert (hidden states and MLM logits), the activation
// derivatives against finite differences, and its analytic gradients of every trained tensor against central
// finite differences (h = 1e-5) through a tiny random BERT, for both task heads, with and without RAPT.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBertConfig } from '../../../src/model/bert/bertConfig';
import { isBertTensorUsed, mapBertWeights, type BertWeights } from '../../../src/model/bert/bertWeights';
import { readSafetensors } from '../../../src/model/formats/safetensors';
import { activate } from '../../../src/transformer/kernels/activations';
import { activationDerivative } from '../../../src/training/kernels/geluBackwardReference';
import { bertEncoderReference, bertLayout, bertTrainStepReference, mlmLogitsReference, type BertHead, type BertTrainStepOptions } from '../../../src/training/reference/bertTrainingReference';
import { TINY_BERT, TINY_BERT_SPECIAL_IDS, tinyBertTrainableParams, tinyBertWeights } from '../../../src/training/reference/tinyBert';
import type { TrainBatch, TrainableParams } from '../../../src/training/reference/useLiteTrainingReference';
import { checkGradients, relMaxError } from './finiteDifferences';

describe('activation derivatives (f64)', () => {
  for (const kind of ['gelu', 'geluTanh', 'relu'] as const) {
    it(`${kind}: matches central differences of activate()`, () => {
      const h = 1e-6;
      for (let x = -7.3; x < 7.3; x += 0.37) {
        if (kind === 'relu' && Math.abs(x) < 2 * h) continue;
        const fd = (activate(x + h, kind) - activate(x - h, kind)) / (2 * h);
        expect(Math.abs(activationDerivative(x, kind) - fd), `${kind}'(${x})`).toBeLessThan(1e-8);
      }
    });
  }
});

describe('BERT forward of the reference against the NumPy fixture (tests/fixtures/tiny-bert)', () => {
  const dir = new URL('../../fixtures/tiny-bert/', import.meta.url);
  const config = parseBertConfig(JSON.parse(readFileSync(new URL('config.json', dir), 'utf8')));
  const bytes = readFileSync(new URL('model.safetensors', dir));
  const tensors = readSafetensors(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), { only: isBertTensorUsed });
  const weights = mapBertWeights(config, tensors);
  const reference = JSON.parse(readFileSync(new URL('reference.json', dir), 'utf8')) as { sentences: { ids: number[]; last_hidden_state: number[][]; mlm_logits: number[][] }[] };

  it('hidden states and MLM logits agree to the fixture’s 7 significant digits', () => {
    for (const s of reference.sentences) {
      const g = bertEncoderReference(weights, s.ids);
      expect(relMaxError(g, s.last_hidden_state.flat())).toBeLessThan(2e-6);
      const h = config.hiddenSize;
      for (let p = 0; p < s.ids.length; p++) {
        expect(relMaxError(mlmLogitsReference(weights, g.subarray(p * h, (p + 1) * h)), s.mlm_logits[p])).toBeLessThan(2e-6);
      }
    }
  });
});

describe('BERT training-step reference against finite differences (tiny random BERT)', () => {
  const weights: BertWeights = tinyBertWeights(1);
  const classes = 3;
  const recRank = 4;
  const recVocab = 7;
  const H = TINY_BERT.hidden;
  const labelWordIds = [9, 17, 23];

  function check(head: BertHead, mode: 'pt' | 'rapt', w: BertWeights = weights) {
    const N = 3;
    const m = mode === 'rapt' ? 2 : 0;
    const params = tinyBertTrainableParams(H, { promptLength: N, classes, head, ...(m ? { recRank, recVocab } : {}) }, 2);
    const texts = [[5, 17, 8, 29], [9], [11, 12, 20, 20, 6, 7]];
    const plain = [[11, 12], [13, 11], [25, 8]]; // "privatised" plain tokens fed to the encoder
    const batch: TrainBatch = {
      ids: texts.map((t, b) => [...plain[b].slice(0, m), ...t]),
      labels: [2, 0, 1],
      ...(m > 0 ? { plainTargets: [[1, 6], [0, 3], [6, 2]] } : {}),
    };
    const opts: BertTrainStepOptions = { promptLength: N, plainLength: m, classes, lambda: 0.7, head, labelWordIds, specialIds: TINY_BERT_SPECIAL_IDS };
    const analytic = bertTrainStepReference(w, params, batch, opts);
    const loss = (p: TrainableParams) => bertTrainStepReference(w, p, batch, opts).loss;
    const names = (['prompt', 'taskW', 'taskB', 'recW2', 'recW1'] as (keyof TrainableParams)[]).filter((n) => (params[n]?.length ?? 0) > 0);
    const worst = checkGradients(params, analytic.grads, names, loss, { h: 1e-5, minNorm: 1e-3, entryTol: 1e-5, label: `${head} ${mode}` });
    return { worst, analytic };
  }

  for (const head of ['classifier', 'verbaliser'] as const) {
    for (const mode of ['pt', 'rapt'] as const) {
      it(`${head}, ${mode === 'pt' ? 'prompt tuning' : 'RAPT (λ = 0.7, targets ≠ inputs)'}: every trained gradient entry`, () => {
        const { worst, analytic } = check(head, mode);
        expect(worst).toBeLessThan(1e-6);
        if (mode === 'pt') expect(analytic.recLogits).toBeUndefined();
        else expect(analytic.loss).toBeCloseTo(analytic.lossTask + 0.7 * analytic.lossRec, 14);
        if (head === 'verbaliser') expect(analytic.grads.taskW.length).toBe(0);
      }, 120_000);
    }
  }

  it('the tanh GELU and ReLU variants (hidden_act gelu_new, relu): verbaliser with RAPT', () => {
    expect(check('verbaliser', 'rapt', tinyBertWeights(1, 'geluTanh')).worst).toBeLessThan(1e-6);
    expect(check('classifier', 'pt', tinyBertWeights(1, 'relu')).worst).toBeLessThan(1e-6);
  }, 120_000);

  it('the verbaliser logits are the MLM logits at the [MASK] row, restricted to the label words', () => {
    const params = tinyBertTrainableParams(H, { promptLength: 0, classes, head: 'verbaliser' });
    const ids = [7, 8, 9];
    const r = bertTrainStepReference(weights, params, { ids: [ids], labels: [1] }, { promptLength: 0, plainLength: 0, classes, lambda: 1, head: 'verbaliser', labelWordIds, specialIds: TINY_BERT_SPECIAL_IDS });
    const s = TINY_BERT_SPECIAL_IDS;
    const g = bertEncoderReference(weights, [s.cls, ...ids, s.mask, s.sep]);
    const full = mlmLogitsReference(weights, g.subarray(4 * H, 5 * H));
    expect(relMaxError(r.taskLogits[0], labelWordIds.map((id) => full[id]))).toBeLessThan(1e-15);
  });

  it('lays out [CLS] P k′ x′ ([MASK]) [SEP] and rejects bad inputs', () => {
    expect(bertLayout(3, 2, 4, 'classifier')).toEqual({ rows: 11, promptStart: 1, plainStart: 4, textStart: 6, textEnd: 10, maskRow: -1, sepRow: 10 });
    expect(bertLayout(3, 2, 4, 'verbaliser')).toEqual({ rows: 12, promptStart: 1, plainStart: 4, textStart: 6, textEnd: 10, maskRow: 10, sepRow: 11 });
    const params = tinyBertTrainableParams(H, { promptLength: 4, classes: 2, head: 'classifier' });
    const opts: BertTrainStepOptions = { promptLength: 4, plainLength: 0, classes: 2, lambda: 1, head: 'classifier', specialIds: TINY_BERT_SPECIAL_IDS };
    // 1 + 4 + n + 1 ≤ 32 positions.
    expect(() => bertTrainStepReference(weights, params, { ids: [new Array(27).fill(5)], labels: [0] }, opts)).toThrow(/at most 32/);
    expect(() => bertTrainStepReference(weights, params, { ids: [new Array(26).fill(5)], labels: [0] }, opts)).not.toThrow();
    expect(() => bertTrainStepReference(weights, params, { ids: [[5]], labels: [2] }, opts)).toThrow(/label/);
    expect(() => bertTrainStepReference(weights, params, { ids: [[30]], labels: [0] }, opts)).toThrow(/outside the embedding table/);
    expect(() => bertTrainStepReference(weights, params, { ids: [[5]], labels: [0] }, { ...opts, head: 'verbaliser', labelWordIds: [1, 2] })).toThrow(/taskW/);
    const verb = tinyBertTrainableParams(H, { promptLength: 4, classes: 2, head: 'verbaliser' });
    expect(() => bertTrainStepReference(weights, verb, { ids: [[5]], labels: [0] }, { ...opts, head: 'verbaliser', labelWordIds: [1] })).toThrow(/labelWordIds/);
    expect(() => bertTrainStepReference({ ...weights, mlmHead: null }, verb, { ids: [[5]], labels: [0] }, { ...opts, head: 'verbaliser', labelWordIds: [1, 2] })).toThrow(/masked-LM head/);
  });
});
