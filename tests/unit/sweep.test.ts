import { describe, expect, it } from 'vitest';
import { parseExperimentSpec } from '../../src/experiments/schema';
import { canonicalJson, conditionHash, specHash } from '../../src/experiments/specHash';
import type { PrivatizeExperimentSpec } from '../../src/experiments/schema';
import { expandSweep as expandAny, MAX_RUNS_PER_SWEEP, runCount, singleSeed } from '../../src/experiments/sweep';
import { spec } from './runFixtures';

/** The specs here are privatize specs, and so are their runs'. */
const expandSweep = (s: PrivatizeExperimentSpec) => expandAny(s).map((r) => ({ ...r, spec: r.spec as PrivatizeExperimentSpec }));

describe('sweep expansion', () => {
  it('3 η × 2 seeds: two runs, each with all three η values and one seed', () => {
    const runs = expandSweep(spec({ seeds: [1, 2] }));
    expect(runs).toHaveLength(2);
    expect(runs.map((r) => r.spec.seeds)).toEqual([[1], [2]]);
    expect(runs.map((r) => r.seed)).toEqual([1, 2]);
    for (const r of runs) {
      expect(r.spec.etas).toEqual([5, 50, 500]);
      expect(r.spec.vary).toBeUndefined();
      expect(parseExperimentSpec(r.spec)).toEqual(r.spec);
      expect(singleSeed(r.spec)).toBe(r.seed);
    }
    expect(runs[0].label).toBe('tiny · seed 1');
  });

  it('conditions × seeds, conditions outermost, with the value set in each run', () => {
    const s = spec({ seeds: [1, 2, 3], vary: { field: 'attacks.bayes.enabled', values: [false, true] } });
    expect(runCount(s)).toBe(6);
    const runs = expandSweep(s);
    expect(runs.map((r) => [r.condition?.value, r.seed])).toEqual([[false, 1], [false, 2], [false, 3], [true, 1], [true, 2], [true, 3]]);
    expect(runs[3].spec.attacks.bayes.enabled).toBe(true);
    expect(runs[0].spec.attacks.bayes.enabled).toBe(false);
    expect(runs[4].label).toBe('tiny · attacks.bayes.enabled = true · seed 2');
  });

  it('a single run is one run', () => {
    const runs = expandSweep(spec());
    expect(runs).toHaveLength(1);
    expect(runs[0].condition).toBeNull();
  });

  it('refuses absurd sweeps and asks single-run code for a single seed', () => {
    const seeds = Array.from({ length: 32 }, (_, i) => i);
    expect(() => expandSweep(spec({ seeds, vary: { field: 'draws', values: [1, 2, 3, 4, 5] } }))).toThrow(`at most ${MAX_RUNS_PER_SWEEP}`);
    expect(() => singleSeed(spec({ seeds: [1, 2] }))).toThrow('sweep of 2 runs');
  });
});

describe('spec hashes', () => {
  it('do not depend on key order or on how defaults were written', async () => {
    const a = spec();
    const b = parseExperimentSpec({ attacks: { bayes: { enabled: false } }, draws: 1, sampleSize: 5, seeds: [1], etas: [5, 50, 500], corpus: { texts: ['a good film', 'a dull film', 'loved it'], kind: 'inline' }, name: 'tiny', kind: 'privatize', schemaVersion: 2, model: { id: 'use-lite' } });
    expect(await specHash(a)).toBe(await specHash(b));
    expect(await specHash(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(await specHash(spec({ draws: 2 }))).not.toBe(await specHash(a));
  });

  it('condition hashes group seeds (and names) together', async () => {
    const [r1, r2] = expandSweep(spec({ seeds: [1, 2] }));
    expect(await specHash(r1.spec)).not.toBe(await specHash(r2.spec));
    expect(await conditionHash(r1.spec)).toBe(await conditionHash(r2.spec));
    expect(await conditionHash(spec({ name: 'other' }))).toBe(await conditionHash(spec()));
    expect(await conditionHash(spec({ draws: 3 }))).not.toBe(await conditionHash(spec()));
  });

  it('canonical JSON sorts keys at every level', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { f: 1, e: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"e":2,"f":1}]},"b":1}');
  });
});
