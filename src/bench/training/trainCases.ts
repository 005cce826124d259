// Training-step benchmark cases (the train section, ../trainSection.ts): the demo's training settings —
// batch 16, N = 10 prompt rows, m = 8 plain rows (RAPT) or none (prompt tuning), sequences padded to 32 or
// 48 rows, a 2-class task head, reconstruction head T = 8000, c = 128 — with batches cut from the demo corpus
// (models.ts loadUseLiteBundle → corpusTokens) so that texts have different lengths and the batch has real
// padding, and a timing loop for any TrainStepPeer (jaxTrainStep.ts, tfjsTrainStep.ts; ours is timed by
// trainSection.ts, whose step() only queues GPU work).
//
// Per case: set up the peer once, one untimed step (compilation: jax-js traces and compiles its jit,
// TF.js compiles a shader per op and shape) whose losses are the ones compared across implementations
// (identical initial trainables, batch 0), then `reps` timed steps on different batches of the same shape.
// The steps keep training (each applies AdamW), as a real run would; the losses come back with the timings
// so a diverging peer shows.

import { gflopsPerSecond, summarize, timeAsync, yieldToEventLoop, type Stats } from '../timing';
import { trainStepFlops, type TrainStepFlops } from './trainFlops';
import { makeTrainBatch, trainStepOptions, type StepLosses, type TrainBatch, type TrainStepOptions, type TrainStepPeer } from './trainStepSetup';

export interface TrainStepCase {
  name: string;
  batch: number;
  /** Padded rows S, prompt and plain rows included. */
  length: number;
  opts: TrainStepOptions;
  why: string;
}

const demo = (plainTokens: number, length: number, why: string): TrainStepCase => ({
  name: `${plainTokens > 0 ? 'RAPT' : 'prompt tuning'} 16×${length}`,
  batch: 16,
  length,
  opts: trainStepOptions({ promptTokens: 10, plainTokens, classes: 2, reconVocab: 8000, reconRank: 128, lambda: 1 }),
  why,
});

export const TRAIN_STEP_CASES: readonly TrainStepCase[] = [
  demo(8, 32, 'RAPT demo settings, short sentences (≤ 14 text tokens)'),
  demo(8, 48, 'RAPT demo settings, longer sentences (≤ 30 text tokens)'),
  demo(0, 32, 'plain prompt tuning at the same padded length (no reconstruction head)'),
];

/**
 * Batch `index` of a case from corpus token ids: example b takes the next text of n_b consecutive corpus
 * tokens, n_b between about half and all of the S − N − m text rows (example 0 fills them, so the padded
 * length is exactly S); RAPT's m plain tokens are the m corpus tokens before the text and are their own
 * targets (privatisation is not part of the step); labels alternate.
 */
export function trainCaseBatch(c: TrainStepCase, corpusTokens: readonly number[], index: number, vocabSize = 8002): TrainBatch {
  const { promptTokens: N, plainTokens: m, classes } = c.opts;
  const textMax = c.length - N - m;
  if (textMax < 1) throw new RangeError(`${c.name}: no room for text`);
  const spread = Math.ceil(textMax / 2);
  const examples = [];
  let at = (index * c.batch * (c.length + 3)) % Math.max(1, corpusTokens.length - c.batch * c.length);
  for (let b = 0; b < c.batch; b++) {
    // (b + index) % spread, not a multiple of b: with b·7, S = 32 (spread 7) gave every example the same length.
    const n = b === 0 ? textMax : textMax - ((b + index) % spread);
    if (at + m + n > corpusTokens.length) at = 0;
    const plain = corpusTokens.slice(at, at + m);
    const text = corpusTokens.slice(at + m, at + m + n);
    at += m + n;
    examples.push({ text, label: (b + index) % classes, plain: m > 0 ? plain : undefined });
  }
  return makeTrainBatch(examples, c.opts, vocabSize, c.length);
}

export function caseFlops(c: TrainStepCase, batch?: TrainBatch): TrainStepFlops {
  const realRows = batch ? batch.lengths.reduce((s, l) => s + l, 0) : undefined;
  return trainStepFlops({ ...c.opts, batch: c.batch, length: c.length, realRows });
}

export interface TrainStepMeasurement {
  case: string;
  implementation: string;
  /** The untimed first step (compilation included). */
  firstStepMs: number;
  /** Its losses: batch 0 from the initial trainables, the same for every implementation. */
  firstLosses: StepLosses;
  /** When each timed step began (ISO time). */
  sampleStartedAt: string[];
  timing: Stats;
  /** Per timed step, in order. */
  losses: StepLosses[];
  flops: TrainStepFlops;
  /** flops.total / median step time. */
  gflops: number;
  /** Training examples per second at the median. */
  examplesPerSecond: number;
  adjustments: string[];
}

/**
 * One untimed step, then `reps` timed steps of `peer` on batches 1..reps of the case. `onStep` hears of each
 * step as it ends (step 0 is the untimed one), for progress.
 */
export async function measureTrainStep(
  peer: TrainStepPeer,
  c: TrainStepCase,
  corpusTokens: readonly number[],
  reps: number,
  onStep?: (step: number, ms: number, losses: StepLosses) => void,
): Promise<TrainStepMeasurement> {
  const first = await timeAsync(() => peer.step(trainCaseBatch(c, corpusTokens, 0)));
  onStep?.(0, first.ms, first.value);
  const samples: number[] = [];
  const starts: string[] = [];
  const losses: StepLosses[] = [];
  let flops = caseFlops(c, trainCaseBatch(c, corpusTokens, 0));
  for (let r = 1; r <= reps; r++) {
    const batch = trainCaseBatch(c, corpusTokens, r);
    await yieldToEventLoop();
    starts.push(new Date().toISOString());
    const { ms, value } = await timeAsync(() => peer.step(batch));
    samples.push(ms);
    losses.push(value);
    flops = caseFlops(c, batch);
    onStep?.(r, ms, value);
  }
  const timing = summarize(samples);
  return {
    case: c.name,
    implementation: peer.name,
    firstStepMs: first.ms,
    firstLosses: first.value,
    sampleStartedAt: starts,
    timing,
    losses,
    flops,
    gflops: gflopsPerSecond(flops.total, timing.medianMs),
    examplesPerSecond: (c.batch * 1000) / timing.medianMs,
    adjustments: peer.adjustments,
  };
}
