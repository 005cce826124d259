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
        'use-lite': { batches: [{ batch: 64, reps: 2 }], warmup: 1, kernelRows: 64, kernelReps: 2, referenceTokens: 8 },
        'bert-size': { batches: [{ batch: 16, reps: 2 }], warmup: 1, kernelRows: 16, kernelReps: 2, referenceTokens: 2 },
      },
    };
  }
  return {
    quick,
    seed: 2305,
    tables: {
      'use-lite': {
        batches: [
          { batch: 256, reps: 5 },
          { batch: 1024, reps: 3 },
        ],
        warmup: 1,
        kernelRows: 1024,
        kernelReps: 3,
        referenceTokens: 64,
      },
      'bert-size': {
        batches: [
          { batch: 256, reps: 3 },
          { batch: 1024, reps: 1 },
        ],
        warmup: 1,
        kernelRows: 256,
        kernelReps: 2,
        referenceTokens: 8,
      },
    },
  };
}

/** Largest number of tokens any case of a table needs. */
export const tokensNeeded = (p: BenchPlan['tables']['use-lite']) =>
  Math.max(p.kernelRows, p.referenceTokens, ...p.batches.map((b) => b.batch));
