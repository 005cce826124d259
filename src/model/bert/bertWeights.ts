/**
 * Maps the tensors of a Hugging Face BERT checkpoint (by transformers' parameter names) to the layout the
 * forward pass uses. Every shape is checked against the config first, and all problems are reported in one
 * error, so a wrong checkpoint shows everything that is off at once.
 *
 * Layout conventions (all row-major Float32Array):
 * - HF `nn.Linear` stores W as [out, in] and computes x·Wᵀ + b; here every linear weight is transposed to
 *   [in, out] (K×N), so the matmul computes x·W directly.
 * - Query, key and value are fused into one projection: `qkvWeight` [h, 3h] whose columns are the blocks
 *   [Q | K | V] (row i = [Wqᵀ row i, Wkᵀ row i, Wvᵀ row i]), and `qkvBias` [3h] = [bq, bk, bv]; heads are
 *   consecutive groups of headDim columns inside each block, as in HF's `transpose_for_scores`.
 * - Embedding tables and the MLM decoder stay [rows, h]; logits are t·Eᵀ against the word embeddings
 *   unless the checkpoint has its own, untied decoder.
 *
 * Names are accepted with the `bert.` prefix (BertForMaskedLM, BertForPreTraining, …) or without it
 * (BertModel); LayerNorm parameters as `weight`/`bias` or, in older checkpoints, `gamma`/`beta`.
 */

import type { BertConfig } from './bertConfig';

/** What the mapping needs of a loaded tensor (a safetensors or TF.js tensor fits). */
export interface NamedTensor {
  shape: readonly number[];
  dtype: string;
  data: Float32Array | Int32Array;
}

export interface LayerNormWeights {
  gamma: Float32Array;
  beta: Float32Array;
}

export interface BertLayerWeights {
  /** [h, 3h], column blocks [Q | K | V]. */
  qkvWeight: Float32Array;
  /** [3h]. */
  qkvBias: Float32Array;
  /** [h, h]. */
  attentionOutWeight: Float32Array;
  attentionOutBias: Float32Array;
  attentionLn: LayerNormWeights;
  /** [h, I]. */
  intermediateWeight: Float32Array;
  intermediateBias: Float32Array;
  /** [I, h]. */
  outputWeight: Float32Array;
  outputBias: Float32Array;
  outputLn: LayerNormWeights;
}

export interface BertMlmHeadWeights {
  /** [h, h]. */
  transformWeight: Float32Array;
  transformBias: Float32Array;
  ln: LayerNormWeights;
  /** [V]. */
  decoderBias: Float32Array;
  /** [V, h] only when untied and different from the word embeddings; null means use `wordEmbeddings`. */
  decoderWeight: Float32Array | null;
}

export interface BertPoolerWeights {
  /** [h, h]. */
  weight: Float32Array;
  bias: Float32Array;
}

export interface BertWeights {
  config: BertConfig;
  /** [V, h]. */
  wordEmbeddings: Float32Array;
  /** [P, h]. */
  positionEmbeddings: Float32Array;
  /** [T, h]. */
  tokenTypeEmbeddings: Float32Array;
  embeddingLn: LayerNormWeights;
  layers: BertLayerWeights[];
  /** Null when the checkpoint has no `cls.predictions.*` (e.g. BertModel). */
  mlmHead: BertMlmHeadWeights | null;
  /** Null when the checkpoint has no pooler (e.g. BertForMaskedLM). */
  pooler: BertPoolerWeights | null;
  /** Number of parameters held here (a tied decoder is not counted twice). */
  parameterCount: number;
  /** Tensors of the checkpoint not used (NSP head, classifier, `position_ids` buffer, …). */
  ignoredTensors: string[];
  /** Things worth knowing that are not errors. */
  notes: string[];
}

export class BertWeightsError extends Error {
  override name = 'BertWeightsError';
  /** One line per missing or mis-shaped tensor. */
  readonly problems: string[];

  constructor(problems: string[]) {
    super(
      `The checkpoint does not match config.json (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((problem) => `- ${problem}`).join('\n') +
        '\nCheck that config.json and the weights come from the same model.',
    );
    this.problems = problems;
  }
}

/**
 * Whether a checkpoint tensor is used by {@link mapBertWeights}; pass it as `readSafetensors`'s `only`
 * to skip decoding the rest (NSP and classifier heads, the int64 `position_ids` buffer).
 */
export function isBertTensorUsed(name: string): boolean {
  if (name.startsWith('cls.predictions.')) return true;
  const bare = name.startsWith('bert.') ? name.slice('bert.'.length) : name;
  return (
    /^embeddings\.(word_embeddings|position_embeddings|token_type_embeddings)\.weight$/.test(bare) ||
    /^embeddings\.LayerNorm\./.test(bare) ||
    bare.startsWith('encoder.layer.') ||
    bare.startsWith('pooler.dense.')
  );
}

export function mapBertWeights(config: BertConfig, tensors: ReadonlyMap<string, NamedTensor>): BertWeights {
  const reader = new CheckpointReader(tensors, config);
  const { hiddenSize: h, intermediateSize: inner, vocabSize: v } = config;
  const p = reader.prefix;

  const wordEmbeddings = reader.take(`${p}embeddings.word_embeddings.weight`, [v, h], 'vocab_size × hidden_size');
  const positionEmbeddings = reader.take(
    `${p}embeddings.position_embeddings.weight`,
    [config.maxPositionEmbeddings, h],
    'max_position_embeddings × hidden_size',
  );
  const tokenTypeEmbeddings = reader.take(
    `${p}embeddings.token_type_embeddings.weight`,
    [config.typeVocabSize, h],
    'type_vocab_size × hidden_size',
  );
  const embeddingLn = reader.takeLayerNorm(`${p}embeddings.LayerNorm`);

  const rawLayers = Array.from({ length: config.numHiddenLayers }, (_, i) => {
    const at = `${p}encoder.layer.${i}.`;
    const linear = (name: string, out: number, inputs: number, why: string) => ({
      weight: reader.take(`${at}${name}.weight`, [out, inputs], why),
      bias: reader.take(`${at}${name}.bias`, [out], why.split(' × ')[0]),
    });
    return {
      query: linear('attention.self.query', h, h, 'hidden_size × hidden_size'),
      key: linear('attention.self.key', h, h, 'hidden_size × hidden_size'),
      value: linear('attention.self.value', h, h, 'hidden_size × hidden_size'),
      attentionOut: linear('attention.output.dense', h, h, 'hidden_size × hidden_size'),
      attentionLn: reader.takeLayerNorm(`${at}attention.output.LayerNorm`),
      intermediate: linear('intermediate.dense', inner, h, 'intermediate_size × hidden_size'),
      output: linear('output.dense', h, inner, 'hidden_size × intermediate_size'),
      outputLn: reader.takeLayerNorm(`${at}output.LayerNorm`),
    };
  });
  reader.checkNoExtraLayers();

  const rawPooler = reader.hasAny(`${p}pooler.`)
    ? {
        weight: reader.take(`${p}pooler.dense.weight`, [h, h], 'hidden_size × hidden_size'),
        bias: reader.take(`${p}pooler.dense.bias`, [h], 'hidden_size'),
      }
    : null;

  const rawHead = reader.hasAny('cls.predictions.') ? takeMlmHead(reader, config) : null;

  if (reader.problems.length > 0) throw new BertWeightsError(reader.problems);

  // Past the check every take() returned an array; `ok` narrows the types.
  const layers = rawLayers.map((layer): BertLayerWeights => ({
    qkvWeight: fuseQkv(ok(layer.query.weight), ok(layer.key.weight), ok(layer.value.weight), h),
    qkvBias: concat([ok(layer.query.bias), ok(layer.key.bias), ok(layer.value.bias)]),
    attentionOutWeight: transpose(ok(layer.attentionOut.weight), h, h),
    attentionOutBias: ok(layer.attentionOut.bias),
    attentionLn: okLn(layer.attentionLn),
    intermediateWeight: transpose(ok(layer.intermediate.weight), inner, h),
    intermediateBias: ok(layer.intermediate.bias),
    outputWeight: transpose(ok(layer.output.weight), h, inner),
    outputBias: ok(layer.output.bias),
    outputLn: okLn(layer.outputLn),
  }));
  const words = ok(wordEmbeddings);
  let mlmHead: BertMlmHeadWeights | null = null;
  if (rawHead) {
    const decoder = rawHead.decoderWeight;
    let decoderWeight: Float32Array | null = null;
    if (decoder && !sameValues(decoder, words)) {
      if (config.tieWordEmbeddings) {
        reader.notes.push(
          'cls.predictions.decoder.weight differs from the word embeddings but tie_word_embeddings is true; ' +
            'as transformers does, the word embeddings are used.',
        );
      } else {
        decoderWeight = decoder;
      }
    }
    mlmHead = {
      transformWeight: transpose(ok(rawHead.transformWeight), h, h),
      transformBias: ok(rawHead.transformBias),
      ln: okLn(rawHead.ln),
      decoderBias: ok(rawHead.decoderBias),
      decoderWeight,
    };
  }
  const pooler = rawPooler ? { weight: transpose(ok(rawPooler.weight), h, h), bias: ok(rawPooler.bias) } : null;

  const weights: Omit<BertWeights, 'parameterCount'> = {
    config,
    wordEmbeddings: words,
    positionEmbeddings: ok(positionEmbeddings),
    tokenTypeEmbeddings: ok(tokenTypeEmbeddings),
    embeddingLn: okLn(embeddingLn),
    layers,
    mlmHead,
    pooler,
    ignoredTensors: reader.unusedNames(),
    notes: reader.notes,
  };
  return { ...weights, parameterCount: countParameters(weights) };
}

function takeMlmHead(reader: CheckpointReader, config: BertConfig) {
  const { hiddenSize: h, vocabSize: v } = config;
  // transformers ties `cls.predictions.bias` to `cls.predictions.decoder.bias`; either name may be saved.
  const biasName = reader.has('cls.predictions.bias') ? 'cls.predictions.bias' : 'cls.predictions.decoder.bias';
  if (reader.has('cls.predictions.bias')) reader.markUsed('cls.predictions.decoder.bias');
  const hasDecoder = reader.has('cls.predictions.decoder.weight');
  if (!hasDecoder && !config.tieWordEmbeddings) {
    reader.problems.push(
      'cls.predictions.decoder.weight is missing, but tie_word_embeddings is false so the MLM head needs its own decoder.',
    );
  }
  return {
    transformWeight: reader.take('cls.predictions.transform.dense.weight', [h, h], 'hidden_size × hidden_size'),
    transformBias: reader.take('cls.predictions.transform.dense.bias', [h], 'hidden_size'),
    ln: reader.takeLayerNorm('cls.predictions.transform.LayerNorm'),
    decoderBias: reader.take(biasName, [v], 'vocab_size'),
    decoderWeight: hasDecoder
      ? reader.take('cls.predictions.decoder.weight', [v, h], 'vocab_size × hidden_size')
      : null,
  };
}

/** Looks tensors up by name, recording every problem instead of stopping at the first. */
class CheckpointReader {
  readonly problems: string[] = [];
  readonly notes: string[] = [];
  /** `bert.` or '' — whichever spelling the checkpoint uses. */
  readonly prefix: string;
  private readonly used = new Set<string>();

  constructor(
    private readonly tensors: ReadonlyMap<string, NamedTensor>,
    private readonly config: BertConfig,
  ) {
    const names = [...tensors.keys()];
    if (tensors.has('bert.embeddings.word_embeddings.weight')) this.prefix = 'bert.';
    else if (tensors.has('embeddings.word_embeddings.weight')) this.prefix = '';
    else this.prefix = names.some((name) => name.startsWith('bert.')) ? 'bert.' : '';
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  hasAny(start: string): boolean {
    for (const name of this.tensors.keys()) if (name.startsWith(start)) return true;
    return false;
  }

  markUsed(name: string): void {
    this.used.add(name);
  }

  /** The tensor's data if present, float and of the expected shape; otherwise null and a problem. */
  take(name: string, shape: number[], meaning: string): Float32Array | null {
    const tensor = this.tensors.get(name);
    this.used.add(name);
    if (!tensor) {
      this.problems.push(`${name} is missing (expected [${shape.join(', ')}] = ${meaning}).`);
      return null;
    }
    if (!(tensor.data instanceof Float32Array)) {
      this.problems.push(`${name} has dtype ${tensor.dtype}; a floating-point weight (F32, F16 or BF16) is expected.`);
      return null;
    }
    if (tensor.shape.length !== shape.length || tensor.shape.some((dim, k) => dim !== shape[k])) {
      this.problems.push(
        `${name} has shape [${tensor.shape.join(', ')}], expected [${shape.join(', ')}] = ${meaning} ` +
          `(${this.describeConfig(meaning)}).`,
      );
      return null;
    }
    if (tensor.data.length !== shape.reduce((product, dim) => product * dim, 1)) {
      this.problems.push(`${name} holds ${tensor.data.length} values, not the ${shape.join(' × ')} its shape says.`);
      return null;
    }
    return tensor.data;
  }

  /** `<base>.weight`/`.bias`, or the older `<base>.gamma`/`.beta`. */
  takeLayerNorm(base: string): { gamma: Float32Array | null; beta: Float32Array | null } {
    const gammaName = this.tensors.has(`${base}.gamma`) && !this.tensors.has(`${base}.weight`) ? 'gamma' : 'weight';
    const betaName = this.tensors.has(`${base}.beta`) && !this.tensors.has(`${base}.bias`) ? 'beta' : 'bias';
    const h = this.config.hiddenSize;
    return {
      gamma: this.take(`${base}.${gammaName}`, [h], 'hidden_size'),
      beta: this.take(`${base}.${betaName}`, [h], 'hidden_size'),
    };
  }

  /** A checkpoint with more layers than num_hidden_layers is from another config. */
  checkNoExtraLayers(): void {
    const layerPattern = new RegExp(`^${this.prefix.replace('.', '\\.')}encoder\\.layer\\.(\\d+)\\.`);
    let highest = -1;
    for (const name of this.tensors.keys()) {
      const match = layerPattern.exec(name);
      if (match) highest = Math.max(highest, Number(match[1]));
    }
    if (highest >= this.config.numHiddenLayers) {
      this.problems.push(
        `The checkpoint has encoder layers up to ${this.prefix}encoder.layer.${highest}, but num_hidden_layers ` +
          `is ${this.config.numHiddenLayers}.`,
      );
    }
  }

  unusedNames(): string[] {
    return [...this.tensors.keys()].filter((name) => !this.used.has(name)).sort();
  }

  private describeConfig(meaning: string): string {
    const values: Record<string, number> = {
      vocab_size: this.config.vocabSize,
      hidden_size: this.config.hiddenSize,
      intermediate_size: this.config.intermediateSize,
      max_position_embeddings: this.config.maxPositionEmbeddings,
      type_vocab_size: this.config.typeVocabSize,
    };
    return meaning
      .split(' × ')
      .map((field) => `${field} ${values[field]}`)
      .join(', ');
  }
}

function ok(data: Float32Array | null): Float32Array {
  if (!data) throw new Error('unreachable: a missing tensor passed the check');
  return data;
}

function okLn(ln: { gamma: Float32Array | null; beta: Float32Array | null }): LayerNormWeights {
  return { gamma: ok(ln.gamma), beta: ok(ln.beta) };
}

/** HF [out, in] → [in, out], row-major. */
function transpose(weight: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(rows * columns);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) out[c * rows + r] = weight[r * columns + c];
  }
  return out;
}

/** Three HF [h, h] weights → [h, 3h] with column blocks [Q | K | V]: out[i, b·h + j] = W_b[j, i]. */
function fuseQkv(query: Float32Array, key: Float32Array, value: Float32Array, h: number): Float32Array {
  const out = new Float32Array(h * 3 * h);
  [query, key, value].forEach((weight, block) => {
    for (let j = 0; j < h; j++) {
      for (let i = 0; i < h; i++) out[i * 3 * h + block * h + j] = weight[j * h + i];
    }
  });
  return out;
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  return true;
}

function countParameters(weights: Omit<BertWeights, 'parameterCount'>): number {
  const ln = (norm: LayerNormWeights) => norm.gamma.length + norm.beta.length;
  let count =
    weights.wordEmbeddings.length +
    weights.positionEmbeddings.length +
    weights.tokenTypeEmbeddings.length +
    ln(weights.embeddingLn);
  for (const layer of weights.layers) {
    count +=
      layer.qkvWeight.length +
      layer.qkvBias.length +
      layer.attentionOutWeight.length +
      layer.attentionOutBias.length +
      ln(layer.attentionLn) +
      layer.intermediateWeight.length +
      layer.intermediateBias.length +
      layer.outputWeight.length +
      layer.outputBias.length +
      ln(layer.outputLn);
  }
  const head = weights.mlmHead;
  if (head) {
    count += head.transformWeight.length + head.transformBias.length + ln(head.ln) + head.decoderBias.length;
    count += head.decoderWeight?.length ?? 0;
  }
  if (weights.pooler) count += weights.pooler.weight.length + weights.pooler.bias.length;
  return count;
}
