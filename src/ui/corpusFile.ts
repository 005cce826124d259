// A text file the user drops or picks for the η curves: parsed on the UI side (the raw text never goes to
// the engine — only the sampled sentences do), with the text column chosen from the parsed header.

import { detectFormat, selectTexts, type BadRow, type ParsedTable, type TableFormat } from '../data/tabular';

export const TABLE_FORMATS: readonly TableFormat[] = ['csv', 'tsv', 'jsonl', 'text'];

export interface CorpusFile {
  fileName: string;
  format: TableFormat;
  columns: string[];
  textColumn: string;
  texts: string[];
  /** Rows the parser or the column selection rejected, with 1-based line numbers. */
  badRows: BadRow[];
}

/** Column names that usually hold the text, in order of preference. */
const TEXT_COLUMN_NAMES = ['text', 'sentence', 'review', 'content', 'body', 'tweet', 'question', 'document'];

export function guessTextColumn(columns: readonly string[]): string {
  const lower = columns.map((c) => c.toLowerCase());
  for (const name of TEXT_COLUMN_NAMES) {
    const i = lower.indexOf(name);
    if (i >= 0) return columns[i];
  }
  return columns[0];
}

/** The format to parse with: the user's choice, else the file extension, else null (ask the user). */
export function formatFor(fileName: string, chosen: TableFormat | null): TableFormat | null {
  return chosen ?? detectFormat(fileName);
}

/** Throws DatasetError when the column has no usable text. The table is parsed once (parseTable) and this
 * re-runs cheaply whenever the user picks another column. */
export function selectCorpusTexts(fileName: string, format: TableFormat, table: ParsedTable, textColumn: string): CorpusFile {
  const selected = selectTexts(table, { textColumn });
  return { fileName, format, columns: table.columns, textColumn, texts: selected.texts, badRows: selected.badRows };
}

/** "3 bad rows (line 4: expected 2 fields, found 3; …)" for the picker. */
export function describeBadRows(badRows: readonly BadRow[], shown = 3): string {
  if (badRows.length === 0) return 'no bad rows';
  const first = badRows.slice(0, shown).map((b) => `line ${b.line}: ${b.reason}`).join('; ');
  const more = badRows.length > shown ? `; and ${badRows.length - shown} more` : '';
  return `${badRows.length} bad row${badRows.length === 1 ? '' : 's'} skipped (${first}${more})`;
}
