import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  labelledExamples,
  loadSst2File,
  loadSst2Tsv,
  MAX_INFERRED_CLASSES,
  parseLabelledFile,
  SST2_CLASS_NAMES,
} from '../../../src/data/labelledDataset';
import { DatasetError, parseTable } from '../../../src/data/tabular';

const devText = readFileSync(new URL('../../../../shared/data/sst2/dev.tsv', import.meta.url), 'utf8');

describe('SST-2 dev (../shared/data/sst2/dev.tsv)', () => {
  const ds = loadSst2Tsv(devText);

  it('reads all 872 examples with labels 0/1 and no bad rows', () => {
    expect(ds.examples).toHaveLength(872);
    expect(ds.labelNames).toEqual(['0', '1']);
    expect(ds.classCounts).toEqual([428, 444]);
    expect(ds.badRows).toEqual([]);
    expect(SST2_CLASS_NAMES).toEqual(['negative', 'positive']);
  });

  it('keeps texts exactly as stored, with their file lines', () => {
    expect(ds.examples[0]).toEqual({ text: "it 's a charming and often affecting journey . ", label: 1 });
    expect(ds.examples[1]).toEqual({ text: 'unflinchingly bleak and desperate ', label: 0 });
    expect(ds.rowOf.slice(0, 3)).toEqual([2, 3, 4]);
    expect(ds.rowOf.at(-1)).toBe(873);
  });

  it('loads the same from a File/Blob (browser path)', async () => {
    const fromFile = await loadSst2File(new Blob([devText], { type: 'text/tab-separated-values' }));
    expect(fromFile.examples).toEqual(ds.examples);
    expect((await loadSst2File(new Blob([devText]), { maxRows: 10 })).examples).toHaveLength(10);
  });
});

describe('hostile inputs', () => {
  it('reports empty texts, empty/missing labels and unknown labels as bad rows, keeps the rest', () => {
    const tsv = ['sentence\tlabel', 'good film \t1', ' \t0', 'no label\t', 'odd label\tx', 'bad film\t0', 'too\tmany\tfields', 'float\t1.0', '', 'fine\t 1 '].join('\n');
    const ds = loadSst2Tsv(tsv);
    expect(ds.examples).toEqual([
      { text: 'good film ', label: 1 },
      { text: 'bad film', label: 0 },
      { text: 'fine', label: 1 },
    ]);
    expect(ds.rowOf).toEqual([2, 6, 10]);
    expect(ds.classCounts).toEqual([1, 2]);
    expect(ds.badRows).toEqual([
      { row: 3, reason: 'empty "sentence"' },
      { row: 4, reason: 'empty "label"' },
      { row: 5, reason: 'unknown label "x" (expected "0", "1")' },
      { row: 7, reason: 'expected 2 fields, found 3' },
      { row: 8, reason: 'unknown label "1.0" (expected "0", "1")' },
    ]);
  });

  it('throws a DatasetError naming the columns when a column is missing', () => {
    expect(() => loadSst2Tsv('index\tsentence\n0\thello\n')).toThrow(DatasetError);
    expect(() => loadSst2Tsv('index\tsentence\n0\thello\n')).toThrow(/no column "label"; available columns: "index", "sentence"/);
    expect(() => loadSst2Tsv('text\tlabel\nhello\t1\n')).toThrow(/no column "sentence"/);
  });

  it('throws when nothing usable remains, listing the first bad rows', () => {
    expect(() => loadSst2Tsv('sentence\tlabel\na\tx\nb\ty\n')).toThrow(/no usable labelled examples \(2 bad rows: line 2: unknown label "x"/);
    expect(() => loadSst2Tsv('sentence\tlabel\n')).toThrow(DatasetError);
    expect(() => loadSst2Tsv('')).toThrow(DatasetError);
  });

  it('reports missing keys in JSON Lines rows and shortens long unknown labels', () => {
    const jsonl = ['{"text":"yes","label":"pos"}', '{"text":"no label"}', '{"label":"neg"}', `{"text":"t","label":"${'z'.repeat(100)}"}`, 'not json'].join('\n');
    const ds = parseLabelledFile(jsonl, 'jsonl', { textColumn: 'text', labelColumn: 'label', labels: ['neg', 'pos'] });
    expect(ds.examples).toEqual([{ text: 'yes', label: 1 }]);
    expect(ds.badRows.map((b) => b.row)).toEqual([2, 3, 4, 5]);
    expect(ds.badRows[0].reason).toBe('missing "label"');
    expect(ds.badRows[1].reason).toBe('missing "text"');
    expect(ds.badRows[2].reason).toBe(`unknown label "${'z'.repeat(40)}…" (expected "neg", "pos")`);
    expect(ds.badRows[3].reason).toMatch(/invalid JSON/);
  });

  it('rejects a bad label list', () => {
    const table = parseTable('t,l\na,1\n', 'csv');
    expect(() => labelledExamples(table, { textColumn: 't', labelColumn: 'l', labels: [] })).toThrow(/empty/);
    expect(() => labelledExamples(table, { textColumn: 't', labelColumn: 'l', labels: ['1', '1 '] })).toThrow(/distinct/);
  });
});

describe('inferred labels', () => {
  it('orders integer labels numerically, others by code point', () => {
    const numeric = parseLabelledFile('t,l\na,10\nb,2\nc,-1\nd,2\n', 'csv', { textColumn: 't', labelColumn: 'l' });
    expect(numeric.labelNames).toEqual(['-1', '2', '10']);
    expect(numeric.examples.map((e) => e.label)).toEqual([2, 1, 0, 1]);
    expect(numeric.classCounts).toEqual([1, 2, 1]);
    const named = parseLabelledFile('t,l\na,positive\nb,negative\nc,neutral\n', 'csv', { textColumn: 't', labelColumn: 'l' });
    expect(named.labelNames).toEqual(['negative', 'neutral', 'positive']);
  });

  it('refuses implausibly many classes (probably the wrong column)', () => {
    const rows = Array.from({ length: MAX_INFERRED_CLASSES + 1 }, (_, i) => `text ${i},text ${i}`).join('\n');
    expect(() => parseLabelledFile(`t,l\n${rows}\n`, 'csv', { textColumn: 't', labelColumn: 'l' })).toThrow(/101 distinct values/);
  });
});
