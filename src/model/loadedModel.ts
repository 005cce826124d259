// What the engine holds for a loaded model: its tokenizer, the embedding table the privacy mechanism works
// on, the attacker's token prior, and the architecture with its weights for the forward pass.

import type { EmbeddingTable } from './embeddingTable';
import type { BertWeights } from './bert/bertWeights';
import type { UseLiteWeights } from './useLite/useLiteWeights';

export interface TextTokenizer {
  readonly vocabSize: number;
  encodeWithOffsets(text: string): { normalized: string; ids: number[]; spans: Array<[number, number]> };
  /** The token as text for display (word-boundary marker shown as a space). */
  displayOf(id: number): string;
}

export interface ModelInfo {
  id: string;
  name: string;
  source: string;
  license: string;
  vocabSize: number;
  embeddingDim: number;
  candidateCount: number;
  excluded: { ids: number[]; reason: string }[];
  /** Where the attacker's token prior comes from. */
  priorSource: string;
  architecture: ArchitectureSummary;
  /** Bytes the model occupies on the GPU (weights and privatisation table); 0 until uploaded. */
  gpuBytes: number;
}

export interface ArchitectureSummary {
  kind: 'use-lite' | 'bert';
  description: string;
  layers: number;
  hiddenSize: number;
  heads: number;
  maxPositions: number;
  parameterCount: number;
  hasMlmHead: boolean;
  /** What a sentence vector is for this model (shown next to the similarity check). */
  sentenceVector: string;
}

export interface LoadedModel {
  info: ModelInfo;
  tokenizer: TextTokenizer;
  table: EmbeddingTable;
  /** Natural-log prior over tokens for the Bayes attack (−∞ for non-candidates). */
  logPrior: Float64Array;
  architecture: ModelArchitecture;
}

export type ModelArchitecture = { kind: 'use-lite'; weights: UseLiteWeights } | { kind: 'bert'; weights: BertWeights };

export interface LoadProgress {
  stage: string;
  loadedBytes: number;
  totalBytes: number;
}
