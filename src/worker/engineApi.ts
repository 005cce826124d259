// The one typed interface between the UI (or the headless runner page) and the engine worker, which owns
// the GPU device, the loaded model and every kernel. Everything crossing it is structured-cloneable data;
// callbacks cross as comlink proxies.

import type { AdapterReport } from '../gpu/device';
import type { LoadProgress, ModelInfo } from '../model/loadedModel';
import type { ModelSourceSpec } from '../model/modelSourceSpec';
import type { BayesAttackSettings, EtaStatistics } from '../privacy/statistics/etaSweep';
import type { TrainCheckpoint, TrainProgress, TrainRequest, TrainResult } from '../training/trainTypes';

export type ModelId = 'use-lite';

export interface FillMaskPrediction {
  /** Position of the [MASK] token in the tokenised text. */
  position: number;
  candidates: { id: number; token: string; probability: number }[];
}

export interface PrivatizedToken {
  /** Position in the tokenised text. */
  position: number;
  original: number;
  output: number;
  originalText: string;
  outputText: string;
  /** [start, end) of the original token in `normalized`. */
  span: [number, number];
  changed: boolean;
  /** Unknown/control tokens are not privatised (not candidates). */
  passThrough: boolean;
  /** ‖E[output] − E[original]‖ on the stored table. */
  distanceMoved: number;
  /** ‖z‖, the noise radius drawn for this token. */
  noiseRadius: number;
  /** Rank of the original among the output's nearest candidates (0 = the output itself). */
  rankOfOriginal: number;
}

export interface PrivatizedText {
  normalized: string;
  tokens: PrivatizedToken[];
  /** The privatised token sequence rendered as text. */
  privatizedText: string;
  changedCount: number;
}

export interface PrivatizeTextsRequest {
  texts: string[];
  eta: number;
  seed: number;
}

export interface SweepTextsRequest {
  texts: string[];
  etas: number[];
  seed: number;
  draws: number;
  bayes?: BayesAttackSettings;
}

export interface SweepProgress {
  fraction: number;
  stage: string;
}

export interface EngineApi {
  /** Opens the GPU; throws a GpuError (name 'GpuError') when WebGPU is unavailable. */
  init(): Promise<AdapterReport>;
  /** Loads the bundled model ('use-lite' or {kind: 'bundled'}), a Hub model or a local folder; replaces the current one only on success. */
  loadModel(source: ModelId | ModelSourceSpec, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo>;
  /** The loaded model, or null before any model is loaded. */
  currentModel(): Promise<ModelInfo | null>;
  /** Sentence vectors of the loaded model, [texts.length × dim]. */
  embedSentences(texts: string[]): Promise<{ dim: number; vectors: Float32Array }>;
  /** Top-k predictions at every [MASK] of the text (masked-LM models only). */
  fillMask(text: string, topK: number): Promise<FillMaskPrediction[]>;
  tokenize(texts: string[]): Promise<number[][]>;
  privatizeTexts(request: PrivatizeTextsRequest): Promise<PrivatizedText[]>;
  sweepEta(
    request: SweepTextsRequest,
    onProgress?: (p: SweepProgress) => void,
    onEta?: (stats: EtaStatistics, index: number) => void,
  ): Promise<EtaStatistics[]>;
  /**
   * Trains one condition (prompt tuning, RAPT, linear probe) on the loaded model: the raw text is privatised
   * on the user side of the worker and only privatised ids reach the trainer (training/trainCondition.ts).
   * Checkpoints arrive at every evaluation; pass one back as request.resume to continue.
   */
  train(request: TrainRequest, onProgress?: (p: TrainProgress) => void, onCheckpoint?: (c: TrainCheckpoint) => void | Promise<void>): Promise<TrainResult>;
  /** Cancels the running sweep or training (it rejects with CancelledError). */
  cancel(): void;
  /** Resolves with a user-facing message if the GPU device is lost (driver reset, tab backgrounded too long). */
  whenDeviceLost(): Promise<string>;
}
