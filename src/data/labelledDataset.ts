/**
 * Labelled examples (text + class index) for training, from tables parsed by tabular.ts. Works in the
 * browser (a dropped File, or text) and in Node (the caller reads the file): no Node or DOM APIs beyond
 * Blob.text().
 *
 * Rows that cannot be used — blank text, missing or blank label, a label outside the declared set — are
 * reported as { row, reason } and never throw; so are the parser's own bad rows. A DatasetError is thrown
 * only for problems with the file as a whole: a missing column, no usable example at all, or (labels
 * inferred) implausibly many distinct labels.
 */

import { DatasetError, parseTable, type ParseOptions, type ParsedTable, type TableFormat } from './tabular';

export interface LabelledExample {
  /** The text exactly as stored (tokenisation normalises it). */
  text: string;
  /** Class index into labelNames. */
  label: number;
}

export interface LabelledBadRow {
  /** 1-based line in the file where the record starts (the numbering of tabular.ts's BadRow.line). */
  row: number;
  reason: string;
}

export interface LabelledDataset {
  examples: LabelledExample[];
  /** labelNames[c] is the label value (as written in the file, trimmed) of class c. */
  labelNames: string[];
  /** Examples per class. */
  classCounts: number[];
  /** rowOf[i] is the 1-based line of examples[i]. */
  rowOf: number[];
  badRows: LabelledBadRow[];
}

export interface LabelledColumns {
  textColumn: string;
  labelColumn: string;
  /**
   * The label values, in class order. Rows with any other value are bad rows. Omitted: the distinct
   * values found become the classes, in numeric order when all are integers, else in code-point order.
   */
  labels?: readonly string[];
}

/** Inferring more classes than this means the label column is probably wrong (e.g. the text column). */
export const MAX_INFERRED_CLASSES = 100;

const quoteList = (values: readonly string[]): string => values.map((v) => `"${v}"`).join(', ');

function describeBadRows(badRows: readonly LabelledBadRow[]): string {
  if (badRows.length === 0) return '';
  const shown = badRows.slice(0, 3).map((bad) => `line ${bad.row}: ${bad.reason}`);
  const more = badRows.length > shown.length ? `, and ${badRows.length - shown.length} more` : '';
  return ` (${badRows.length} bad rows: ${shown.join('; ')}${more})`;
}

function inferLabels(values: Iterable<string>): string[] {
  const distinct = [...new Set(values)];
  if (distinct.length > MAX_INFERRED_CLASSES) {
    throw new DatasetError(
      `the label column has ${distinct.length} distinct values (more than ${MAX_INFERRED_CLASSES}); pick the right column or list the labels`,
    );
  }
  const integers = distinct.every((v) => /^[+-]?\d+$/.test(v));
  return integers ? distinct.sort((a, b) => Number(a) - Number(b)) : distinct.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Labelled examples from the chosen text and label columns of a parsed table. */
export function labelledExamples(table: ParsedTable, columns: LabelledColumns): LabelledDataset {
  const { textColumn, labelColumn } = columns;
  for (const column of [textColumn, labelColumn]) {
    if (!table.columns.includes(column)) {
      throw new DatasetError(`no column "${column}"; available columns: ${quoteList(table.columns)}`);
    }
  }
  if (columns.labels !== undefined) {
    const labels = columns.labels.map((l) => l.trim());
    if (labels.length === 0) throw new DatasetError('the list of labels is empty');
    if (new Set(labels).size !== labels.length || labels.some((l) => l === '')) throw new DatasetError(`labels must be distinct and non-blank: ${quoteList(labels)}`);
  }

  const badRows: LabelledBadRow[] = table.badRows.map((bad) => ({ row: bad.line, reason: bad.reason }));
  const candidates: { text: string; value: string; row: number }[] = [];
  table.rows.forEach((record, index) => {
    const row = table.rowLines[index];
    const text = record[textColumn];
    const value = record[labelColumn];
    if (text === undefined) badRows.push({ row, reason: `missing "${textColumn}"` });
    else if (text.trim() === '') badRows.push({ row, reason: `empty "${textColumn}"` });
    else if (value === undefined) badRows.push({ row, reason: `missing "${labelColumn}"` });
    else if (value.trim() === '') badRows.push({ row, reason: `empty "${labelColumn}"` });
    else candidates.push({ text, value: value.trim(), row });
  });

  const labelNames = columns.labels?.map((l) => l.trim()) ?? inferLabels(candidates.map((c) => c.value));
  const classOf = new Map(labelNames.map((name, c) => [name, c]));
  const examples: LabelledExample[] = [];
  const rowOf: number[] = [];
  const classCounts = new Array<number>(labelNames.length).fill(0);
  for (const { text, value, row } of candidates) {
    const label = classOf.get(value);
    if (label === undefined) {
      const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
      badRows.push({ row, reason: `unknown label "${shown}" (expected ${quoteList(labelNames)})` });
      continue;
    }
    examples.push({ text, label });
    rowOf.push(row);
    classCounts[label]++;
  }
  badRows.sort((a, b) => a.row - b.row);
  if (examples.length === 0) throw new DatasetError(`no usable labelled examples${describeBadRows(badRows)}`);
  return { examples, labelNames, classCounts, rowOf, badRows };
}

/** Parses a file's text and picks its labelled examples. */
export function parseLabelledFile(text: string, format: TableFormat, columns: LabelledColumns, options: ParseOptions = {}): LabelledDataset {
  return labelledExamples(parseTable(text, format, options), columns);
}

/** GLUE SST-2 (train.tsv, dev.tsv, and our test-labeled.tsv): a header `sentence\tlabel`, labels 0/1. */
export const SST2_COLUMNS: Readonly<LabelledColumns> = Object.freeze({ textColumn: 'sentence', labelColumn: 'label', labels: ['0', '1'] });
/** Display names of SST-2's classes 0 and 1. */
export const SST2_CLASS_NAMES: readonly string[] = Object.freeze(['negative', 'positive']);

/** An SST-2-style TSV file's text (sentence/label columns, labels 0 and 1). */
export function loadSst2Tsv(text: string, options: ParseOptions = {}): LabelledDataset {
  return parseLabelledFile(text, 'tsv', SST2_COLUMNS, options);
}

/** An SST-2-style TSV file the user picked or dropped (browser File, or any Blob). */
export async function loadSst2File(file: Blob, options: ParseOptions = {}): Promise<LabelledDataset> {
  return loadSst2Tsv(await file.text(), options);
}
