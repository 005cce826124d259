import { describe, expect, it } from 'vitest';
import { experimentSpecSchema, parseExperimentSpec, privatizeExperimentSchema, SWEEPABLE_FIELDS } from '../../src/experiments/schema';
import { deepEqual, describeField, flatten, getAt, setAt, walkFields, withoutDefaults, type FieldNode } from '../../src/experiments/specFields';

const tree = describeField(privatizeExperimentSchema);

describe('the schema walk (what the builder form renders)', () => {
  it('describes every field with a title, and the widgets the form needs', () => {
    const paths: string[] = [];
    walkFields(tree, (n) => {
      paths.push(n.path);
      expect(n.meta.title, n.path).toBeTruthy();
    });
    expect(paths).toEqual(expect.arrayContaining(['name', 'corpus', 'etas', 'seeds', 'sampleSize', 'draws', 'attacks.bayes.enabled', 'attacks.bayes.candidates', 'vary']));
    const byPath = new Map<string, FieldNode>();
    walkFields(tree, (n) => byPath.set(n.path, n));
    const etas = byPath.get('etas')!;
    expect(etas).toMatchObject({ type: 'array', minItems: 1, maxItems: 64, meta: { widget: 'list' } });
    expect(etas.type === 'array' && etas.element).toMatchObject({ type: 'number', min: 0, minExclusive: true, integer: false });
    expect(byPath.get('draws')).toMatchObject({ type: 'number', integer: true, min: 1, max: 1000, defaultValue: 8, optional: true });
    expect(byPath.get('schemaVersion')).toMatchObject({ type: 'literal', value: 2, meta: { hidden: true } });
    const corpus = byPath.get('corpus')!;
    expect(corpus.type).toBe('union');
    if (corpus.type === 'union') {
      expect(corpus.discriminator).toBe('kind');
      expect(corpus.options.map((o) => o.value)).toEqual(['bundled', 'file', 'inline']);
      const inline = corpus.options[2].node.fields.find((f) => f.key === 'texts');
      expect(inline).toMatchObject({ type: 'array', path: 'corpus.texts', meta: { widget: 'lines' } });
    }
  });

  it('finds the sweepable fields by walking the schema', () => {
    expect(SWEEPABLE_FIELDS).toEqual(['sampleSize', 'draws', 'attacks.bayes.enabled', 'attacks.bayes.candidates', 'attacks.bayes.draws', 'attacks.bayes.observations']);
  });

  it('describes the whole union of experiment kinds', () => {
    const node = describeField(experimentSpecSchema);
    expect(node.type).toBe('union');
  });
});

describe('withoutDefaults (the compact form in share links)', () => {
  const specs = [
    { schemaVersion: 2, kind: 'privatize', corpus: { kind: 'bundled' }, etas: [10], seeds: [1] },
    { schemaVersion: 2, kind: 'privatize', name: 'x', corpus: { kind: 'file', path: 'a.tsv', textColumn: 'sentence', format: 'tsv' }, etas: [1, 2], seeds: [3, 4], draws: 8, sampleSize: 7, attacks: { bayes: { enabled: false } } },
    { schemaVersion: 2, kind: 'privatize', corpus: { kind: 'inline', texts: ['a', 'b'] }, etas: [3], seeds: [0], attacks: { bayes: { enabled: true, candidates: 3, draws: 32, observations: 64 } }, vary: { field: 'draws', values: [1, 2] } },
  ];
  it.each(specs)('parses back to the same spec: %j', (raw) => {
    const spec = parseExperimentSpec(raw);
    const compact = withoutDefaults(tree, spec);
    expect(parseExperimentSpec(compact)).toEqual(spec);
    expect(JSON.stringify(compact).length).toBeLessThanOrEqual(JSON.stringify(spec).length);
  });

  it('drops the defaults', () => {
    const spec = parseExperimentSpec(specs[0]);
    expect(withoutDefaults(tree, spec)).toEqual({ schemaVersion: 2, kind: 'privatize', corpus: { kind: 'bundled' }, etas: [10], seeds: [1] });
    const partly = parseExperimentSpec({ ...specs[0], attacks: { bayes: { enabled: false } } });
    expect(withoutDefaults(tree, partly)).toMatchObject({ attacks: { bayes: { enabled: false } } });
  });
});

describe('paths and flattening', () => {
  it('gets and sets nested values without touching the original', () => {
    const a = { x: { y: 1 }, z: 2 };
    const b = setAt(a, 'x.y', 5);
    expect(b).toEqual({ x: { y: 5 }, z: 2 });
    expect(a.x.y).toBe(1);
    expect(getAt(b, 'x.y')).toBe(5);
    expect(getAt(b, 'x.q')).toBeUndefined();
    expect(getAt(b, '__proto__')).toBeUndefined();
    expect(setAt(b, 'z', undefined)).toEqual({ x: { y: 5 } });
    expect(setAt({}, 'a.b.c', 1)).toEqual({ a: { b: { c: 1 } } });
  });

  it('flattens objects to dotted keys and lists to JSON', () => {
    expect(flatten({ a: { b: 1, c: [1, 2] }, d: 'x', e: null, f: true }, 'spec')).toEqual({ 'spec.a.b': 1, 'spec.a.c': '[1,2]', 'spec.d': 'x', 'spec.e': null, 'spec.f': true });
  });

  it('compares deeply', () => {
    expect(deepEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true);
    expect(deepEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(deepEqual([1], { 0: 1 })).toBe(false);
  });
});
