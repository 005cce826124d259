// One interface over the architectures' forward passes, for what the engine offers before training exists:
// sentence vectors (the similarity check) and masked-token predictions (fill-mask, MLM models only).

import type { GpuRuntime } from '../gpu/runtime';
import { BertEncoder } from './bert/bertEncoder';
import type { LoadedModel } from './loadedModel';
import { UseLiteEncoder } from './useLite/useLiteEncoder';

export interface ModelForward {
  readonly weightBytes: number;
  /** The USE-Lite encoder itself, for training (trainCondition.ts); null for other architectures. */
  readonly useLite: UseLiteEncoder | null;
  /** The BERT-family encoder itself, for training (trainBertCondition.ts: its weights are shared); null for USE-Lite. */
  readonly bert: BertEncoder | null;
  /** Sentence vectors [n, dim] for token-id sequences (as the model's tokenizer produced them). */
  embed(ids: readonly (readonly number[])[]): Promise<{ dim: number; vectors: Float32Array }>;
  /** Logits [positions, vocab] at [sentence, position] pairs; null when the model has no MLM head. */
  maskedLogits: ((ids: readonly (readonly number[])[], positions: readonly [number, number][]) => Promise<Float32Array>) | null;
  destroy(): void;
}

export async function createModelForward(runtime: GpuRuntime, model: LoadedModel): Promise<ModelForward> {
  const arch = model.architecture;
  if (arch.kind === 'use-lite') {
    const encoder = await UseLiteEncoder.create(runtime, arch.weights);
    return {
      get weightBytes() {
        return encoder.weightBytes;
      },
      useLite: encoder,
      bert: null,
      embed: async (ids) => ({ dim: 512, vectors: await encoder.encode(ids) }),
      maskedLogits: null,
      destroy: () => encoder.destroy(),
    };
  }
  const encoder = await BertEncoder.create(runtime, arch.weights);
  const maxLen = arch.weights.config.maxPositionEmbeddings;
  const clip = (ids: readonly (readonly number[])[]) => ids.map((s) => (s.length > maxLen ? [...s.slice(0, maxLen - 1), s[s.length - 1]] : s));
  return {
    get weightBytes() {
      return encoder.weightBytes;
    },
    useLite: null,
    bert: encoder,
    embed: async (ids) => {
      const dim = arch.weights.config.hiddenSize;
      const vectors = new Float32Array(ids.length * dim);
      const clipped = clip(ids);
      for (let start = 0; start < clipped.length; start += 16) {
        const out = await encoder.forward(clipped.slice(start, start + 16));
        vectors.set(out.meanPooled, start * dim);
      }
      return { dim, vectors };
    },
    maskedLogits: arch.weights.mlmHead
      ? async (ids, positions) => {
          const out = await encoder.forward(clip(ids), positions);
          return out.mlmLogits ?? new Float32Array(0);
        }
      : null,
    destroy: () => encoder.destroy(),
  };
}
