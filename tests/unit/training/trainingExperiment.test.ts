import { describe, expect, it } from 'vitest';
import { parseExperimentSpec, type CompareExperimentSpec, type TrainExperimentSpec } from '../../../src/experiments/schema';
import { compareCells, compareTable, splitForSeed, type CompareCell, type TrainingData } from '../../../src/experiments/trainingExperiment';
import { expandSweep, runCount } from '../../../src/experiments/sweep';
import type { TrainResult } from '../../../src/training/trainTypes';

const compare = parseExperimentSpec({
  schemaVersion: 2,
  kind: 'compare',
  data: { train: { kind: 'bundled' }, trainSize: 50, devSize: 20 },
  seeds: [1, 2],
  conditions: ['clean-prompt-tuning', 'rapt', 'linear-probe'],
  etas: [10, 20],
}) as CompareExperimentSpec;

function data(n: number, withDev: boolean): TrainingData {
  const examples = Array.from({ length: n }, (_, i) => ({ text: `text ${i}`, label: i % 2 }));
  const dataset = { examples, labelNames: ['neg', 'pos'], classCounts: [n / 2, n / 2], rowOf: examples.map((_, i) => i + 2), badRows: [] };
  return { train: dataset, trainName: 'train.tsv', dev: withDev ? { ...dataset, examples: examples.slice(0, 30) } : null, devName: withDev ? 'dev.tsv' : 'hold-out' };
}

describe('train and compare specs', () => {
  it('fill the documented defaults and refuse bad values with their paths', () => {
    const t = parseExperimentSpec({ schemaVersion: 2, kind: 'train', data: { train: { kind: 'bundled' } }, seeds: [3] }) as TrainExperimentSpec;
    expect(t.condition).toBe('rapt');
    expect(t.prompt.length).toBe(10);
    expect(t.rapt).toEqual({ plainTokens: 8, lambda: 1, width: 128, targetVocab: null });
    expect(t.training.batchSize).toBe(16);
    expect(() => parseExperimentSpec({ schemaVersion: 2, kind: 'train', data: { train: { kind: 'bundled' } }, seeds: [3], condition: 'magic', eta: -1 })).toThrow(/condition[\s\S]*eta/);
    expect(() => parseExperimentSpec({ ...compare, conditions: ['rapt', 'rapt'] })).toThrow(/each condition may appear once/);
  });

  it('a compare experiment is one run whose cells cover condition × η × seed (clean ones once per seed)', () => {
    expect(runCount(compare)).toBe(1);
    expect(expandSweep(compare)).toHaveLength(1);
    const cells = compareCells(compare);
    expect(cells.map((c) => `${c.seed}:${c.condition}:${c.eta}`)).toEqual([
      '1:clean-prompt-tuning:null', '1:rapt:10', '1:rapt:20', '1:linear-probe:null',
      '2:clean-prompt-tuning:null', '2:rapt:10', '2:rapt:20', '2:linear-probe:null',
    ]);
  });

  it('a train spec with several seeds expands into one run per seed', () => {
    const t = parseExperimentSpec({ schemaVersion: 2, kind: 'train', data: { train: { kind: 'bundled' } }, seeds: [3, 4] });
    expect(expandSweep(t).map((r) => r.spec.seeds)).toEqual([[3], [4]]);
  });

  it('splits are seeded: the same seed gives the same subset, the hold-out is the same for every seed', () => {
    const d = data(200, false);
    const a = splitForSeed(compare, d, 1);
    const b = splitForSeed(compare, d, 1);
    const c = splitForSeed(compare, d, 2);
    expect(a.train).toEqual(b.train);
    expect(a.train).not.toEqual(c.train);
    expect(a.dev).toEqual(c.dev);
    expect(a.train).toHaveLength(50);
    expect(a.dev).toHaveLength(20);
    const held = new Set(a.dev.map((e) => e.text));
    expect(a.train.some((e) => held.has(e.text))).toBe(false);
    const withDev = splitForSeed(compare, data(200, true), 1);
    expect(withDev.dev).toHaveLength(20);
    expect(withDev.summary.dev.name).toBe('dev.tsv');
    expect(() => splitForSeed(compare, data(20, false), 1)).toThrow(/too few/);
  });

  it('the compare table has mean, sample std and range per (condition, η)', () => {
    const result = (accuracy: number, changed = 0) => ({ accuracy, changedFraction: changed }) as TrainResult;
    const cells: CompareCell[] = [
      { condition: 'rapt', eta: 10, seed: 1, result: result(0.6, 0.9) },
      { condition: 'rapt', eta: 10, seed: 2, result: result(0.8, 0.7) },
      { condition: 'linear-probe', eta: null, seed: 1, result: result(0.7) },
    ];
    const table = compareTable(cells);
    expect(table).toHaveLength(2);
    expect(table[0]).toMatchObject({ condition: 'rapt', eta: 10, accuracies: [0.6, 0.8], min: 0.6, max: 0.8 });
    expect(table[0].mean).toBeCloseTo(0.7, 12);
    expect(table[0].std).toBeCloseTo(Math.sqrt(0.02), 12);
    expect(table[0].changedFraction).toBeCloseTo(0.8, 12);
    expect(table[1]).toMatchObject({ condition: 'linear-probe', eta: null, std: 0 });
  });
});
