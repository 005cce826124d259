/**
 * The `config.json` of a Hugging Face BERT encoder (transformers' `BertConfig`), validated for what the
 * forward pass here implements: post-LayerNorm encoder layers with absolute learned positions, token-type
 * embeddings and bidirectional attention. Related architectures that would load without error but compute
 * something else (RoBERTa's shifted position ids, ALBERT's shared layers, relative positions, causal
 * attention…) are refused by name, with the reason.
 */

/** Activation of the feed-forward block and of the MLM head's transform. */
export type BertHiddenAct =
  /** x·Φ(x) with the exact erf (HF `gelu`). */
  | 'gelu'
  /** The tanh approximation 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (HF `gelu_new`, `gelu_pytorch_tanh`). */
  | 'geluTanh'
  | 'relu';

export interface BertConfig {
  modelType: 'bert';
  /** `architectures` as listed (e.g. ["BertForMaskedLM"]); empty when absent. */
  architectures: string[];
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  /** hiddenSize / numAttentionHeads. */
  headDim: number;
  intermediateSize: number;
  hiddenAct: BertHiddenAct;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  layerNormEps: number;
  /** Id of the padding token (default 0). */
  padTokenId: number;
  /** Whether the MLM decoder shares the word embeddings (`tie_word_embeddings`, default true). */
  tieWordEmbeddings: boolean;
}

export class ModelConfigError extends Error {
  override name = 'ModelConfigError';
  /** The config.json field at fault, or null when the file as a whole is wrong. */
  readonly field: string | null;

  constructor(field: string | null, message: string) {
    super(message);
    this.field = field;
  }
}

/** Model types that are not BERT, with why they cannot be loaded as one. */
const REFUSED_MODEL_TYPES: Record<string, string> = {
  roberta: 'RoBERTa is not supported yet (different position ids and tokenizer)',
  'xlm-roberta': 'XLM-RoBERTa is not supported yet (RoBERTa position ids and a SentencePiece tokenizer)',
  camembert: 'CamemBERT is not supported yet (RoBERTa position ids and a SentencePiece tokenizer)',
  distilbert:
    'DistilBERT is not supported yet (no token-type embeddings, different weight names and config fields)',
  albert: 'ALBERT is not supported yet (factorised embeddings and weights shared across layers)',
  electra: 'ELECTRA is not supported yet (embedding size differs from hidden size, different weight names)',
  deberta: 'DeBERTa is not supported yet (disentangled relative-position attention)',
  'deberta-v2': 'DeBERTa-v2/v3 is not supported yet (disentangled relative-position attention)',
  mpnet: 'MPNet is not supported yet (relative position bias and a different tokenizer)',
  modernbert: 'ModernBERT is not supported yet (rotary positions, pre-LayerNorm, gated MLP)',
  nomic_bert: 'Nomic BERT is not supported yet (rotary positions and a gated MLP)',
  xlnet: 'XLNet is not supported yet (permutation language model with relative positions)',
  gpt2: 'GPT-2 is a decoder (causal) model, not a BERT-like encoder',
  gpt_neo: 'GPT-Neo is a decoder (causal) model, not a BERT-like encoder',
  gptj: 'GPT-J is a decoder (causal) model, not a BERT-like encoder',
  llama: 'Llama is a decoder (causal) model, not a BERT-like encoder',
  mistral: 'Mistral is a decoder (causal) model, not a BERT-like encoder',
  qwen2: 'Qwen2 is a decoder (causal) model, not a BERT-like encoder',
  t5: 'T5 is an encoder-decoder model with relative position buckets, not a BERT-like encoder',
  bart: 'BART is an encoder-decoder model, not a BERT-like encoder',
};

const BERT_ARCHITECTURES = new Set([
  'BertModel',
  'BertForMaskedLM',
  'BertForPreTraining',
  'BertForSequenceClassification',
  'BertForTokenClassification',
  'BertForQuestionAnswering',
  'BertForMultipleChoice',
  'BertForNextSentencePrediction',
]);

const HIDDEN_ACTS: Record<string, BertHiddenAct> = {
  gelu: 'gelu',
  gelu_python: 'gelu',
  gelu_new: 'geluTanh',
  gelu_pytorch_tanh: 'geluTanh',
  gelu_fast: 'geluTanh',
  relu: 'relu',
};

export function parseBertConfig(json: unknown): BertConfig {
  if (!isRecord(json)) {
    throw new ModelConfigError(null, 'config.json must be a JSON object (the Hugging Face model config).');
  }
  const architectures = parseArchitectures(json.architectures);
  checkModelType(json.model_type, architectures);
  if (json.is_decoder === true) {
    throw new ModelConfigError(
      'is_decoder',
      'config.json sets is_decoder: true — a causal BERT decoder (BertLMHeadModel); only bidirectional ' +
        'encoders are supported.',
    );
  }
  if (json.add_cross_attention === true) {
    throw new ModelConfigError('add_cross_attention', 'config.json sets add_cross_attention: true; encoder-decoder BERT is not supported.');
  }
  const positionType = json.position_embedding_type;
  if (positionType !== undefined && positionType !== null && positionType !== 'absolute') {
    throw new ModelConfigError(
      'position_embedding_type',
      `position_embedding_type is ${JSON.stringify(positionType)}; only "absolute" (learned position ` +
        'embeddings) is supported.',
    );
  }

  const vocabSize = positiveInteger(json, 'vocab_size');
  const hiddenSize = positiveInteger(json, 'hidden_size');
  const numHiddenLayers = positiveInteger(json, 'num_hidden_layers');
  const numAttentionHeads = positiveInteger(json, 'num_attention_heads');
  if (hiddenSize % numAttentionHeads !== 0) {
    throw new ModelConfigError(
      'num_attention_heads',
      `hidden_size ${hiddenSize} is not divisible by num_attention_heads ${numAttentionHeads}; each head must ` +
        'get an equal share of the hidden size.',
    );
  }
  if (json.embedding_size !== undefined && json.embedding_size !== hiddenSize) {
    throw new ModelConfigError(
      'embedding_size',
      `embedding_size ${String(json.embedding_size)} differs from hidden_size ${hiddenSize}; factorised ` +
        'embeddings (ALBERT/ELECTRA style) are not supported.',
    );
  }
  const intermediateSize = positiveInteger(json, 'intermediate_size');
  const hiddenAct = parseHiddenAct(json.hidden_act);
  const maxPositionEmbeddings = positiveInteger(json, 'max_position_embeddings');
  const typeVocabSize = positiveInteger(json, 'type_vocab_size');
  const layerNormEps = json.layer_norm_eps === undefined ? 1e-12 : json.layer_norm_eps;
  if (typeof layerNormEps !== 'number' || !Number.isFinite(layerNormEps) || layerNormEps <= 0) {
    throw new ModelConfigError(
      'layer_norm_eps',
      `layer_norm_eps must be a positive number, but is ${describe(layerNormEps)}.`,
    );
  }
  const padTokenId = json.pad_token_id === undefined || json.pad_token_id === null ? 0 : json.pad_token_id;
  if (typeof padTokenId !== 'number' || !Number.isInteger(padTokenId) || padTokenId < 0 || padTokenId >= vocabSize) {
    throw new ModelConfigError(
      'pad_token_id',
      `pad_token_id must be a token id in [0, ${vocabSize}), but is ${describe(padTokenId)}.`,
    );
  }
  const tie = json.tie_word_embeddings;
  if (tie !== undefined && typeof tie !== 'boolean') {
    throw new ModelConfigError('tie_word_embeddings', `tie_word_embeddings must be true or false, but is ${describe(tie)}.`);
  }
  return {
    modelType: 'bert',
    architectures,
    vocabSize,
    hiddenSize,
    numHiddenLayers,
    numAttentionHeads,
    headDim: hiddenSize / numAttentionHeads,
    intermediateSize,
    hiddenAct,
    maxPositionEmbeddings,
    typeVocabSize,
    layerNormEps,
    padTokenId,
    tieWordEmbeddings: tie ?? true,
  };
}

function parseArchitectures(raw: unknown): string[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw) || !raw.every((name) => typeof name === 'string')) {
    throw new ModelConfigError('architectures', `architectures must be a list of class names, but is ${describe(raw)}.`);
  }
  return [...(raw as string[])];
}

function checkModelType(modelType: unknown, architectures: string[]): void {
  if (modelType === 'bert') return;
  if (modelType === undefined || modelType === null) {
    if (architectures.some((name) => BERT_ARCHITECTURES.has(name))) return;
    throw new ModelConfigError(
      'model_type',
      'config.json has no model_type and its architectures ' +
        `(${architectures.length ? architectures.join(', ') : 'none listed'}) include no BERT class ` +
        `(${[...BERT_ARCHITECTURES].join(', ')}); only BERT encoders are supported.`,
    );
  }
  if (typeof modelType !== 'string') {
    throw new ModelConfigError('model_type', `model_type must be a string such as "bert", but is ${describe(modelType)}.`);
  }
  const reason = Object.hasOwn(REFUSED_MODEL_TYPES, modelType) ? REFUSED_MODEL_TYPES[modelType] : null;
  throw new ModelConfigError(
    'model_type',
    reason
      ? `model_type "${modelType}": ${reason}. Choose a BERT checkpoint (model_type "bert").`
      : `model_type "${modelType}" is not supported; only BERT encoders (model_type "bert") can be loaded.`,
  );
}

function parseHiddenAct(raw: unknown): BertHiddenAct {
  if (raw === undefined) return 'gelu';
  if (typeof raw === 'string' && Object.hasOwn(HIDDEN_ACTS, raw)) return HIDDEN_ACTS[raw];
  throw new ModelConfigError(
    'hidden_act',
    `hidden_act ${describe(raw)} is not supported; expected one of ${Object.keys(HIDDEN_ACTS).join(', ')}.`,
  );
}

function positiveInteger(json: Record<string, unknown>, field: string): number {
  const value = json[field];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new ModelConfigError(
      field,
      value === undefined
        ? `config.json has no ${field}; a BERT config needs it.`
        : `${field} must be a positive integer, but is ${describe(value)}.`,
    );
  }
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  if (Array.isArray(value)) return JSON.stringify(value).slice(0, 60);
  if (typeof value === 'object') return 'an object';
  return String(value);
}
