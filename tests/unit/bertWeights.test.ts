import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBertConfig } from '../../src/model/bert/bertConfig';
import { BertWeightsError, isBertTensorUsed, mapBertWeights } from '../../src/model/bert/bertWeights';
import type { NamedTensor } from '../../src/model/bert/bertWeights';
import { readSafetensors } from '../../src/model/formats/safetensors';
import type { SafetensorsTensor } from '../../src/model/formats/safetensors';

const fixtureDir = new URL('../fixtures/tiny-bert/', import.meta.url);
const configJson = JSON.parse(readFileSync(new URL('config.json', fixtureDir), 'utf8')) as Record<string, unknown>;
const config = parseBertConfig(configJson);
const tensors = readSafetensors(readFileSync(new URL('model.safetensors', fixtureDir)));
const h = 32;
const inner = 64;
const vocab = 98;

function raw(name: string): Float32Array {
  const tensor = tensors.get(name);
  if (!tensor || !(tensor.data instanceof Float32Array)) throw new Error(`fixture lacks ${name}`);
  return tensor.data;
}

/** The fixture's tensors with names rewritten (null drops a tensor) and extra ones added. */
function variant(
  rename: (name: string) => string | null,
  extra: Record<string, NamedTensor> = {},
): Map<string, NamedTensor> {
  const out = new Map<string, NamedTensor>();
  for (const [name, tensor] of tensors) {
    const renamed = rename(name);
    if (renamed !== null) out.set(renamed, tensor);
  }
  for (const [name, tensor] of Object.entries(extra)) out.set(name, tensor);
  return out;
}

function float(shape: number[], fill: (i: number) => number = (i) => i): SafetensorsTensor {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1)).map((_, i) => fill(i));
  return { name: '', shape, dtype: 'F32', data };
}

function weightsError(run: () => unknown): BertWeightsError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(BertWeightsError);
    return error as BertWeightsError;
  }
  throw new Error('expected a BertWeightsError');
}

describe('mapBertWeights on the tiny-bert fixture', () => {
  const weights = mapBertWeights(config, tensors);

  it('keeps embedding tables as [rows, h]', () => {
    expect(weights.wordEmbeddings).toEqual(raw('bert.embeddings.word_embeddings.weight'));
    expect(weights.positionEmbeddings).toHaveLength(40 * h);
    expect(weights.tokenTypeEmbeddings).toHaveLength(2 * h);
    expect(weights.embeddingLn.gamma).toEqual(raw('bert.embeddings.LayerNorm.weight'));
    expect(weights.embeddingLn.beta).toEqual(raw('bert.embeddings.LayerNorm.bias'));
  });

  it('fuses query, key and value into [h, 3h] with column blocks [Q | K | V]', () => {
    const layer = weights.layers[1];
    expect(layer.qkvWeight).toHaveLength(h * 3 * h);
    ['query', 'key', 'value'].forEach((part, block) => {
      const hf = raw(`bert.encoder.layer.1.attention.self.${part}.weight`); // [out, in]
      const bias = raw(`bert.encoder.layer.1.attention.self.${part}.bias`);
      for (const [i, j] of [[0, 0], [3, 17], [31, 5], [12, 31]]) {
        // x·W[:, block·h + j] must equal HF's output j: Σ_i x_i · hf[j, i].
        expect(layer.qkvWeight[i * 3 * h + block * h + j]).toBe(hf[j * h + i]);
      }
      expect(layer.qkvBias.subarray(block * h, (block + 1) * h)).toEqual(bias);
    });
  });

  it('transposes the other linear weights to [in, out]', () => {
    const layer = weights.layers[0];
    const attentionOut = raw('bert.encoder.layer.0.attention.output.dense.weight'); // [h, h]
    const intermediate = raw('bert.encoder.layer.0.intermediate.dense.weight'); // [I, h]
    const output = raw('bert.encoder.layer.0.output.dense.weight'); // [h, I]
    for (let i = 0; i < h; i++) {
      for (let o = 0; o < inner; o++) {
        expect(layer.intermediateWeight[i * inner + o]).toBe(intermediate[o * h + i]);
        expect(layer.outputWeight[o * h + i]).toBe(output[i * inner + o]);
      }
      expect(layer.attentionOutWeight[i * h + 7]).toBe(attentionOut[7 * h + i]);
    }
    expect(layer.intermediateBias).toEqual(raw('bert.encoder.layer.0.intermediate.dense.bias'));
    expect(layer.outputLn.gamma).toEqual(raw('bert.encoder.layer.0.output.LayerNorm.weight'));
  });

  it('maps the MLM head, with the tied decoder left to the word embeddings', () => {
    const head = weights.mlmHead;
    expect(head).not.toBeNull();
    expect(head?.decoderWeight).toBeNull();
    expect(head?.decoderBias).toEqual(raw('cls.predictions.bias'));
    expect(head?.transformWeight[5 * h + 9]).toBe(raw('cls.predictions.transform.dense.weight')[9 * h + 5]);
    expect(weights.pooler).toBeNull();
    expect(weights.ignoredTensors).toEqual([]);
  });

  it('counts parameters as transformers does for BertForMaskedLM', () => {
    const embeddings = (vocab + 40 + 2) * h + 2 * h;
    const layer = 4 * (h * h + h) + 2 * h + (h * inner + inner) + (inner * h + h) + 2 * h;
    const head = h * h + h + 2 * h + vocab;
    expect(weights.parameterCount).toBe(embeddings + 2 * layer + head);
  });

  it('maps the F16 file, which leaves the tied decoder out', () => {
    const half = readSafetensors(readFileSync(new URL('model-f16.safetensors', fixtureDir)));
    const fromHalf = mapBertWeights(config, half);
    expect(fromHalf.mlmHead?.decoderWeight).toBeNull();
    expect(fromHalf.parameterCount).toBe(weights.parameterCount);
    const word = raw('bert.embeddings.word_embeddings.weight');
    for (let i = 0; i < word.length; i++) {
      expect(Math.abs(fromHalf.wordEmbeddings[i] - word[i])).toBeLessThanOrEqual(Math.abs(word[i]) * 2 ** -11 + 2 ** -25);
    }
  });
});

describe('mapBertWeights naming variants', () => {
  it('accepts BertModel names (no "bert." prefix) with a pooler and no MLM head', () => {
    const bare = variant((name) => (name.startsWith('cls.') ? null : name.replace(/^bert\./, '')), {
      'pooler.dense.weight': float([h, h]),
      'pooler.dense.bias': float([h]),
      'embeddings.position_ids': { shape: [1, 40], dtype: 'I64', data: new Int32Array(40) },
    });
    const weights = mapBertWeights(config, bare);
    expect(weights.mlmHead).toBeNull();
    expect(weights.pooler?.weight[1 * h + 2]).toBe(2 * h + 1);
    expect(weights.ignoredTensors).toEqual(['embeddings.position_ids']);
    expect(weights.layers[0].qkvBias).toHaveLength(3 * h);
  });

  it('accepts LayerNorm gamma/beta from older checkpoints', () => {
    const old = variant((name) => name.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta'));
    expect([...old.keys()].some((name) => name.endsWith('LayerNorm.gamma'))).toBe(true);
    const weights = mapBertWeights(config, old);
    expect(weights.layers[1].attentionLn.beta).toEqual(raw('bert.encoder.layer.1.attention.output.LayerNorm.bias'));
  });

  it('accepts cls.predictions.decoder.bias in place of cls.predictions.bias', () => {
    const renamed = variant((name) => (name === 'cls.predictions.bias' ? 'cls.predictions.decoder.bias' : name));
    expect(mapBertWeights(config, renamed).mlmHead?.decoderBias).toEqual(raw('cls.predictions.bias'));
  });

  it('keeps an untied decoder that differs from the word embeddings', () => {
    const untied = parseBertConfig({ ...configJson, tie_word_embeddings: false });
    const own = float([vocab, h], (i) => i / 1000);
    const weights = mapBertWeights(untied, variant((name) => name, { 'cls.predictions.decoder.weight': own }));
    expect(weights.mlmHead?.decoderWeight).toEqual(own.data);
    expect(weights.parameterCount).toBe(mapBertWeights(config, tensors).parameterCount + vocab * h);
    // With tied embeddings transformers overwrites the decoder with the word embeddings; a note says so.
    const tiedAnyway = mapBertWeights(config, variant((name) => name, { 'cls.predictions.decoder.weight': own }));
    expect(tiedAnyway.mlmHead?.decoderWeight).toBeNull();
    expect(tiedAnyway.notes.join(' ')).toMatch(/differs from the word embeddings but tie_word_embeddings is true/);
  });
});

describe('mapBertWeights errors', () => {
  it('lists every missing and mis-shaped tensor in one error', () => {
    const bigger = parseBertConfig({ ...configJson, vocab_size: 100, intermediate_size: 48 });
    const broken = variant((name) => (name === 'bert.encoder.layer.1.attention.self.key.bias' ? null : name));
    const error = weightsError(() => mapBertWeights(bigger, broken));
    expect(error.problems).toEqual([
      'bert.embeddings.word_embeddings.weight has shape [98, 32], expected [100, 32] = vocab_size × hidden_size (vocab_size 100, hidden_size 32).',
      'bert.encoder.layer.0.intermediate.dense.weight has shape [64, 32], expected [48, 32] = intermediate_size × hidden_size (intermediate_size 48, hidden_size 32).',
      'bert.encoder.layer.0.intermediate.dense.bias has shape [64], expected [48] = intermediate_size (intermediate_size 48).',
      'bert.encoder.layer.0.output.dense.weight has shape [32, 64], expected [32, 48] = hidden_size × intermediate_size (hidden_size 32, intermediate_size 48).',
      'bert.encoder.layer.1.attention.self.key.bias is missing (expected [32] = hidden_size).',
      'bert.encoder.layer.1.intermediate.dense.weight has shape [64, 32], expected [48, 32] = intermediate_size × hidden_size (intermediate_size 48, hidden_size 32).',
      'bert.encoder.layer.1.intermediate.dense.bias has shape [64], expected [48] = intermediate_size (intermediate_size 48).',
      'bert.encoder.layer.1.output.dense.weight has shape [32, 64], expected [32, 48] = hidden_size × intermediate_size (hidden_size 32, intermediate_size 48).',
      'cls.predictions.bias has shape [98], expected [100] = vocab_size (vocab_size 100).',
      'cls.predictions.decoder.weight has shape [98, 32], expected [100, 32] = vocab_size × hidden_size (vocab_size 100, hidden_size 32).',
    ]);
    expect(error.message).toMatch(/^The checkpoint does not match config.json \(10 problems\):\n- bert\.embeddings/);
    expect(error.message).toMatch(/Check that config.json and the weights come from the same model\.$/);
  });

  it('reports layers beyond num_hidden_layers', () => {
    const oneLayer = parseBertConfig({ ...configJson, num_hidden_layers: 1 });
    expect(weightsError(() => mapBertWeights(oneLayer, tensors)).problems).toEqual([
      'The checkpoint has encoder layers up to bert.encoder.layer.1, but num_hidden_layers is 1.',
    ]);
  });

  it('reports integer tensors where weights belong, and a half-present pooler or head', () => {
    const broken = variant((name) => (name === 'cls.predictions.transform.dense.bias' ? null : name), {
      'bert.embeddings.token_type_embeddings.weight': { shape: [2, h], dtype: 'I32', data: new Int32Array(2 * h) },
      'bert.pooler.dense.bias': float([h]),
    });
    expect(weightsError(() => mapBertWeights(config, broken)).problems).toEqual([
      'bert.embeddings.token_type_embeddings.weight has dtype I32; a floating-point weight (F32, F16 or BF16) is expected.',
      'bert.pooler.dense.weight is missing (expected [32, 32] = hidden_size × hidden_size).',
      'cls.predictions.transform.dense.bias is missing (expected [32] = hidden_size).',
    ]);
  });

  it('needs the decoder when embeddings are untied', () => {
    const untied = parseBertConfig({ ...configJson, tie_word_embeddings: false });
    const noDecoder = variant((name) => (name === 'cls.predictions.decoder.weight' ? null : name));
    expect(weightsError(() => mapBertWeights(untied, noDecoder)).problems).toEqual([
      'cls.predictions.decoder.weight is missing, but tie_word_embeddings is false so the MLM head needs its own decoder.',
    ]);
  });

  it('lists everything when the checkpoint is not BERT at all', () => {
    const error = weightsError(() => mapBertWeights(config, new Map([['transformer.h.0.attn.weight', float([1])]])));
    expect(error.problems).toHaveLength(5 + 16 * 2);
    expect(error.problems[0]).toBe('embeddings.word_embeddings.weight is missing (expected [98, 32] = vocab_size × hidden_size).');
  });
});

describe('isBertTensorUsed', () => {
  it('selects the tensors the mapping reads', () => {
    for (const name of tensors.keys()) expect(isBertTensorUsed(name), name).toBe(true);
    expect(isBertTensorUsed('bert.embeddings.position_ids')).toBe(false);
    expect(isBertTensorUsed('cls.seq_relationship.weight')).toBe(false);
    expect(isBertTensorUsed('classifier.weight')).toBe(false);
    expect(isBertTensorUsed('pooler.dense.weight')).toBe(true);
  });
});
