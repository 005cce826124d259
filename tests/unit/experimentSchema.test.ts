import { describe, expect, it } from 'vitest';
import { parseExperimentSpec as parseAnySpec, SpecError, type PrivatizeExperimentSpec } from '../../src/experiments/schema';
import { sampleSentences } from '../../src/experiments/privatizeExperiment';

/** These cases are privatize specs: the parsed spec is narrowed to that kind. */
const parseExperimentSpec = (raw: unknown) => parseAnySpec(raw) as PrivatizeExperimentSpec;

const minimal = { schemaVersion: 2, kind: 'privatize', corpus: { kind: 'bundled' }, etas: [10, 100], seeds: [7] };

describe('experiment schema', () => {
  it('fills defaults for a minimal privatize spec', () => {
    const spec = parseExperimentSpec(minimal);
    expect(spec).toMatchObject({ model: { id: 'use-lite' }, mechanism: { name: 'dchi' }, sampleSize: 200, draws: 8 });
    expect(spec.attacks.bayes).toEqual({ enabled: true, candidates: 8, draws: 32, observations: 64 });
  });

  it('accepts file and inline corpora', () => {
    expect(parseExperimentSpec({ ...minimal, corpus: { kind: 'file', path: 'x.tsv', textColumn: 'sentence' } }).corpus).toEqual({
      kind: 'file', path: 'x.tsv', textColumn: 'sentence',
    });
    expect(parseExperimentSpec({ ...minimal, corpus: { kind: 'inline', texts: ['a b'] } }).corpus.kind).toBe('inline');
  });

  it.each([
    [{ ...minimal, etas: [] }, 'etas'],
    [{ ...minimal, etas: [0] }, 'etas.0'],
    [{ ...minimal, etas: [Infinity] }, 'etas.0'],
    [{ ...minimal, seeds: [-1] }, 'seeds.0'],
    [{ ...minimal, seeds: [2 ** 60] }, 'seeds.0'],
    [{ ...minimal, seeds: [] }, 'seeds'],
    [{ ...minimal, seeds: [1, 1] }, 'each seed may appear once'],
    [{ ...minimal, etas: [5, 5] }, 'each η may appear once'],
    [{ ...minimal, seed: 1 }, 'seed'],
    [{ ...minimal, draws: 0 }, 'draws'],
    [{ ...minimal, extra: 1 }, 'extra'],
    [{ ...minimal, corpus: { kind: 'file' } }, 'corpus.path'],
    [{ ...minimal, corpus: { kind: 'web', url: 'x' } }, 'corpus.kind'],
    [{ ...minimal, model: { id: 'gpt-5' } }, 'model.id'],
    [{ ...minimal, kind: 'attack' }, 'kind'],
    ['not an object', '(spec)'],
  ])('rejects %j, naming %s', (spec, path) => {
    expect(() => parseExperimentSpec(spec)).toThrow(SpecError);
    expect(() => parseExperimentSpec(spec)).toThrow(path);
  });

  it('refuses newer and never-released schema versions with a clear message', () => {
    expect(() => parseExperimentSpec({ ...minimal, schemaVersion: 3 })).toThrow('schema version 3');
    expect(() => parseExperimentSpec({ ...minimal, schemaVersion: 3 })).toThrow('newer RAPT Lab');
    expect(() => parseExperimentSpec({ ...minimal, schemaVersion: 0 })).toThrow('which no RAPT Lab release wrote');
    expect(() => parseExperimentSpec({ ...minimal, schemaVersion: '2' })).toThrow(SpecError);
  });
});

describe('sampleSentences', () => {
  const texts = Array.from({ length: 100 }, (_, i) => `sentence ${i}`);
  it('is seeded, keeps corpus order, and returns everything when the corpus is small', () => {
    const a = sampleSentences(texts, 10, 5);
    expect(sampleSentences(texts, 10, 5)).toEqual(a);
    expect(sampleSentences(texts, 10, 6)).not.toEqual(a);
    expect(a).toEqual([...a].sort((x, y) => Number(x.split(' ')[1]) - Number(y.split(' ')[1])));
    expect(new Set(a).size).toBe(10);
    expect(sampleSentences(texts.slice(0, 3), 10, 5)).toEqual(texts.slice(0, 3));
  });
});
