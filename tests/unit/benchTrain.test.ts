// The benchmark's train section, the parts that need no GPU: its plan (quick and full), the bridge that feeds
// our trainer exactly what the jax-js and TF.js steps get (trainerAdapter.ts), the per-kernel grouping of
// pipeline labels, and the printed table.
import { describe, expect, it } from 'vitest';
import { benchPlan, quickTrainCase, trainPlan } from '../../src/bench/plan';
import { formatResults, relCell } from '../../src/bench/report';
import { summarize } from '../../src/bench/timing';
import { trainCasesOf, trainKernelGroup } from '../../src/bench/trainSection';
import { caseFlops, trainCaseBatch, TRAIN_STEP_CASES } from '../../src/bench/training/trainCases';
import {
  lossesFromMetrics,
  maxRelLossDiff,
  promptInitIds,
  trainerBatchOf,
  trainerOptimizerOf,
  trainerPaddedLength,
  trainerParamsOf,
  trainerShapeOf,
} from '../../src/bench/training/trainerAdapter';
import { DEFAULT_ADAMW } from '../../src/bench/training/trainStepSetup';
import { BENCH_SECTIONS, type BenchResults, type BenchRow } from '../../src/bench/types';

/** A stand-in corpus: ids 10..7999 in a scrambled but fixed order. */
const corpus = Array.from({ length: 6000 }, (_, i) => 10 + ((i * 7919) % 7990));

describe('train plan', () => {
  it('is a section of its own, selectable with --only', () => {
    expect(BENCH_SECTIONS).toContain('train');
    expect(benchPlan(false).sections).toContain('train');
    expect(benchPlan(true, 'train').sections).toEqual(['train']);
  });

  it('runs every demo case in full and only the demo case, one step each, in --quick', () => {
    const full = trainPlan(false);
    expect(full.cases).toEqual(TRAIN_STEP_CASES.map((c) => c.name));
    expect(full.tf).toBe(1);
    expect(full.jax).toBeGreaterThanOrEqual(2);
    expect(full.ours.reps).toBeGreaterThanOrEqual(10);
    const quick = trainPlan(true);
    expect(quick.cases).toEqual([quickTrainCase()]);
    expect(quickTrainCase()).toBe('RAPT 16×32');
    expect([quick.ours.reps, quick.jax, quick.tf]).toEqual([1, 1, 1]);
    expect(benchPlan(true).train).toEqual(quick);
    expect(trainCasesOf(full).map((c) => c.name)).toEqual(full.cases);
    expect(() => trainCasesOf({ ...quick, cases: ['RAPT 99×99'] })).toThrow(/unknown training case/);
  });

  it('has the demo settings: batch 16, N = 10, m = 8 or 0, T = 8000, c = 128, S = 32 and 48', () => {
    const byName = Object.fromEntries(TRAIN_STEP_CASES.map((c) => [c.name, c]));
    for (const [name, m, S] of [['RAPT 16×32', 8, 32], ['RAPT 16×48', 8, 48], ['prompt tuning 16×32', 0, 32]] as const) {
      const c = byName[name];
      expect([c.batch, c.length, c.opts.promptTokens, c.opts.plainTokens, c.opts.reconVocab, c.opts.reconRank]).toEqual([16, S, 10, m, 8000, 128]);
    }
  });
});

describe('trainer adapter', () => {
  it('gives our trainer the peers\' batch: same rows per example, labels, targets and padded length', () => {
    for (const c of TRAIN_STEP_CASES) {
      for (const index of [0, 3]) {
        const peerBatch = trainCaseBatch(c, corpus, index);
        const ours = trainerBatchOf(peerBatch, c.opts);
        const { promptTokens: N, plainTokens: m } = c.opts;
        expect(ours.ids).toHaveLength(c.batch);
        expect(ours.labels).toEqual(Array.from(peerBatch.labels));
        ours.ids.forEach((ids, b) => {
          expect(ids.length).toBe(peerBatch.lengths[b] - N);
          expect(Array.from(ids)).toEqual(Array.from(peerBatch.ids.subarray(b * c.length + N, b * c.length + peerBatch.lengths[b])));
          if (m > 0) {
            expect(Array.from(ours.plainTargets![b])).toEqual(Array.from(ids).slice(0, m));
            expect(Array.from(ours.plainTargets![b])).toEqual(Array.from(peerBatch.plainTargets.subarray(b * m, (b + 1) * m)));
          }
        });
        if (m === 0) expect(ours.plainTargets).toBeUndefined();
        // Same rows computed: the trainer pads to exactly the peers' S.
        expect(trainerPaddedLength(ours, c.opts)).toBe(c.length);
        // Real padding: texts of several lengths in every batch.
        expect(new Set(peerBatch.lengths).size).toBeGreaterThan(1);
        expect(caseFlops(c, peerBatch).usefulRowFraction).toBeLessThan(1);
      }
    }
  });

  it('maps shape, optimiser and parameters by name, as copies', () => {
    const c = TRAIN_STEP_CASES[0];
    expect(trainerShapeOf(c.opts)).toEqual({ promptLength: 10, plainLength: 8, classes: 2, reconstructionWidth: 128, targetVocab: 8000, lambda: 1 });
    expect(trainerOptimizerOf(DEFAULT_ADAMW)).toEqual({ beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1 });
    const t = { prompt: new Float32Array([1, 2]), taskWeight: new Float32Array([3]), taskBias: new Float32Array([4]), rec: { w2: new Float32Array([5]), w1: new Float32Array([6, 7]) } };
    const p = trainerParamsOf(t);
    expect(Array.from(p.recW1)).toEqual([6, 7]);
    expect(Array.from(p.taskW)).toEqual([3]);
    p.prompt[0] = 9;
    expect(t.prompt[0]).toBe(1);
    const pt = trainerParamsOf({ ...t, rec: null });
    expect([pt.recW2.length, pt.recW1.length]).toEqual([0, 0]);
  });

  it('turns metric sums into mean losses and compares them relatively', () => {
    const metrics = { taskLossSum: 16 * 0.7, recLossSum: 16 * 8 * 9, taskCorrect: 0, recCorrect: 0, gradNorm: 1 };
    expect(lossesFromMetrics(metrics, 16, 8)).toEqual({ lossTask: expect.closeTo(0.7, 12), lossRec: expect.closeTo(9, 12) });
    expect(lossesFromMetrics(metrics, 16, 0).lossRec).toBe(0);
    expect(lossesFromMetrics(metrics, 8, 8, 2).lossTask).toBeCloseTo(0.7, 12);
    const ours = { lossTask: 0.5, lossRec: 9 };
    expect(maxRelLossDiff({ lossTask: 0.5005, lossRec: 9 }, ours, true)).toBeCloseTo(1e-3, 9);
    expect(maxRelLossDiff({ lossTask: 0.5, lossRec: 9.09 }, ours, true)).toBeCloseTo(1e-2, 9);
    expect(maxRelLossDiff({ lossTask: 0.5, lossRec: 123 }, ours, false)).toBe(0);
    expect(maxRelLossDiff({ lossTask: Number.NaN, lossRec: 9 }, ours, true)).toBe(Infinity);
    expect(maxRelLossDiff({ lossTask: 0.5, lossRec: 0 }, { lossTask: 0.5, lossRec: 0 }, true)).toBe(0);
  });

  it('takes the first distinct corpus ids for the prompt', () => {
    expect(promptInitIds([5, 5, 7, 5, 9, 7, 11], 3)).toEqual([5, 7, 9]);
    expect(() => promptInitIds([5, 5], 2)).toThrow(/distinct/);
  });
});

describe('per-kernel groups', () => {
  it('splits matmuls by their transpose constants', () => {
    expect(trainKernelGroup('transformer/matmul.wgsl#main#{"ACTIVATION":0,"HAS_BIAS":1,"HAS_RESIDUAL":0,"TRANSPOSE_B":0}')).toBe('matmul forward');
    expect(trainKernelGroup('transformer/matmulNoSubgroups.wgsl#main#{"ACTIVATION":0,"HAS_BIAS":0,"HAS_RESIDUAL":0,"TRANSPOSE_B":1}')).toBe('matmul dX = dY·Wᵀ');
    expect(trainKernelGroup('transformer/matmul.wgsl#main#{"ACTIVATION":0,"HAS_BIAS":0,"HAS_RESIDUAL":0,"TRANSPOSE_B":0,"TRANSPOSE_A":1}')).toBe('matmul dW = Xᵀ·dY');
    expect(trainKernelGroup('training/attentionBackwardUnaligned.wgsl#main#{}')).toBe('attention backward');
    expect(trainKernelGroup('transformer/attention.wgsl#main#{}')).toBe('attention');
    expect(trainKernelGroup('training/layerNormBackward.wgsl#main#{"RESIDUAL":1}')).toBe('layerNorm backward');
    expect(trainKernelGroup('transformer/layerNorm.wgsl#main#{}')).toBe('layerNorm');
    expect(trainKernelGroup('training/globalNorm.wgsl#clipScale#{}')).toBe('clip + AdamW');
    expect(trainKernelGroup('training/crossEntropy.wgsl#main#{}')).toBe('rest');
  });
});

describe('train table', () => {
  const row = (implementation: string, ms: number | null, firstStep?: BenchRow['firstStep'], table = 'RAPT 16×32'): BenchRow => ({
    section: 'train',
    implementation,
    table,
    shape: '16×32',
    batch: 16,
    tokensPerSecond: ms ? (16 * 32 * 1000) / ms : null,
    gflops: ms ? 10.5e9 / (ms * 1e6) : null,
    notes: ms ? 'median …' : 'FAILED — set-up: Error: no',
    timing: ms ? summarize([ms, ms * 1.1]) : null,
    detail: {},
    ...(firstStep ? { firstStep } : {}),
  });
  const results: BenchResults = {
    kind: 'rapt-lab-bench',
    schemaVersion: 2,
    startedAt: '2026-11-22T12:00:00.000Z',
    finishedAt: '2026-11-22T12:05:00.000Z',
    seconds: 300,
    appVersion: '0.1.0',
    userAgent: 'test',
    adapter: { vendor: 'google', architecture: 'swiftshader', device: '', description: '', isFallbackAdapter: true, isSoftware: true, features: [], limits: {} },
    timestampQuery: true,
    sections: ['train'],
    peers: { loaded: {}, adjustments: [], failures: {} },
    referenceThread: '',
    plan: benchPlan(true, 'train'),
    tables: [],
    models: [],
    train: {
      model: 'bundled USE-Lite',
      cases: [{ name: 'RAPT 16×32', batch: 16, length: 32, promptTokens: 10, plainTokens: 8, classes: 2, reconVocab: 8000, reconRank: 128, lambda: 1, why: '' }],
      optimizer: { lr: 0.001 },
      init: 'formulas',
      timing: 'wall',
      flops: 'matrix products',
      adjustments: ['TF.js: a flag, because'],
    },
    rows: [
      row('ours (WGSL UseLiteTrainer)', 4000, { lossTask: 0.6931472, lossRec: 8.987654321, maxRelDiffVsOurs: null }),
      row('ours, forward only (trainer.predict)', 1500),
      row('jax-js (jit + valueAndGrad, webgpu)', 26000, { lossTask: 0.6931481, lossRec: 8.987655, maxRelDiffVsOurs: 4.3e-7 }),
      row('TF.js webgpu (variableGrads)', null),
      row('ours (WGSL UseLiteTrainer)', 3000, { lossTask: 0.7, lossRec: null, maxRelDiffVsOurs: null }, 'prompt tuning 16×32'),
    ],
  };

  it('prints one row per implementation with step time, examples/s, GFLOP/s and the first-step losses', () => {
    const text = formatResults(results);
    expect(text).toContain('## train');
    expect(text).toContain('cases: RAPT 16×32: N=10, m=8, T=8000, c=128, λ=1, 2 classes');
    expect(text).toContain('adjustment: TF.js: a flag, because');
    const lines = text.split('\n');
    const header = lines.find((l) => l.startsWith('| case'))!;
    expect(header.split('|').map((x) => x.trim()).filter(Boolean)).toEqual([
      'case', 'implementation', 'median ms', 'examples/s', 'GFLOP/s', 'loss task', 'loss rec', 'max rel Δ vs ours', 'load', 'notes',
    ]);
    const cells = (name: string, table = 'RAPT 16×32') => lines.find((l) => l.includes(name) && l.includes(table))!.split('|').map((x) => x.trim());
    const ours = cells('ours (WGSL UseLiteTrainer)');
    expect(ours.slice(3, 9)).toEqual(['4,200', '3.81', '2.63', '0.693147', '8.987654', '—']);
    const jax = cells('jax-js');
    expect(jax.slice(6, 9)).toEqual(['0.693148', '8.987655', '4.3e-7']);
    const tf = cells('TF.js');
    expect(tf[3]).toBe('—');
    expect(tf.at(-2)).toContain('FAILED');
    expect(cells('ours (WGSL UseLiteTrainer)', 'prompt tuning')[7]).toBe('—');
  });

  it('formats relative differences', () => {
    expect(relCell(0)).toBe('0');
    expect(relCell(null)).toBe('—');
    expect(relCell(1.234e-6)).toBe('1.2e-6');
  });
});
