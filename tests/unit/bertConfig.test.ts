import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ModelConfigError, parseBertConfig } from '../../src/model/bert/bertConfig';

const fixtureConfig = JSON.parse(
  readFileSync(new URL('../fixtures/tiny-bert/config.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

/** bert-base-uncased's config.json, as published. */
const bertBaseUncased = {
  architectures: ['BertForMaskedLM'],
  attention_probs_dropout_prob: 0.1,
  gradient_checkpointing: false,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  hidden_size: 768,
  initializer_range: 0.02,
  intermediate_size: 3072,
  layer_norm_eps: 1e-12,
  max_position_embeddings: 512,
  model_type: 'bert',
  num_attention_heads: 12,
  num_hidden_layers: 12,
  pad_token_id: 0,
  position_embedding_type: 'absolute',
  transformers_version: '4.6.0.dev0',
  type_vocab_size: 2,
  use_cache: true,
  vocab_size: 30522,
};

function configError(json: unknown): ModelConfigError {
  try {
    parseBertConfig(json);
  } catch (error) {
    expect(error).toBeInstanceOf(ModelConfigError);
    return error as ModelConfigError;
  }
  throw new Error('expected a ModelConfigError');
}

const edited = (edit: Record<string, unknown>) => ({ ...bertBaseUncased, ...edit });

describe('parseBertConfig', () => {
  it('reads the tiny-bert fixture', () => {
    expect(parseBertConfig(fixtureConfig)).toEqual({
      modelType: 'bert',
      architectures: ['BertForMaskedLM'],
      vocabSize: 98,
      hiddenSize: 32,
      numHiddenLayers: 2,
      numAttentionHeads: 4,
      headDim: 8,
      intermediateSize: 64,
      hiddenAct: 'gelu',
      maxPositionEmbeddings: 40,
      typeVocabSize: 2,
      layerNormEps: 1e-12,
      padTokenId: 0,
      tieWordEmbeddings: true,
    });
  });

  it('reads bert-base-uncased', () => {
    expect(parseBertConfig(bertBaseUncased)).toMatchObject({ vocabSize: 30522, hiddenSize: 768, headDim: 64, numHiddenLayers: 12 });
  });

  it('defaults layer_norm_eps to 1e-12 and accepts a missing position_embedding_type', () => {
    const { layer_norm_eps: _eps, position_embedding_type: _type, ...rest } = bertBaseUncased;
    expect(parseBertConfig(rest)).toMatchObject({ layerNormEps: 1e-12 });
  });

  it('accepts a config without model_type when architectures names a BERT class', () => {
    const { model_type: _type, ...rest } = bertBaseUncased;
    for (const architecture of ['BertModel', 'BertForMaskedLM', 'BertForPreTraining', 'BertForSequenceClassification']) {
      expect(parseBertConfig({ ...rest, architectures: [architecture] }).architectures).toEqual([architecture]);
    }
    const error = configError({ ...rest, architectures: ['RobertaModel'] });
    expect(error.field).toBe('model_type');
    expect(error.message).toMatch(/architectures \(RobertaModel\) include no BERT class/);
  });

  it('maps the hidden_act spellings of transformers', () => {
    expect(parseBertConfig(edited({ hidden_act: 'gelu' })).hiddenAct).toBe('gelu');
    expect(parseBertConfig(edited({ hidden_act: 'gelu_new' })).hiddenAct).toBe('geluTanh');
    expect(parseBertConfig(edited({ hidden_act: 'gelu_pytorch_tanh' })).hiddenAct).toBe('geluTanh');
    expect(parseBertConfig(edited({ hidden_act: 'relu' })).hiddenAct).toBe('relu');
    const error = configError(edited({ hidden_act: 'swish' }));
    expect(error.field).toBe('hidden_act');
    expect(error.message).toMatch(/hidden_act "swish" is not supported; expected one of gelu, /);
  });

  it('reads tie_word_embeddings', () => {
    expect(parseBertConfig(edited({ tie_word_embeddings: false })).tieWordEmbeddings).toBe(false);
  });
});

describe('parseBertConfig refusals', () => {
  it('explains why related architectures are refused', () => {
    const cases: Array<[string, RegExp]> = [
      ['roberta', /RoBERTa is not supported yet \(different position ids and tokenizer\)/],
      ['xlm-roberta', /XLM-RoBERTa is not supported yet/],
      ['distilbert', /DistilBERT is not supported yet/],
      ['albert', /ALBERT is not supported yet \(factorised embeddings and weights shared across layers\)/],
      ['electra', /ELECTRA is not supported yet/],
      ['deberta-v2', /relative-position attention/],
      ['gpt2', /GPT-2 is a decoder \(causal\) model, not a BERT-like encoder/],
      ['t5', /encoder-decoder/],
    ];
    for (const [modelType, reason] of cases) {
      const error = configError(edited({ model_type: modelType }));
      expect(error.field).toBe('model_type');
      expect(error.message).toMatch(new RegExp(`^model_type "${modelType}": `));
      expect(error.message).toMatch(reason);
    }
    expect(configError(edited({ model_type: 'whisper' })).message).toBe(
      'model_type "whisper" is not supported; only BERT encoders (model_type "bert") can be loaded.',
    );
    expect(configError(edited({ model_type: 'constructor' })).message).toMatch(/model_type "constructor" is not supported/);
  });

  it('names the offending field', () => {
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ hidden_size: 770 }, 'num_attention_heads', /hidden_size 770 is not divisible by num_attention_heads 12/],
      [{ num_hidden_layers: 0 }, 'num_hidden_layers', /num_hidden_layers must be a positive integer, but is 0/],
      [{ vocab_size: '30522' }, 'vocab_size', /vocab_size must be a positive integer, but is "30522"/],
      [{ intermediate_size: 3072.5 }, 'intermediate_size', /must be a positive integer, but is 3072.5/],
      [{ max_position_embeddings: undefined }, 'max_position_embeddings', /config.json has no max_position_embeddings/],
      [{ type_vocab_size: -2 }, 'type_vocab_size', /type_vocab_size must be a positive integer/],
      [{ layer_norm_eps: 0 }, 'layer_norm_eps', /layer_norm_eps must be a positive number, but is 0/],
      [{ position_embedding_type: 'relative_key' }, 'position_embedding_type', /"relative_key"; only "absolute"/],
      [{ is_decoder: true }, 'is_decoder', /causal BERT decoder/],
      [{ embedding_size: 128 }, 'embedding_size', /factorised embeddings/],
      [{ pad_token_id: 40000 }, 'pad_token_id', /pad_token_id must be a token id in \[0, 30522\)/],
      [{ model_type: 7 }, 'model_type', /model_type must be a string/],
    ];
    for (const [edit, field, message] of cases) {
      const error = configError(edited(edit));
      expect(error.field, JSON.stringify(edit)).toBe(field);
      expect(error.message).toMatch(message);
    }
  });

  it('refuses what is not a config object', () => {
    expect(configError([bertBaseUncased]).field).toBeNull();
    expect(configError(null).message).toMatch(/config.json must be a JSON object/);
  });
});
