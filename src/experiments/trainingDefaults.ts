// The training experiments the app offers with one click ("Train the demo") and opens the builder with.
// DEMO_TRAIN_SPEC is the one place its numbers live: sized to finish in a few minutes on a slow software
// (CPU) WebGPU adapter — RAPT at η = 20 on a few hundred of the bundled IMDB sentences, a 200-sentence
// hold-out, short texts. The compare demo reuses its data and training settings, so tuning the demo tunes both.

import { SCHEMA_VERSION } from './schema';

export const DEMO_TRAIN_SPEC = {
  schemaVersion: SCHEMA_VERSION,
  kind: 'train',
  name: 'Demo: RAPT at η = 20 on the bundled IMDB sentences',
  condition: 'rapt',
  eta: 20,
  data: { train: { kind: 'bundled' }, dev: null, trainSize: 480, devSize: 200 },
  seeds: [1],
  prompt: { length: 10 },
  rapt: { plainTokens: 8 },
  training: { epochs: 2, batchSize: 16, maxTokens: 32 },
} as const;

/** The four conditions of rapt-method.md §5 on the demo's data, at two η values (8 trainings with one seed). */
export const DEMO_COMPARE_SPEC = {
  schemaVersion: SCHEMA_VERSION,
  kind: 'compare',
  name: 'Demo: clean vs privatised prompt tuning vs RAPT vs linear probe',
  data: DEMO_TRAIN_SPEC.data,
  seeds: DEMO_TRAIN_SPEC.seeds,
  prompt: DEMO_TRAIN_SPEC.prompt,
  rapt: DEMO_TRAIN_SPEC.rapt,
  training: DEMO_TRAIN_SPEC.training,
  conditions: ['clean-prompt-tuning', 'prompt-tuning', 'rapt', 'linear-probe'],
  etas: [20, 80],
} as const;
