// How the builder form turns what is typed into spec values and back, for each kind of field the schema
// walk (experiments/specFields.ts) reports. Text that is not a valid value is passed on as typed (a string
// where a number belongs), so the schema — not this file — says what is wrong, next to the field.

import type { FieldNode } from '../experiments/specFields';

export interface TextCodec {
  parse(text: string): unknown;
  format(value: unknown): string;
  multiline: boolean;
  placeholder: string;
}

/** A number as typed: empty → absent, a numeric literal → number, anything else → the text itself. */
export function parseNumberText(text: string): unknown {
  const t = text.trim();
  if (t === '') return undefined;
  const n = Number(t);
  return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t) && Number.isFinite(n) ? n : t;
}

/** A scalar whose type is not fixed (vary.values): true/false, a number, or text. */
export function parseScalarText(text: string): unknown {
  const t = text.trim();
  if (t === 'true') return true;
  if (t === 'false') return false;
  const n = parseNumberText(t);
  return n;
}

const formatScalar = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

/** Comma- (or space-) separated values: "5, 50, 500". */
export function parseListText(text: string, item: (t: string) => unknown): unknown[] {
  return text
    .split(/[\s,;]+/)
    .filter((t) => t !== '')
    .map(item);
}

/** One string per line; blank lines are dropped. */
export function parseLinesText(text: string): string[] {
  return text.split(/\r?\n/).filter((line) => line.trim() !== '');
}

function describeDefault(node: FieldNode): string {
  if (!('defaultValue' in node) || node.defaultValue === undefined) return '';
  if (node.defaultValue === null) return 'default: none';
  return `default ${Array.isArray(node.defaultValue) ? node.defaultValue.join(', ') : String(node.defaultValue)}`;
}

/** The text codec for a field the form edits as text (numbers, strings, lists); null for the others. */
export function textCodecFor(node: FieldNode): TextCodec | null {
  const placeholder = describeDefault(node);
  // An emptied box is "not set": absent when the field has a default (zod fills it in), else null if null is allowed.
  const empty = node.nullable && !('defaultValue' in node) ? null : undefined;
  if (node.type === 'number') return { parse: (t) => (t.trim() === '' ? empty : parseNumberText(t)), format: formatScalar, multiline: false, placeholder };
  if (node.type === 'string') return { parse: (t) => (t === '' && node.optional ? undefined : t), format: formatScalar, multiline: false, placeholder };
  if (node.type === 'array') {
    if (node.meta.widget === 'lines') {
      return { parse: parseLinesText, format: (v) => (Array.isArray(v) ? v.map(String).join('\n') : ''), multiline: true, placeholder: 'one per line' };
    }
    const item = node.element.type === 'number' ? parseNumberText : node.element.type === 'scalar' ? parseScalarText : (t: string) => t;
    return {
      parse: (t) => parseListText(t, item),
      format: (v) => (Array.isArray(v) ? v.map(formatScalar).join(', ') : ''),
      multiline: false,
      placeholder: 'comma-separated',
    };
  }
  return null;
}
