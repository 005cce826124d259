// What crosses the worker boundary for training: the request (one condition at one η and seed), progress
// events, checkpoints and the result. All structured-cloneable; the stored run (storage/runRecord.ts) keeps
// the result's history and the checkpoint as they are.

import type { Condition } from '../experiments/trainingSchema';

export interface LabelledText {
  text: string;
  label: number;
}

export interface TrainSettings {
  epochs: number;
  batchSize: number;
  lr: number;
  promptLr: number;
  warmupFraction: number;
  weightDecay: number;
  maxGradNorm: number;
  maxTokens: number;
  evalsPerEpoch: number;
  initialEvaluation: boolean;
}

export interface TrainRequest {
  condition: Condition;
  /** η of the privatised conditions; ignored (clean text) for clean prompt tuning and the linear probe. */
  eta: number;
  seed: number;
  /** Raw labelled text: it stays on the user side of the worker (rapt/userSide.ts), which privatises it. */
  train: LabelledText[];
  dev: LabelledText[];
  labelNames: string[];
  promptLength: number;
  /** BERT-family models: 'verbaliser' reads the frozen MLM head at a [MASK] row over `labelWords`. USE-Lite has only the classifier. */
  head: 'classifier' | 'verbaliser';
  /** Verbaliser: one single-token word per class; null: the label names. */
  labelWords: string[] | null;
  rapt: { plainTokens: number; lambda: number; width: number; targetVocab: number | null };
  settings: TrainSettings;
  /** Continue from this checkpoint (same request otherwise). */
  resume?: TrainCheckpoint;
}

/** A point of the learning curve: means over the steps since the previous point. */
export interface TrainPoint {
  step: number;
  epoch: number;
  examples: number;
  lossTask: number;
  /** null when the condition has no reconstruction head. */
  lossRec: number | null;
  trainAccuracy: number;
  recAccuracy: number | null;
  gradNorm: number;
  lr: number;
  examplesPerSecond: number;
}

export interface EvalPoint {
  step: number;
  epoch: number;
  accuracy: number;
  loss: number;
  examples: number;
}

export interface TrainProgress {
  phase: 'privatising' | 'training' | 'evaluating';
  step: number;
  totalSteps: number;
  /** 0..1 over the whole request (privatisation counts as the first 5%). */
  fraction: number;
  examplesPerSecond: number | null;
  /** Seconds left, from the measured speed; null until measured. */
  etaSeconds: number | null;
  /** Set when a new learning-curve point or evaluation exists. */
  point?: TrainPoint;
  evaluation?: EvalPoint;
}

export interface TrainCheckpoint {
  /** The optimiser steps done; the loop resumes at the next batch of the same seeded order. */
  step: number;
  params: Record<string, Float32Array>;
  adam: { m: Record<string, Float32Array>; v: Record<string, Float32Array> };
  history: TrainPoint[];
  evals: EvalPoint[];
  /** Seconds of training before the checkpoint (for the total). */
  seconds: number;
}

export interface TrainResult {
  condition: Condition;
  /** null for the clean conditions. */
  eta: number | null;
  seed: number;
  accuracy: number;
  loss: number;
  history: TrainPoint[];
  evals: EvalPoint[];
  steps: number;
  trainExamples: number;
  devExamples: number;
  /** Fraction of the training text's tokens the privatisation changed (0 for clean text). */
  changedFraction: number;
  /** The plain tokens of a fixed-sequence RAPT run (public), else null. */
  plainTokens: number[] | null;
  shape: { promptLength: number; plainLength: number; reconstructionWidth: number; targetVocab: number; classes: number; trainedParameters: number };
  seconds: { privatise: number; train: number; evaluate: number };
}
