// Which files a BERT-family checkpoint needs, in the layout transformers writes (save_pretrained):
//   config.json                       required: architecture and sizes
//   model.safetensors                 required weights, or model.safetensors.index.json + the shards its
//                                     weight_map names (checkpoints over the 5 GB shard limit)
//   tokenizer.json | vocab.txt        one required: the fast tokenizer, else the WordPiece vocabulary
//   tokenizer_config.json             optional: casing and special tokens
// Only safetensors weights are read: pytorch_model.bin is a Python pickle (it can run code when loaded, and
// there is no safe reader in the browser), so a model that has only that gets a message saying what to do.

import { ModelLoadError } from '../fetchWithProgress';
import { validateRepoFilePath } from './hubAddress';
import type { ModelFileSource } from './modelFileSource';

export const BERT_CONFIG = 'config.json';
export const SAFETENSORS_WEIGHTS = 'model.safetensors';
export const SAFETENSORS_INDEX = 'model.safetensors.index.json';
export const TOKENIZER_JSON = 'tokenizer.json';
export const WORDPIECE_VOCAB = 'vocab.txt';
export const TOKENIZER_CONFIG = 'tokenizer_config.json';

/** Weights in formats this app cannot read, looked for only to explain why a model cannot load. */
const UNSUPPORTED_WEIGHTS = ['pytorch_model.bin', 'pytorch_model.bin.index.json', 'tf_model.h5', 'flax_model.msgpack', 'model.onnx', 'onnx/model.onnx'];

export interface BertFiles {
  config: typeof BERT_CONFIG;
  /** model.safetensors, or the shards named by the index, in order. */
  weights: string[];
  /** Present when the weights are sharded (the index maps each tensor to its shard). */
  weightsIndex?: typeof SAFETENSORS_INDEX;
  tokenizer: typeof TOKENIZER_JSON | typeof WORDPIECE_VOCAB;
  tokenizerConfig?: typeof TOKENIZER_CONFIG;
}

/** Every file to download for `files`, config first. */
export function bertFileList(files: BertFiles): string[] {
  return [
    files.config,
    ...(files.tokenizerConfig ? [files.tokenizerConfig] : []),
    files.tokenizer,
    ...(files.weightsIndex ? [files.weightsIndex] : []),
    ...files.weights,
  ];
}

/**
 * The shard file names of a safetensors index ({"weight_map": {tensor: shard}}), each listed once, sorted.
 * The index comes from the model's author, so each name is checked like any file name (no "../", no URL).
 */
export function shardsOfIndex(index: unknown, where: string): string[] {
  const weightMap = (index as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    throw new ModelLoadError(`${SAFETENSORS_INDEX} in ${where} has no weight_map object.`);
  }
  const shards = new Set<string>();
  for (const [tensor, shard] of Object.entries(weightMap)) {
    if (typeof shard !== 'string' || !shard.endsWith('.safetensors')) {
      throw new ModelLoadError(`${SAFETENSORS_INDEX} in ${where} maps ${tensor} to ${JSON.stringify(shard)}, which is not a .safetensors file.`);
    }
    try {
      validateRepoFilePath(shard);
    } catch {
      throw new ModelLoadError(`${SAFETENSORS_INDEX} in ${where} names an invalid shard ${JSON.stringify(shard.slice(0, 80))}.`);
    }
    shards.add(shard);
  }
  if (shards.size === 0) throw new ModelLoadError(`${SAFETENSORS_INDEX} in ${where} lists no tensors.`);
  return [...shards].sort();
}

/**
 * Decides which files of `source` to load, or throws one ModelLoadError that lists everything missing.
 * Fetches only the shard index (when the weights are sharded); everything else is a has() question.
 */
export async function resolveBertFiles(source: ModelFileSource, signal?: AbortSignal): Promise<BertFiles> {
  const [config, single, index, tokenizerJson, vocab, tokenizerConfig] = await Promise.all(
    [BERT_CONFIG, SAFETENSORS_WEIGHTS, SAFETENSORS_INDEX, TOKENIZER_JSON, WORDPIECE_VOCAB, TOKENIZER_CONFIG].map((f) => source.has(f)),
  );
  const missing: string[] = [];
  if (!config) missing.push(`${BERT_CONFIG} (the model's configuration)`);
  if (!tokenizerJson && !vocab) missing.push(`a tokenizer: ${TOKENIZER_JSON} or ${WORDPIECE_VOCAB}`);

  let weights: string[] = [];
  if (single) {
    weights = [SAFETENSORS_WEIGHTS];
  } else if (index) {
    const bytes = await source.fetch(SAFETENSORS_INDEX, () => {}, signal);
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(bytes));
    } catch (e) {
      throw new ModelLoadError(`${SAFETENSORS_INDEX} in ${source.label} is not valid JSON (${(e as Error).message}).`);
    }
    weights = shardsOfIndex(json, source.label);
    const present = await Promise.all(weights.map((w) => source.has(w)));
    const absent = weights.filter((_, i) => !present[i]);
    if (absent.length) missing.push(`weight shard${absent.length === 1 ? '' : 's'} ${absent.join(', ')} (named in ${SAFETENSORS_INDEX})`);
  } else {
    const others = await Promise.all(UNSUPPORTED_WEIGHTS.map((f) => source.has(f).catch(() => false)));
    const found = UNSUPPORTED_WEIGHTS.filter((_, i) => others[i]);
    if (found.length) {
      throw new ModelLoadError(
        `${source.label} has weights only as ${found.join(', ')}; RAPT Lab reads only safetensors (${SAFETENSORS_WEIGHTS}), ` +
          `because pickled PyTorch files can run code when opened. On the Hub, look for a pull request that adds ` +
          `safetensors weights and use its revision (e.g. refs/pr/1), or convert the model with the safetensors ` +
          `library and open the folder.` +
          (missing.length ? ` Also missing: ${missing.join('; ')}.` : ''),
      );
    }
    missing.push(`weights: ${SAFETENSORS_WEIGHTS} (or a sharded ${SAFETENSORS_INDEX})`);
  }

  if (missing.length) {
    throw new ModelLoadError(`${source.label} is not a complete BERT-family model. Missing: ${missing.join('; ')}.`);
  }
  return {
    config: BERT_CONFIG,
    weights,
    ...(index && !single ? { weightsIndex: SAFETENSORS_INDEX } : {}),
    tokenizer: tokenizerJson ? TOKENIZER_JSON : WORDPIECE_VOCAB,
    ...(tokenizerConfig ? { tokenizerConfig: TOKENIZER_CONFIG } : {}),
  };
}
