// The WGSL BERT encoder and MLM head against an independent NumPy implementation (float64) on a tiny random
// BertForMaskedLM checkpoint (scripts/fixtures/make_tiny_bert.py → tests/fixtures/tiny-bert).
import { describe, expect, it } from 'vitest';
import { parseBertConfig } from '../../src/model/bert/bertConfig';
import { BertEncoder } from '../../src/model/bert/bertEncoder';
import { isBertTensorUsed, mapBertWeights } from '../../src/model/bert/bertWeights';
import { readSafetensors } from '../../src/model/formats/safetensors';
import { testRuntime } from './gpuTestRuntime';

const base = '/tests/fixtures/tiny-bert/';

interface ReferenceSentence {
  text: string;
  ids: number[];
  length: number;
  last_hidden_state: number[][];
  mlm_logits: number[][];
}

async function load(weightsFile: string) {
  const config = parseBertConfig(await (await fetch(`${base}config.json`)).json());
  const tensors = readSafetensors(await (await fetch(`${base}${weightsFile}`)).arrayBuffer(), { only: isBertTensorUsed });
  const reference = (await (await fetch(`${base}reference.json`)).json()) as { sentences: ReferenceSentence[] };
  return { weights: mapBertWeights(config, tensors), reference: reference.sentences };
}

describe('BERT on WGSL', () => {
  it('matches the NumPy reference: hidden states and MLM logits, batched with padding', async () => {
    const { weights, reference } = await load('model.safetensors');
    const encoder = await BertEncoder.create(await testRuntime(), weights);
    const ids = reference.map((s) => s.ids);
    const positions = reference.flatMap((s, b) => s.ids.map((_, p) => [b, p] as [number, number]));
    const out = await encoder.forward(ids, positions);
    const h = weights.config.hiddenSize;
    const V = weights.config.vocabSize;
    let maxHidden = 0;
    let maxLogit = 0;
    let row = 0;
    reference.forEach((s, b) => {
      for (let p = 0; p < s.length; p++) {
        for (let i = 0; i < h; i++) maxHidden = Math.max(maxHidden, Math.abs(out.hidden[(b * out.seqLen + p) * h + i] - s.last_hidden_state[p][i]));
        for (let v = 0; v < V; v++) maxLogit = Math.max(maxLogit, Math.abs(out.mlmLogits![row * V + v] - s.mlm_logits[p][v]));
        row++;
      }
    });
    console.log(`tiny BERT WGSL vs NumPy: max |Δ hidden| ${maxHidden.toExponential(2)}, max |Δ logit| ${maxLogit.toExponential(2)}`);
    expect(maxHidden).toBeLessThan(1e-4);
    expect(maxLogit).toBeLessThan(1e-4);
    // Alone (no padding) gives the same as in the padded batch.
    const alone = await encoder.forward([ids[3]]);
    for (let i = 0; i < ids[3].length * h; i++) expect(Math.abs(alone.hidden[i] - out.hidden[3 * out.seqLen * h + i])).toBeLessThan(2e-6);
    encoder.destroy();
  });

  it('gives the same results from the F16 checkpoint within half-precision rounding', async () => {
    const { weights, reference } = await load('model-f16.safetensors');
    const encoder = await BertEncoder.create(await testRuntime(), weights);
    const out = await encoder.forward([reference[0].ids], [[0, 2]]);
    for (let v = 0; v < weights.config.vocabSize; v++) expect(Math.abs(out.mlmLogits![v] - reference[0].mlm_logits[2][v])).toBeLessThan(0.05);
    await expect(encoder.forward([[1000]])).rejects.toThrow('outside the vocabulary');
    await expect(encoder.forward([Array(41).fill(5)])).rejects.toThrow('at most 40');
    encoder.destroy();
  });
});
