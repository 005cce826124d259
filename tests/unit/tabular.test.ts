import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DatasetError, MAX_TABLE_CHARS, detectFormat, parseTable, selectTexts } from '../../src/data/tabular';

describe('detectFormat', () => {
  it('maps known extensions case-insensitively', () => {
    expect(detectFormat('train.CSV')).toBe('csv');
    expect(detectFormat('dev.tsv')).toBe('tsv');
    expect(detectFormat('a.b.jsonl')).toBe('jsonl');
    expect(detectFormat('x.ndjson')).toBe('jsonl');
    expect(detectFormat('tweets_text.txt')).toBe('text');
  });

  it('refuses to guess for .json or no extension', () => {
    expect(detectFormat('data.json')).toBeNull();
    expect(detectFormat('README')).toBeNull();
  });
});

describe('parseTable csv', () => {
  it('handles quoted commas, doubled quotes and newlines inside quotes', () => {
    const csv = 'text,label\n"Hello, world",1\n"She said ""hi""",0\n"two\nlines",1\n';
    const table = parseTable(csv, 'csv');
    expect(table.columns).toEqual(['text', 'label']);
    expect(table.rows).toEqual([
      { text: 'Hello, world', label: '1' },
      { text: 'She said "hi"', label: '0' },
      { text: 'two\nlines', label: '1' },
    ]);
    expect(table.rowLines).toEqual([2, 3, 4]);
    expect(table.badRows).toEqual([]);
  });

  it('accepts CRLF records, keeps CRLF inside quotes, and strips a BOM', () => {
    const csv = '\ufefftext,label\r\n"a\r\nb",1\r\nplain,0';
    const table = parseTable(csv, 'csv');
    expect(table.columns).toEqual(['text', 'label']);
    expect(table.rows).toEqual([
      { text: 'a\r\nb', label: '1' },
      { text: 'plain', label: '0' },
    ]);
    expect(table.rowLines).toEqual([2, 4]);
  });

  it('keeps empty fields, including a trailing one, and an empty quoted field', () => {
    const table = parseTable('a,b,c\n,"",\nx,y,\n', 'csv');
    expect(table.rows).toEqual([
      { a: '', b: '', c: '' },
      { a: 'x', b: 'y', c: '' },
    ]);
  });

  it('treats stray quotes leniently like Python csv', () => {
    const table = parseTable('text,label\nit\'s 5" tall,1\n"quoted"tail,0\n', 'csv');
    expect(table.rows.map((row) => row.text)).toEqual(['it\'s 5" tall', 'quotedtail']);
  });

  it('reports rows with the wrong field count with their starting line', () => {
    const csv = 'text,label\ngood,1\n"multi\nline",1,extra\nshort\n\nfine,0\n';
    const table = parseTable(csv, 'csv');
    expect(table.rows).toEqual([
      { text: 'good', label: '1' },
      { text: 'fine', label: '0' },
    ]);
    expect(table.rowLines).toEqual([2, 7]);
    expect(table.badRows).toEqual([
      { line: 3, reason: 'expected 2 fields, found 3' },
      { line: 5, reason: 'expected 2 fields, found 1' },
    ]);
  });

  it('reports an unterminated quote as one bad row and keeps earlier rows', () => {
    const table = parseTable('text,label\nok,1\n"never closed,0\nmore,1\n', 'csv');
    expect(table.rows).toEqual([{ text: 'ok', label: '1' }]);
    expect(table.badRows).toEqual([{ line: 3, reason: 'unterminated quoted field (rest of file ignored)' }]);
  });

  it('names columns when there is no header, and dedupes header names', () => {
    expect(parseTable('a,1\nb,0', 'csv', { hasHeader: false }).columns).toEqual(['column1', 'column2']);
    expect(parseTable('x,x,,x\n1,2,3,4', 'csv').columns).toEqual(['x', 'x_2', 'column3', 'x_3']);
  });

  it('stops after maxRows good rows', () => {
    const table = parseTable('n\n1\n2\n3\n4\n', 'csv', { maxRows: 2 });
    expect(table.rows).toEqual([{ n: '1' }, { n: '2' }]);
  });

  it('throws DatasetError when nothing usable remains, naming the bad rows', () => {
    expect(() => parseTable('text,label\n', 'csv')).toThrow(DatasetError);
    expect(() => parseTable('a,b\n1,2,3\n', 'csv')).toThrow(/line 2: expected 2 fields, found 3/);
    expect(() => parseTable('', 'text')).toThrow(/no usable rows/);
  });

  it('rejects input over the size limit', () => {
    // A stand-in with only `length`: allocating a real 200 MB string would make the test slow for nothing.
    const huge = { length: MAX_TABLE_CHARS + 1, charCodeAt: () => 0 } as unknown as string;
    expect(() => parseTable(huge, 'csv')).toThrow(/file too large/);
  });
});

describe('parseTable tsv', () => {
  it('splits on tabs only and leaves quotes alone', () => {
    const table = parseTable('sentence\tlabel\r\n"quoted" , text \t1\r\nbad line\r\n', 'tsv');
    expect(table.rows).toEqual([{ sentence: '"quoted" , text ', label: '1' }]);
    expect(table.badRows).toEqual([{ line: 3, reason: 'expected 2 fields, found 1' }]);
  });
});

describe('parseTable jsonl', () => {
  it('stringifies values, unions columns and reports bad lines', () => {
    const jsonl = [
      '{"text": "good", "label": 1, "meta": {"a": [1]}}',
      '',
      '{"text": "no label", "flag": true, "gone": null}',
      '[1, 2]',
      '{not json',
      '"a string"',
      '{"text": "last", "label": "0"}',
    ].join('\n');
    const table = parseTable(jsonl, 'jsonl');
    expect(table.columns).toEqual(['text', 'label', 'meta', 'flag', 'gone']);
    expect(table.rows).toEqual([
      { text: 'good', label: '1', meta: '{"a":[1]}' },
      { text: 'no label', flag: 'true', gone: '' },
      { text: 'last', label: '0' },
    ]);
    expect(table.rowLines).toEqual([1, 3, 7]);
    expect(table.badRows.map((bad) => bad.line)).toEqual([4, 5, 6]);
    expect(table.badRows[0].reason).toBe('expected a JSON object, found an array');
    expect(table.badRows[1].reason).toMatch(/^invalid JSON/);
    expect(table.badRows[2].reason).toBe('expected a JSON object, found a string');
  });
});

describe('parseTable text', () => {
  it('makes one row per non-blank line, verbatim', () => {
    const table = parseTable('\ufefffirst tweet \r\n\r\n  \nsecond\n', 'text');
    expect(table.columns).toEqual(['text']);
    expect(table.rows).toEqual([{ text: 'first tweet ' }, { text: 'second' }]);
    expect(table.rowLines).toEqual([1, 4]);
  });
});

describe('selectTexts', () => {
  it('lists the available columns when one is missing', () => {
    const table = parseTable('sentence,label\nhi,1\n', 'csv');
    expect(() => selectTexts(table, { textColumn: 'text' })).toThrow(DatasetError);
    expect(() => selectTexts(table, { textColumn: 'text' })).toThrow(
      'no column "text"; available columns: "sentence", "label"',
    );
    expect(() => selectTexts(table, { textColumn: 'sentence', labelColumn: 'y' })).toThrow(/no column "y"/);
  });

  it('turns empty texts and missing labels into bad rows, merged in line order', () => {
    const table = parseTable('{"t": "a", "y": 1}\n{"t": " ", "y": 0}\n[]\n{"t": "b"}\n{"t": "c", "y": 0}', 'jsonl');
    const selected = selectTexts(table, { textColumn: 't', labelColumn: 'y' });
    expect(selected.texts).toEqual(['a', 'c']);
    expect(selected.labels).toEqual(['1', '0']);
    expect(selected.badRows).toEqual([
      { line: 2, reason: 'empty "t"' },
      { line: 3, reason: 'expected a JSON object, found an array' },
      { line: 4, reason: 'empty "y"' },
    ]);
  });

  it('omits labels when no label column is asked for', () => {
    const selected = selectTexts(parseTable('one\ntwo\n', 'text'), { textColumn: 'text' });
    expect(selected).toEqual({ texts: ['one', 'two'], badRows: [] });
  });

  it('throws when no text survives', () => {
    const table = parseTable('text,label\n ,1\n', 'csv');
    expect(() => selectTexts(table, { textColumn: 'text' })).toThrow(/no usable texts in column "text"/);
  });
});

describe('real SST-2 dev set', () => {
  const devText = readFileSync(new URL('../../../shared/data/sst2/dev.tsv', import.meta.url), 'utf8');

  it('parses all 872 rows with binary labels', () => {
    expect(detectFormat('dev.tsv')).toBe('tsv');
    const table = parseTable(devText, 'tsv');
    expect(table.columns).toEqual(['sentence', 'label']);
    expect(table.badRows).toEqual([]);
    const { texts, labels, badRows } = selectTexts(table, { textColumn: 'sentence', labelColumn: 'label' });
    expect(badRows).toEqual([]);
    expect(texts).toHaveLength(872);
    expect(new Set(labels)).toEqual(new Set(['0', '1']));
    expect(texts[0]).toBe("it 's a charming and often affecting journey . ");
    expect(labels?.[0]).toBe('1');
  });

  it('honours maxRows on the real file', () => {
    expect(parseTable(devText, 'tsv', { maxRows: 10 }).rows).toHaveLength(10);
  });
});
