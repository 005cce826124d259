import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseExperimentSpec as parseAnySpec, SCHEMA_VERSION, SpecError, type PrivatizeExperimentSpec } from '../../src/experiments/schema';

/** Every spec here is a privatize spec (the only kind version 1 had): narrowed to it. */
const parseExperimentSpec = (raw: unknown) => parseAnySpec(raw) as PrivatizeExperimentSpec;

const examples = new URL('../../examples/', import.meta.url);

describe('schema migrations', () => {
  it('reads every example spec file (written for schema version 1) as the current version', () => {
    const files = readdirSync(examples).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const raw = JSON.parse(readFileSync(new URL(f, examples), 'utf8'));
      // Newer examples (train and compare specs) are written for the current version.
      if (raw.schemaVersion !== 1) continue;
      const spec = parseExperimentSpec(raw);
      expect(spec.schemaVersion).toBe(SCHEMA_VERSION);
      expect(spec.seeds).toEqual([raw.seed]);
      expect(spec.etas).toEqual(raw.etas);
    }
  });

  it('moves v1 `seed` into v2 `seeds` and keeps every other field', () => {
    const v1 = {
      schemaVersion: 1, kind: 'privatize', name: 'old', corpus: { kind: 'inline', texts: ['a b c'] }, etas: [5, 50], seed: 42,
      sampleSize: 3, draws: 2, attacks: { bayes: { enabled: false } },
    };
    expect(parseExperimentSpec(v1)).toEqual({
      schemaVersion: 2, kind: 'privatize', name: 'old', model: { id: 'use-lite' }, mechanism: { name: 'dchi' },
      corpus: { kind: 'inline', texts: ['a b c'] }, etas: [5, 50], seeds: [42], sampleSize: 3, draws: 2,
      attacks: { bayes: { enabled: false, candidates: 8, draws: 32, observations: 64 } },
    });
  });

  it('names problems of an old file in its own terms', () => {
    const bad = { schemaVersion: 1, kind: 'privatize', corpus: { kind: 'bundled' }, etas: [-1], seed: 1.5 };
    expect(() => parseExperimentSpec(bad)).toThrow(SpecError);
    expect(() => parseExperimentSpec(bad)).toThrow(/schema version 1[\s\S]*etas\.0[\s\S]*seed\b/);
    // v1 never had `seeds`.
    expect(() => parseExperimentSpec({ schemaVersion: 1, kind: 'privatize', corpus: { kind: 'bundled' }, etas: [1], seeds: [1] })).toThrow('seeds');
  });

  it('a v1 spec that is valid in v1 but breaks a v2 rule is refused with the v2 rule', () => {
    expect(() => parseExperimentSpec({ schemaVersion: 1, kind: 'privatize', corpus: { kind: 'bundled' }, etas: [5, 5], seed: 1 })).toThrow('each η may appear once');
  });

  it.each([[null], [[]], ['x'], [{ schemaVersion: null }], [{ schemaVersion: 1.5 }], [{ schemaVersion: -1 }], [{ schemaVersion: 'x'.repeat(10_000) }]])(
    'refuses %j with a SpecError',
    (input) => {
      expect(() => parseExperimentSpec(input)).toThrow(SpecError);
    },
  );

  it('keeps error messages short for absurd version values', () => {
    try {
      parseExperimentSpec({ schemaVersion: 'x'.repeat(10_000) });
    } catch (e) {
      expect((e as Error).message.length).toBeLessThan(400);
    }
  });
});

describe('vary (sweep conditions)', () => {
  const base = { schemaVersion: 2, kind: 'privatize', corpus: { kind: 'bundled' }, etas: [10], seeds: [1] };

  it('accepts a sweepable field with values that fit it', () => {
    expect(parseExperimentSpec({ ...base, vary: { field: 'draws', values: [1, 4] } }).vary).toEqual({ field: 'draws', values: [1, 4] });
    expect(parseExperimentSpec({ ...base, vary: { field: 'attacks.bayes.enabled', values: [true, false] } }).vary?.values).toEqual([true, false]);
  });

  it.each([
    [{ field: 'etas', values: [1] }, 'vary.field'],
    [{ field: 'seeds', values: [1] }, 'vary.field'],
    [{ field: 'nope', values: [1] }, 'vary.field'],
    [{ field: 'draws', values: [0] }, 'vary.values.0'],
    [{ field: 'draws', values: ['4'] }, 'vary.values.0'],
    [{ field: 'draws', values: [2, 2] }, 'vary.values'],
    [{ field: 'draws', values: [] }, 'vary.values'],
  ])('refuses vary %j, naming %s', (vary, path) => {
    expect(() => parseExperimentSpec({ ...base, vary })).toThrow(path);
  });
});
