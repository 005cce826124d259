// A generic walk over a zod object schema: the list of its fields, with their types, bounds, defaults and
// the title/help/widget each carries in .meta(). The builder form renders this tree, the share-link codec
// strips defaults with it, the compare view and the CSV export flatten specs with it, and the schema finds
// its sweepable fields with it — so adding a field to schema.ts adds it everywhere, with no second list.
// (tensorflow/playground's state.ts keeps one declarative property list for the same reason.)

import { z } from 'zod';

export interface FieldMeta {
  title: string;
  /** One sentence for the form, under the field. Stored as JSON Schema's `description`. */
  help?: string;
  /** How the form edits it: `list` comma-separated values, `lines` one string per line, `file` a file picker,
   * `field-path` a choice among the schema's sweepable fields. */
  widget?: 'list' | 'lines' | 'file' | 'field-path';
  /** Fixed by the kind (schemaVersion, kind): not shown in the form. */
  hidden?: boolean;
}

/** The metadata a field carries, in zod's registry (`.meta(fieldMeta({...}))`). */
export function fieldMeta(m: FieldMeta): z.core.GlobalMeta {
  const { help, ...rest } = m;
  return { ...rest, ...(help ? { description: help } : {}) };
}

interface Common {
  /** Dotted path from the root ("attacks.bayes.draws"). */
  path: string;
  key: string;
  meta: FieldMeta;
  optional: boolean;
  /** null is a value of it (a nullable field: "none", e.g. no separate evaluation file). */
  nullable: boolean;
  /** The value zod fills in when the field is absent. */
  defaultValue?: unknown;
}

export type FieldNode =
  | (Common & { type: 'object'; fields: FieldNode[] })
  | (Common & { type: 'union'; discriminator: string; options: { value: string; node: FieldNode & { type: 'object' } }[] })
  | (Common & { type: 'number'; integer: boolean; min: number | null; max: number | null; minExclusive: boolean })
  | (Common & { type: 'string'; minLength: number | null; maxLength: number | null })
  | (Common & { type: 'boolean' })
  | (Common & { type: 'enum'; values: string[] })
  | (Common & { type: 'literal'; value: unknown })
  | (Common & { type: 'array'; element: FieldNode; minItems: number | null; maxItems: number | null })
  /** A value of several scalar types (vary.values). */
  | (Common & { type: 'scalar' });

type AnySchema = z.ZodType;

function readMeta(schema: AnySchema): Partial<FieldMeta> | undefined {
  const m = schema.meta();
  if (!m) return undefined;
  return {
    ...(typeof m.title === 'string' ? { title: m.title } : {}),
    ...(typeof m.description === 'string' ? { help: m.description } : {}),
    ...(typeof m.widget === 'string' ? { widget: m.widget as FieldMeta['widget'] } : {}),
    ...(m.hidden === true ? { hidden: true } : {}),
  };
}

interface CheckDef {
  check: string;
  value?: unknown;
  inclusive?: boolean;
  minimum?: number;
  maximum?: number;
}

const checksOf = (schema: AnySchema): CheckDef[] =>
  ((schema.def as { checks?: { _zod: { def: CheckDef } }[] }).checks ?? []).map((c) => c._zod.def);

/** Describes the schema at `path`: wrappers (default, optional, nullable) are unwrapped, their meta and default kept. */
export function describeField(schema: AnySchema, path = '', key = ''): FieldNode {
  let meta: Partial<FieldMeta> | undefined;
  let optional = false;
  let nullable = false;
  let defaultValue: unknown;
  let hasDefault = false;
  let inner: AnySchema = schema;
  for (;;) {
    meta ??= readMeta(inner);
    if (inner instanceof z.ZodDefault) {
      if (!hasDefault) {
        hasDefault = true;
        defaultValue = inner.def.defaultValue;
      }
      inner = inner.def.innerType as AnySchema;
    } else if (inner instanceof z.ZodOptional) {
      optional = true;
      inner = inner.def.innerType as AnySchema;
    } else if (inner instanceof z.ZodNullable) {
      nullable = true;
      inner = inner.def.innerType as AnySchema;
    } else break;
  }
  const common: Common = {
    path,
    key,
    meta: { title: key || 'spec', ...meta },
    optional: optional || hasDefault,
    nullable,
    ...(hasDefault ? { defaultValue } : {}),
  };
  const child = (k: string) => (path ? `${path}.${k}` : k);

  if (inner instanceof z.ZodObject) {
    const shape = inner.shape as Record<string, AnySchema>;
    return { ...common, type: 'object', fields: Object.entries(shape).map(([k, s]) => describeField(s, child(k), k)) };
  }
  if (inner instanceof z.ZodDiscriminatedUnion) {
    const discriminator = inner.def.discriminator;
    const options = (inner.options as AnySchema[]).map((option) => {
      const node = describeField(option, path, key);
      if (node.type !== 'object') throw new TypeError(`${path}: union options must be objects`);
      const tag = node.fields.find((f) => f.key === discriminator);
      if (!tag || tag.type !== 'literal' || typeof tag.value !== 'string') throw new TypeError(`${path}: option without a literal ${discriminator}`);
      return { value: tag.value, node };
    });
    return { ...common, type: 'union', discriminator, options };
  }
  if (inner instanceof z.ZodUnion) return { ...common, type: 'scalar' };
  if (inner instanceof z.ZodNumber) {
    const lower = checksOf(inner).find((c) => c.check === 'greater_than');
    return { ...common, type: 'number', integer: inner.isInt, min: inner.minValue, max: inner.maxValue, minExclusive: lower ? lower.inclusive === false : false };
  }
  if (inner instanceof z.ZodString) return { ...common, type: 'string', minLength: inner.minLength, maxLength: inner.maxLength };
  if (inner instanceof z.ZodBoolean) return { ...common, type: 'boolean' };
  if (inner instanceof z.ZodEnum) return { ...common, type: 'enum', values: inner.options.map(String) };
  if (inner instanceof z.ZodLiteral) return { ...common, type: 'literal', value: inner.value };
  if (inner instanceof z.ZodArray) {
    const checks = checksOf(inner);
    return {
      ...common,
      type: 'array',
      element: describeField(inner.element as AnySchema, `${path}.[]`, '[]'),
      minItems: checks.find((c) => c.check === 'min_length')?.minimum ?? null,
      maxItems: checks.find((c) => c.check === 'max_length')?.maximum ?? null,
    };
  }
  throw new TypeError(`${path || 'the spec'}: the form cannot describe a ${inner.def.type} field`);
}

/** Every field of an object node, depth first (the object nodes themselves included). */
export function walkFields(node: FieldNode, visit: (n: FieldNode) => void): void {
  visit(node);
  if (node.type === 'object') for (const f of node.fields) walkFields(f, visit);
}

/**
 * Paths of the scalar fields that can take more than one value (numbers, booleans, enums with several
 * options), outside the top-level keys in `exclude`: what a sweep may vary.
 */
export function sweepableLeaves(schema: AnySchema, exclude: readonly string[]): string[] {
  const out: string[] = [];
  walkFields(describeField(schema), (n) => {
    if (exclude.includes(n.path.split('.')[0])) return;
    if (n.type === 'number' || n.type === 'boolean' || (n.type === 'enum' && n.values.length > 1)) out.push(n.path);
  });
  return out;
}

// ── values at paths ──────────────────────────────────────────────────────────────────────────────────────

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function getAt(value: unknown, path: string): unknown {
  if (!path) return value;
  let at: unknown = value;
  for (const k of path.split('.')) {
    if (!isRecord(at) || !Object.hasOwn(at, k)) return undefined;
    at = at[k];
  }
  return at;
}

/** A copy of `value` with `path` set (objects created along the way); `undefined` removes the key. */
export function setAt<T>(value: T, path: string, next: unknown): T {
  const [k, ...rest] = path.split('.');
  const base: Record<string, unknown> = isRecord(value) ? { ...value } : {};
  const inner = rest.length ? setAt(base[k], rest.join('.'), next) : next;
  if (inner === undefined) delete base[k];
  else base[k] = inner;
  return base as T;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * The value without the fields that equal their defaults (deeply), so that parsing it again gives the same
 * value back. Share links carry this form: shorter, and a later default change does not silently alter it
 * — defaults only change with a schema version, and old versions are migrated.
 */
export function withoutDefaults(node: FieldNode, value: unknown): unknown {
  if (node.type === 'union') {
    const tag = isRecord(value) ? value[node.discriminator] : undefined;
    const option = node.options.find((o) => o.value === tag);
    return option ? withoutDefaults(option.node, value) : value;
  }
  if (node.type !== 'object' || !isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const f of node.fields) {
    if (!Object.hasOwn(value, f.key)) continue;
    const v = value[f.key];
    if ('defaultValue' in f && deepEqual(v, f.defaultValue)) continue;
    const stripped = withoutDefaults(f, v);
    // An object whose fields all have their defaults parses back to its default only when that default is
    // complete; keep `{}` only if it means something (it never does for our defaulted objects).
    if (isRecord(stripped) && Object.keys(stripped).length === 0 && 'defaultValue' in f) continue;
    out[f.key] = stripped;
  }
  for (const k of Object.keys(value)) if (!node.fields.some((f) => f.key === k)) out[k] = value[k];
  return out;
}

export type FlatValue = string | number | boolean | null;

/**
 * One level of keys: nested objects become dotted paths, lists become JSON text ("[5,50,500]"). Used for the
 * CSV export and the compare view, so both name fields the way the spec files do.
 */
export function flatten(value: unknown, prefix = ''): Record<string, FlatValue> {
  const out: Record<string, FlatValue> = {};
  const visit = (v: unknown, path: string) => {
    if (isRecord(v)) {
      for (const [k, x] of Object.entries(v)) visit(x, path ? `${path}.${k}` : k);
    } else if (Array.isArray(v)) {
      out[path] = JSON.stringify(v);
    } else if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
      out[path] = v;
    } else if (v !== undefined) {
      out[path] = String(v);
    }
  };
  visit(value, prefix);
  return out;
}
