/**
 * Parsing of text datasets (files the user drops in the browser, benchmark files read by the headless
 * runner) into rows of string fields. No Node or DOM APIs: the caller reads the file into a string.
 *
 * Bad rows never throw: they are reported with their 1-based line number so the UI can show them.
 * A DatasetError is thrown only when nothing usable remains, a requested column does not exist, or the
 * input exceeds MAX_TABLE_CHARS.
 */

export type TableFormat = 'csv' | 'tsv' | 'jsonl' | 'text';

export interface BadRow {
  /** 1-based line where the offending record starts. */
  line: number;
  reason: string;
}

export interface ParsedTable {
  columns: string[];
  rows: Record<string, string>[];
  /** rowLines[i] is the 1-based line where rows[i] starts, so later checks can report lines too. */
  rowLines: number[];
  badRows: BadRow[];
}

export interface ParseOptions {
  /** Stop after this many good rows (previews of large files). */
  maxRows?: number;
  /** csv/tsv only; defaults to true. Without a header the columns are named column1, column2, ... */
  hasHeader?: boolean;
}

export interface TextSelection {
  texts: string[];
  labels?: string[];
  badRows: BadRow[];
}

/**
 * 200 M UTF-16 code units (~200 MB of mostly-ASCII text). The whole file is already in memory as one
 * string, and parsed rows cost several times that; beyond this a browser tab is likely to die, so we stop
 * with a clear message instead. The largest benchmark file we use (SST-2 train) is about 4 MB.
 */
export const MAX_TABLE_CHARS = 200 * 1024 * 1024;

/** The column name used for `text` format, one row per non-empty line. */
export const TEXT_COLUMN = 'text';

export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}

const FORMAT_BY_EXTENSION: Record<string, TableFormat> = {
  csv: 'csv',
  tsv: 'tsv',
  tab: 'tsv',
  jsonl: 'jsonl',
  ndjson: 'jsonl',
  txt: 'text',
};

/**
 * Format from the file extension, or null when the extension says nothing reliable (e.g. `.json`, which
 * is usually one array rather than JSON Lines) so the caller asks the user instead of guessing.
 */
export function detectFormat(fileName: string): TableFormat | null {
  const dot = fileName.lastIndexOf('.');
  if (dot < 0) return null;
  return FORMAT_BY_EXTENSION[fileName.slice(dot + 1).toLowerCase()] ?? null;
}

export function parseTable(text: string, format: TableFormat, options: ParseOptions = {}): ParsedTable {
  if (text.length > MAX_TABLE_CHARS) {
    throw new DatasetError(
      `file too large: ${text.length.toLocaleString('en-US')} characters, the limit is ` +
        `${MAX_TABLE_CHARS.toLocaleString('en-US')}`,
    );
  }
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const maxRows = options.maxRows ?? Infinity;
  const hasHeader = options.hasHeader ?? true;
  let table: ParsedTable;
  switch (format) {
    case 'csv':
      table = recordsToTable(csvRecords(body), hasHeader, maxRows);
      break;
    case 'tsv':
      table = recordsToTable(tsvRecords(body), hasHeader, maxRows);
      break;
    case 'jsonl':
      table = parseJsonLines(body, maxRows);
      break;
    case 'text':
      table = parseTextLines(body, maxRows);
      break;
    default:
      // Reachable from untyped callers (a format string from a URL or a config file).
      throw new DatasetError(`unknown format "${String(format satisfies never)}"`);
  }
  if (table.rows.length === 0) throw new DatasetError(`no usable rows${describeBadRows(table.badRows)}`);
  return table;
}

/**
 * Texts (and labels) from the chosen columns. Rows whose text is blank or whose label is blank/missing
 * become bad rows. Texts are returned exactly as stored (SST-2 keeps a trailing space, for instance):
 * normalising text is the tokenizer's job, and it must match what the model was evaluated on.
 */
export function selectTexts(
  table: ParsedTable,
  selection: { textColumn: string; labelColumn?: string },
): TextSelection {
  const { textColumn, labelColumn } = selection;
  for (const column of labelColumn === undefined ? [textColumn] : [textColumn, labelColumn]) {
    if (!table.columns.includes(column)) {
      throw new DatasetError(
        `no column "${column}"; available columns: ${table.columns.map((name) => `"${name}"`).join(', ')}`,
      );
    }
  }
  const texts: string[] = [];
  const labels: string[] = [];
  const badRows = table.badRows.slice();
  table.rows.forEach((row, index) => {
    const line = table.rowLines[index];
    const text = row[textColumn];
    if (text === undefined || text.trim() === '') {
      badRows.push({ line, reason: `empty "${textColumn}"` });
      return;
    }
    if (labelColumn !== undefined) {
      const label = row[labelColumn];
      if (label === undefined || label.trim() === '') {
        badRows.push({ line, reason: `empty "${labelColumn}"` });
        return;
      }
      labels.push(label.trim());
    }
    texts.push(text);
  });
  badRows.sort((a, b) => a.line - b.line);
  if (texts.length === 0) throw new DatasetError(`no usable texts in column "${textColumn}"${describeBadRows(badRows)}`);
  return labelColumn === undefined ? { texts, badRows } : { texts, labels, badRows };
}

function describeBadRows(badRows: readonly BadRow[]): string {
  if (badRows.length === 0) return '';
  const shown = badRows.slice(0, 3).map((bad) => `line ${bad.line}: ${bad.reason}`);
  const more = badRows.length > shown.length ? `, and ${badRows.length - shown.length} more` : '';
  return ` (${badRows.length} bad rows: ${shown.join('; ')}${more})`;
}

/** One delimited record before it is matched against the header. */
interface RawRecord {
  line: number;
  fields: string[];
  /** Set when the record is malformed as a whole (e.g. an unterminated quote), not just mis-sized. */
  error?: string;
}

/**
 * RFC 4180 records: fields separated by commas, records by CRLF or LF (a lone CR too, for old Mac files);
 * a quoted field may contain commas, line breaks and doubled quotes. Lenient where real files are sloppy,
 * like Python's csv module: a quote inside an unquoted field is literal, and text after a closing quote is
 * appended to the field. Blank lines are skipped rather than read as one empty field.
 */
function* csvRecords(body: string): Generator<RawRecord> {
  const length = body.length;
  let position = 0;
  let line = 1;
  while (position < length) {
    const startLine = line;
    const fields: string[] = [];
    let recordDone = false;
    let blankLine = true;
    while (!recordDone) {
      let field = '';
      if (body.charCodeAt(position) === 0x22) {
        blankLine = false;
        position++;
        let closed = false;
        while (position < length) {
          const next = body.indexOf('"', position);
          if (next < 0) break;
          field += body.slice(position, next);
          line += countLineBreaks(body, position, next);
          if (body.charCodeAt(next + 1) === 0x22) {
            field += '"';
            position = next + 2;
          } else {
            position = next + 1;
            closed = true;
            break;
          }
        }
        if (!closed) {
          yield { line: startLine, fields, error: 'unterminated quoted field (rest of file ignored)' };
          return;
        }
      }
      const end = findFieldEnd(body, position);
      if (end > position) blankLine = false;
      field += body.slice(position, end);
      fields.push(field);
      position = end;
      const code = body.charCodeAt(position);
      if (code === 0x2c) {
        blankLine = false;
        position++;
      } else {
        recordDone = true;
        if (code === 0x0d || code === 0x0a) {
          position += code === 0x0d && body.charCodeAt(position + 1) === 0x0a ? 2 : 1;
          line++;
        }
      }
    }
    if (!blankLine) yield { line: startLine, fields };
  }
}

function findFieldEnd(body: string, from: number): number {
  for (let i = from; i < body.length; i++) {
    const code = body.charCodeAt(i);
    if (code === 0x2c || code === 0x0a || code === 0x0d) return i;
  }
  return body.length;
}

/** Line breaks between from and to, counting CRLF once and a lone CR as one. */
function countLineBreaks(body: string, from: number, to: number): number {
  let breaks = 0;
  for (let i = from; i < to; i++) {
    const code = body.charCodeAt(i);
    if (code === 0x0a) breaks++;
    else if (code === 0x0d && body.charCodeAt(i + 1) !== 0x0a) breaks++;
  }
  return breaks;
}

/** Physical lines with their 1-based numbers, without the line terminator; handles LF, CRLF and CR. */
function* physicalLines(body: string): Generator<{ line: number; content: string }> {
  const pattern = /\r\n|\n|\r/g;
  let start = 0;
  let line = 1;
  for (const match of body.matchAll(pattern)) {
    yield { line, content: body.slice(start, match.index) };
    start = match.index + match[0].length;
    line++;
  }
  if (start < body.length) yield { line, content: body.slice(start) };
}

/** GLUE-style TSV: a tab separates fields and quotes are ordinary characters (SST-2 sentences contain them). */
function* tsvRecords(body: string): Generator<RawRecord> {
  for (const { line, content } of physicalLines(body)) {
    if (content.trim() === '') continue;
    yield { line, fields: content.split('\t') };
  }
}

function recordsToTable(records: Iterable<RawRecord>, hasHeader: boolean, maxRows: number): ParsedTable {
  const table: ParsedTable = { columns: [], rows: [], rowLines: [], badRows: [] };
  let columnCount = -1;
  for (const record of records) {
    if (record.error !== undefined) {
      table.badRows.push({ line: record.line, reason: record.error });
      continue;
    }
    if (columnCount < 0) {
      columnCount = record.fields.length;
      if (hasHeader) {
        table.columns = uniqueColumnNames(record.fields);
        continue;
      }
      table.columns = record.fields.map((_, i) => `column${i + 1}`);
    }
    if (record.fields.length !== columnCount) {
      table.badRows.push({
        line: record.line,
        reason: `expected ${columnCount} fields, found ${record.fields.length}`,
      });
      continue;
    }
    if (table.rows.length >= maxRows) break;
    const row: Record<string, string> = {};
    table.columns.forEach((column, i) => (row[column] = record.fields[i]));
    table.rows.push(row);
    table.rowLines.push(record.line);
  }
  return table;
}

/** Header names must be distinct keys: blanks become columnN and repeats get a _2, _3 ... suffix. */
function uniqueColumnNames(header: readonly string[]): string[] {
  const used = new Set<string>();
  return header.map((raw, i) => {
    const base = raw.trim() === '' ? `column${i + 1}` : raw.trim();
    let name = base;
    for (let suffix = 2; used.has(name); suffix++) name = `${base}_${suffix}`;
    used.add(name);
    return name;
  });
}

function stringifyValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * JSON Lines: one object per line. Columns are the union of keys in order of first appearance; a row
 * lacking a key simply has no entry for it (selectTexts reports that as a bad row when it matters).
 */
function parseJsonLines(body: string, maxRows: number): ParsedTable {
  const table: ParsedTable = { columns: [], rows: [], rowLines: [], badRows: [] };
  const seenColumns = new Set<string>();
  for (const { line, content } of physicalLines(body)) {
    if (content.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(content);
    } catch (error) {
      table.badRows.push({ line, reason: `invalid JSON: ${(error as Error).message}` });
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      table.badRows.push({ line, reason: `expected a JSON object, found ${describeJsonType(value)}` });
      continue;
    }
    if (table.rows.length >= maxRows) break;
    const row: Record<string, string> = {};
    for (const [key, field] of Object.entries(value)) {
      row[key] = stringifyValue(field);
      if (!seenColumns.has(key)) {
        seenColumns.add(key);
        table.columns.push(key);
      }
    }
    table.rows.push(row);
    table.rowLines.push(line);
  }
  return table;
}

function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** Plain text: every non-blank line is one row in the `text` column, kept verbatim. */
function parseTextLines(body: string, maxRows: number): ParsedTable {
  const table: ParsedTable = { columns: [TEXT_COLUMN], rows: [], rowLines: [], badRows: [] };
  for (const { line, content } of physicalLines(body)) {
    if (content.trim() === '') continue;
    if (table.rows.length >= maxRows) break;
    table.rows.push({ [TEXT_COLUMN]: content });
    table.rowLines.push(line);
  }
  return table;
}
