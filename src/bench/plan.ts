// What the benchmark runs. Sizes are chosen for the software adapter (SwiftShader, 2 CPU cores): the full
// plan takes a few minutes per section there (the train section about 20, TF.js's steps being ~100 s each),
// the quick one about a minute or two each (train about 5). A faster adapter simply finishes sooner; nothing
// here depends on measured speed.

import { TRAIN_STEP_CASES } from './training/trainCases';
import { BENCH_SECTIONS, type BenchPlan, type BenchSection, type MatmulShape, type TrainPlan } from './types';

const MATMUL_SHAPES: MatmulShape[] = [
  { m: 1024, n: 1024, k: 1024, why: 'square, the usual matmul benchmark' },
  { m: 4096, n: 768, k: 768, why: 'BERT-base width at batch·seq 4096 (the attention-output projection; the FFN pair is 768×3072 and 3072×768)' },
];

/** The training case --quick runs: the demo experiment's settings (RAPT, batch 16, 32 padded rows). */
export const quickTrainCase = (): string => TRAIN_STEP_CASES[0].name;

/**
 * Training steps on SwiftShader under load: ours a few seconds per RAPT step, jax-js ~26 s, TF.js ~100 s
 * (each plus its untimed first step; jax-js's includes tracing and compiling its jit, ~a minute). Full: all
 * cases, ours 10 awaited steps + 5 queued + 5 forward calls, jax-js 3, TF.js 1 — about 20 minutes in all.
 * Quick: the demo's case (RAPT 16×32), one timed step each (about 6 minutes, most of it TF.js).
 */
export function trainPlan(quick: boolean): TrainPlan {
  if (quick) return { cases: [quickTrainCase()], ours: { reps: 1, queued: 2, forward: 1 }, jax: 1, tf: 1 };
  return { cases: TRAIN_STEP_CASES.map((c) => c.name), ours: { reps: 10, queued: 5, forward: 5 }, jax: 3, tf: 1 };
}

export function benchPlan(quick: boolean, only?: BenchSection): BenchPlan {
  const sections = only ? [only] : [...BENCH_SECTIONS];
  const forwardShapes = [
    { batch: 32, length: 64 },
    { batch: 8, length: 128 },
  ];
  if (quick) {
    return {
      quick,
      seed: 2305,
      sections,
      tables: {
        'use-lite': { batches: [{ batch: 64, warmup: 1, reps: 2 }], kernelRows: 64, kernelReps: 2, referenceTokens: 8 },
        'bert-size': { batches: [{ batch: 16, warmup: 1, reps: 2 }], kernelRows: 16, kernelReps: 2, referenceTokens: 2 },
      },
      matmul: { shapes: MATMUL_SHAPES, warmup: 1, reps: 2 },
      forward: {
        shapes: forwardShapes,
        useLite: { ours: 2, jax: 2, tf: 1, referenceSentences: 2 },
        // BERT-base width with 2 layers instead of 12; ours timed separately from its per-kernel call.
        bert: { layers: 2, ours: 2, jax: 1 },
      },
      train: trainPlan(true),
    };
  }
  // On SwiftShader one BERT-sized token costs ~40 ms of distance work, so its 1024 batch (~40 s a call)
  // gets no separate warm-up: the 256 batch has compiled every pipeline already, and the per-kernel call
  // that precedes the timed ones absorbs the scratch-buffer growth.
  //
  // Forward: one BERT-base call at 32×64 is ~350 GFLOP (flops.ts), about a minute for ours and two to three
  // for jax-js on a quiet SwiftShader, so BERT-base gets one timed call per implementation and shape —
  // jax-js after a one-layer warm-up, ours its per-kernel call (reps 0, see forwardCases.ts) — and that
  // floor alone is ~5 minutes. USE-Lite is ~20 GFLOP at 32×64: seconds for ours and jax-js, but tens of
  // seconds for TF.js's graph, whose untimed first call at each shape is needed too (it compiles ~15 % of
  // a call's time), so TF.js gets one timed call. The whole section takes ~8 minutes on a quiet machine.
  return {
    quick,
    seed: 2305,
    sections,
    tables: {
      'use-lite': {
        batches: [
          { batch: 256, warmup: 1, reps: 5 },
          { batch: 1024, warmup: 1, reps: 3 },
        ],
        kernelRows: 1024,
        kernelReps: 3,
        referenceTokens: 64,
      },
      'bert-size': {
        batches: [
          { batch: 256, warmup: 1, reps: 3 },
          { batch: 1024, warmup: 0, reps: 2 },
        ],
        kernelRows: 256,
        kernelReps: 3,
        referenceTokens: 8,
      },
    },
    matmul: { shapes: MATMUL_SHAPES, warmup: 1, reps: 5 },
    forward: {
      shapes: forwardShapes,
      useLite: { ours: 3, jax: 2, tf: 1, referenceSentences: 2 },
      bert: { layers: 12, ours: 0, jax: 1 },
    },
    train: trainPlan(false),
  };
}

/** Largest number of tokens any case of a table needs. */
export const tokensNeeded = (p: BenchPlan['tables']['use-lite']) =>
  Math.max(p.kernelRows, p.referenceTokens, ...p.batches.map((b) => b.batch));
