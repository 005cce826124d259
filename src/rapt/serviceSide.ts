// The SERVICE side of RAPT's user/service boundary (rapt-method.md §1). The service (our trainer) accepts
// only a ServiceDataset: privatised token ids, labels and the public plain-token targets, as plain,
// structured-clone-safe objects — what would cross a network. There is no field for text, clean text ids,
// the privatisation seed or the user's bookkeeping (source indices, skipped examples).
//
// A ServiceDataset is made by toService, from a PrivatizedDataset that userSide.ts produced. The brand is a
// type-level guarantee (a unique symbol nobody else can name); at run time toService checks provenance and
// shape, and acceptServiceDataset re-checks the shape of one that arrived by postMessage (a worker), where
// object identity — and so provenance — is lost.

import { isUserSideDataset, type PrivatizedDataset, type Split } from './userSide';

declare const serviceDatasetBrand: unique symbol;

export interface ServiceExample {
  /** Privatised [plain; text] token ids. */
  readonly ids: Uint32Array;
  readonly label: number;
  /** The plainLength clean plain-token ids (public reconstruction targets). */
  readonly plainTargets: Uint32Array;
}

export interface ServiceDataset {
  readonly [serviceDatasetBrand]: true;
  readonly split: Split;
  /** η the user privatised with (Infinity = clean text; public). */
  readonly eta: number;
  /** m: the first m positions of each example's ids are the privatised plain tokens. */
  readonly plainLength: number;
  readonly examples: readonly ServiceExample[];
}

/** A dataset was refused at the user/service boundary. */
export class BoundaryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BoundaryError';
  }
}

const DATASET_KEYS = ['split', 'eta', 'plainLength', 'examples'];
const EXAMPLE_KEYS = ['ids', 'label', 'plainTargets'];
const SPLITS: readonly string[] = ['train', 'dev', 'test'];

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value !== 'object') return `a ${typeof value}`;
  return `an object with fields ${Object.keys(value).map((k) => `"${k}"`).join(', ') || '(none)'}`;
}

/** Names a field that looks like raw text, anywhere in the top level or the first examples. */
function textLikeField(value: unknown): string | null {
  const suspicious = /^(text|texts|sentence|sentences|raw|clean|cleanIds|tokens|words)$/i;
  if (typeof value !== 'object' || value === null) return null;
  for (const key of Object.keys(value)) if (suspicious.test(key)) return `"${key}"`;
  const examples = (value as { examples?: unknown }).examples;
  if (Array.isArray(examples)) {
    for (let i = 0; i < examples.length; i++) {
      const e: unknown = examples[i];
      if (typeof e === 'object' && e !== null) for (const key of Object.keys(e)) if (suspicious.test(key)) return `"${key}" (examples[${i}])`;
    }
  }
  return null;
}

/** A Uint32Array that owns its whole buffer, so cloning it sends exactly these values and nothing else. */
function ownsBuffer(a: unknown): a is Uint32Array {
  return a instanceof Uint32Array && a.byteOffset === 0 && a.buffer.byteLength === a.byteLength;
}

function checkShape(value: unknown, where: string): asserts value is { split: Split; eta: number; plainLength: number; examples: ServiceExample[] } {
  const fail = (why: string): never => {
    throw new BoundaryError(`${where}: ${why}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`expected a dataset object, got ${describe(value)}`);
  const d = value as Record<string, unknown>;
  for (const key of Object.keys(d)) if (!DATASET_KEYS.includes(key)) fail(`unexpected field "${key}"`);
  if (typeof d.split !== 'string' || !SPLITS.includes(d.split)) fail(`split must be one of ${SPLITS.join(', ')}`);
  if (typeof d.eta !== 'number' || !(d.eta > 0)) fail('eta must be a number > 0');
  const m = d.plainLength;
  if (typeof m !== 'number' || !Number.isInteger(m) || m < 0) fail('plainLength must be a non-negative integer');
  if (!Array.isArray(d.examples)) fail('examples must be an array');
  (d.examples as unknown[]).forEach((e, i) => {
    if (typeof e !== 'object' || e === null || Array.isArray(e)) fail(`examples[${i}] is ${describe(e)}`);
    const ex = e as Record<string, unknown>;
    for (const key of Object.keys(ex)) if (!EXAMPLE_KEYS.includes(key)) fail(`examples[${i}] has an unexpected field "${key}"`);
    if (!(ex.ids instanceof Uint32Array)) fail(`examples[${i}].ids must be a Uint32Array`);
    if (!(ex.plainTargets instanceof Uint32Array)) fail(`examples[${i}].plainTargets must be a Uint32Array`);
    const ids = ex.ids as Uint32Array;
    const targets = ex.plainTargets as Uint32Array;
    if (targets.length !== m) fail(`examples[${i}].plainTargets has ${targets.length} ids, plainLength is ${m}`);
    if (ids.length <= (m as number)) fail(`examples[${i}].ids has no text after the ${m} plain tokens`);
    if (typeof ex.label !== 'number' || !Number.isInteger(ex.label) || ex.label < 0) fail(`examples[${i}].label must be a class index`);
  });
}

/**
 * The only way from the user side to the service: copies the privatised ids, labels and plain targets of
 * a dataset made by privatizeLabelledExamples into fresh, frozen plain objects (typed arrays with their own
 * buffers, so nothing beyond the values travels when they are cloned). Anything else — an object with a
 * `text` field, a look-alike copy, a dataset from another realm — is refused with a BoundaryError.
 */
export function toService(dataset: PrivatizedDataset): ServiceDataset {
  if (!isUserSideDataset(dataset)) {
    const text = textLikeField(dataset);
    throw new BoundaryError(
      `toService accepts only a dataset returned by privatizeLabelledExamples (the user side); got ${describe(dataset)}` +
        (text ? `. It has a field ${text}: raw text must never reach the service — privatise it on the user side first.` : '.'),
    );
  }
  const copy = {
    split: dataset.split,
    eta: dataset.eta,
    plainLength: dataset.plainLength,
    examples: Object.freeze(
      dataset.examples.map((e) => Object.freeze({ ids: Uint32Array.from(e.ids), label: e.label, plainTargets: Uint32Array.from(e.plainTargets) })),
    ),
  };
  checkShape(copy, 'toService');
  return Object.freeze(copy) as unknown as ServiceDataset;
}

/**
 * Service side of a transfer: accepts a dataset that arrived by structured clone (postMessage to the
 * worker) only if it has exactly the ServiceDataset shape — the fields above and nothing else, typed
 * arrays that own their buffers — and returns it as a ServiceDataset. It cannot carry text: there is no
 * field where text could be.
 */
export function acceptServiceDataset(value: unknown): ServiceDataset {
  checkShape(value, 'acceptServiceDataset');
  value.examples.forEach((e, i) => {
    if (!ownsBuffer(e.ids) || !ownsBuffer(e.plainTargets)) {
      throw new BoundaryError(`acceptServiceDataset: examples[${i}] has typed arrays that are views of a larger buffer`);
    }
  });
  return value as unknown as ServiceDataset;
}

/** The token count of each example (plain + text), for batching (training/batching.ts). */
export const exampleLengths = (dataset: ServiceDataset): number[] => dataset.examples.map((e) => e.ids.length);
