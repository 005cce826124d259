// ../shared/fixtures/rapt-train-step.json: one deterministic prompt-tuning and RAPT training step on the
// bundled USE-Lite encoder from an independent PyTorch implementation. This module types it and builds
// the step's inputs (initial parameters, batch, options) in our layout, for the f64 reference
// (useLiteTrainingReference.ts) and the GPU trainer's tests. It does no I/O: callers read the JSON (Node:
// readFileSync; see tests/unit/training/useLiteTrainingReference.test.ts).

import type { UseLiteWeights } from '../../model/useLite/useLiteWeights';
import type { TrainBatch, TrainStepOptions, TrainableParams } from './useLiteTrainingReference';

export interface RaptFixtureCase {
  task_logits: number[][];
  loss_task: number;
  loss_rec: number;
  /** [N, 256]. */
  grad_prompt: number[][];
  grad_prompt_norm: number;
  grad_head_weight_norm: number;
  /** RAPT only: [B][m][first 5 of |T|]. */
  rec_logits_first_5?: number[][][];
  grad_W2_norm?: number;
  grad_W1_norm?: number;
}

export interface RaptTrainStepFixture {
  texts: string[];
  text_ids: number[][];
  labels: number[];
  prompt_init_ids: number[];
  plain_tokens: number[];
  formulas: Record<string, string>;
  layout: string;
  pt_f64: RaptFixtureCase;
  rapt_f64: RaptFixtureCase;
  pt_f32: RaptFixtureCase;
  rapt_f32: RaptFixtureCase;
  rapt_grad_prompt_f32_vs_f64_max_abs: number;
}

/** The fixture's layout string; the reference implements exactly this. */
export const RAPT_FIXTURE_LAYOUT =
  '[P (10) ; plain (8, RAPT case only) ; text]; timing on all positions; right padding; x0 = P_j + t(j) at prompt rows, 2E[id] + t(pos) elsewhere; task head on mean of final states over text positions; rec logits = W1 W2 g at plain positions; loss_task = mean CE; loss_rec = mean CE over B*m';

/** Head sizes of the fixture: 2 classes, reconstruction rank c = 128, |T| = 8000. */
export const RAPT_FIXTURE_CLASSES = 2;
export const RAPT_FIXTURE_REC_RANK = 128;
export const RAPT_FIXTURE_REC_VOCAB = 8000;
/** λ of the fixture's RAPT case (loss = loss_task + λ·loss_rec), as its numbers show. */
export const RAPT_FIXTURE_LAMBDA = 1;

/** Checks the shape of parsed JSON and returns it typed. */
export function parseRaptTrainStepFixture(json: unknown): RaptTrainStepFixture {
  const f = json as RaptTrainStepFixture;
  const ok =
    typeof f === 'object' &&
    f !== null &&
    Array.isArray(f.text_ids) &&
    Array.isArray(f.labels) &&
    f.labels.length === f.text_ids.length &&
    Array.isArray(f.prompt_init_ids) &&
    Array.isArray(f.plain_tokens) &&
    typeof f.layout === 'string' &&
    [f.pt_f64, f.rapt_f64, f.pt_f32, f.rapt_f32].every((c) => c && Array.isArray(c.task_logits) && Array.isArray(c.grad_prompt));
  if (!ok) throw new Error('not a rapt-train-step fixture');
  if (f.layout !== RAPT_FIXTURE_LAYOUT) throw new Error(`rapt-train-step fixture: unexpected layout ${JSON.stringify(f.layout)}`);
  return f;
}

/**
 * The fixture's initial parameters in our [in, out] layout. The prompt starts as the doubled embeddings of
 * prompt_init_ids, P_j = 2·E[prompt_init_ids[j]] — what a token row feeds layer 0. The fixture's numbers
 * match this to 1e-15; P_j = E[...] is off by up to 0.05 in the logits and 18% in the prompt-gradient
 * norm. The heads follow its formulas, transposed from PyTorch's [out, in]:
 *   head.weight[k, j] = 0.01·sin(0.1·(512k + j) + 1)  → taskW[j, k]
 *   head.bias[k]      = 0.1·k − 0.05                  → taskB[k]
 *   W2[r, j]          = 0.02·cos(0.01·(512r + j))     → recW2[j, r]   (r < 128)
 *   W1[v, r]          = 0.05·sin(0.001·(128v + r) + 2) → recW1[r, v]  (v < 8000)
 */
export function fixtureParams(weights: UseLiteWeights, fixture: Pick<RaptTrainStepFixture, 'prompt_init_ids'>): Required<TrainableParams> {
  const D = weights.embeddingDim;
  const H = weights.layers[1].hidden;
  const N = fixture.prompt_init_ids.length;
  const K = RAPT_FIXTURE_CLASSES;
  const c = RAPT_FIXTURE_REC_RANK;
  const T = RAPT_FIXTURE_REC_VOCAB;
  const prompt = new Float64Array(N * D);
  fixture.prompt_init_ids.forEach((id, p) => {
    for (let i = 0; i < D; i++) prompt[p * D + i] = 2 * weights.embeddings[id * D + i];
  });
  const taskW = new Float64Array(H * K);
  for (let k = 0; k < K; k++) for (let j = 0; j < H; j++) taskW[j * K + k] = 0.01 * Math.sin(0.1 * (H * k + j) + 1);
  const taskB = new Float64Array(K);
  for (let k = 0; k < K; k++) taskB[k] = 0.1 * k - 0.05;
  const recW2 = new Float64Array(H * c);
  for (let r = 0; r < c; r++) for (let j = 0; j < H; j++) recW2[j * c + r] = 0.02 * Math.cos(0.01 * (H * r + j));
  const recW1 = new Float64Array(c * T);
  for (let v = 0; v < T; v++) for (let r = 0; r < c; r++) recW1[r * T + v] = 0.05 * Math.sin(0.001 * (c * v + r) + 2);
  return { prompt, taskW, taskB, recW2, recW1 };
}

/** The fixture's batch: text ids, preceded in the RAPT case by the plain tokens (also the targets). */
export function fixtureBatch(fixture: RaptTrainStepFixture, mode: 'pt' | 'rapt'): TrainBatch {
  if (mode === 'pt') return { ids: fixture.text_ids.map((t) => [...t]), labels: [...fixture.labels] };
  return {
    ids: fixture.text_ids.map((t) => [...fixture.plain_tokens, ...t]),
    labels: [...fixture.labels],
    plainTargets: fixture.text_ids.map(() => [...fixture.plain_tokens]),
  };
}

export function fixtureOptions(fixture: RaptTrainStepFixture, mode: 'pt' | 'rapt'): TrainStepOptions {
  return {
    promptLength: fixture.prompt_init_ids.length,
    plainLength: mode === 'pt' ? 0 : fixture.plain_tokens.length,
    classes: RAPT_FIXTURE_CLASSES,
    lambda: RAPT_FIXTURE_LAMBDA,
    // The fixture computes the attention scale as (head width)^−½ in f64, not the graph's f32 constant.
    queryScale: 'exact',
  };
}
