// What the benchmark runs. Sizes are chosen for the software adapter (SwiftShader, 2 CPU cores): the full
// plan takes a few minutes there, the quick one well under a minute. A faster adapter simply finishes
// sooner; nothing here depends on measured speed.

import type { BenchPlan } from './types';

export function benchPlan(quick: boolean): BenchPlan {
  if (quick) {
    return {
      quick,
      seed: 2305,
      tables: {
        'use-lite': { batches: [{ batch: 64, warmup: 1, reps: 2 }], kernelRows: 64, kernelReps: 2, referenceTokens: 8 },
        'bert-size': { batches: [{ batch: 16, warmup: 1, reps: 2 }], kernelRows: 16, kernelReps: 2, referenceTokens: 2 },
      },
    };
  }
  // On SwiftShader one BERT-sized token costs ~40 ms of distance work, so its 1024 batch (~40 s a call)
  // gets no separate warm-up: the 256 batch has compiled every pipeline already, and the per-kernel call
  // that precedes the timed ones absorbs the scratch-buffer growth.
  return {
    quick,
    seed: 2305,
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
  };
}

/** Largest number of tokens any case of a table needs. */
export const tokensNeeded = (p: BenchPlan['tables']['use-lite']) =>
  Math.max(p.kernelRows, p.referenceTokens, ...p.batches.map((b) => b.batch));
