// The USER side of RAPT's user/service boundary (rapt-method.md §1, §4 step 2). Everything here runs on
// the user's device and sees raw text; what it returns (PrivatizedDataset) holds only privatised token
// ids, labels and the public plain-token targets — no raw text and no clean text token ids — and is the
// only thing serviceSide.ts's toService accepts.
//
// Privatisation noise is a pure function of (seed, example number, position, draw) (privacy/tokenRows.ts).
// Example numbers are split base + index in the caller's list (SPLIT_EXAMPLE_BASE), so train, dev and
// test text never share noise, the result does not depend on how rows are grouped into privatizer calls,
// and a skipped example does not shift the noise of the others.
//
// Layout of one privatised sequence: positions 0..m−1 are the m plain tokens, m.. the text tokens,
// privatised together in one call: z = M([k; x]) (RAPT). With no plain tokens (plain prompt tuning),
// m = 0.

import type { TokenRow } from '../privacy/tokenRows';
import { ATTACKER_EXAMPLE_BASE } from '../privacy/random/streams';
import { plainTokensForExample, type CandidateIds } from './plainTokens';

export type Split = 'train' | 'dev' | 'test';

/**
 * Example numbers (the `example` of a TokenRow) of each split: example = SPLIT_EXAMPLE_BASE[split] +
 * index. 2^28 numbers per split, all below ATTACKER_EXAMPLE_BASE (2^30), where the attacker's own
 * simulation rows begin.
 */
export const SPLIT_EXAMPLE_BASE: Readonly<Record<Split, number>> = Object.freeze({ train: 0, dev: 0x10000000, test: 0x20000000 });
export const EXAMPLES_PER_SPLIT = 0x10000000;

/** The example number of example `index` of `split`. */
export function exampleNumber(split: Split, index: number): number {
  const base = SPLIT_EXAMPLE_BASE[split];
  if (base === undefined) throw new RangeError(`unknown split "${String(split)}"`);
  if (!Number.isInteger(index) || index < 0 || index >= EXAMPLES_PER_SPLIT) throw new RangeError(`example index ${index} is outside [0, 2^28)`);
  const example = base + index;
  if (example >= ATTACKER_EXAMPLE_BASE) throw new RangeError('example number collides with the attacker range');
  return example;
}

/**
 * The privatisation function, as the GPU Privatizer provides it: `privatizer.privatize.bind(privatizer)`
 * (src/privacy/privatize.ts) fits; column 0 of `ids` (k = 1) is M(w) for each row. Wrap it to add
 * cancellation or progress: `(rows, o) => privatizer.privatize(rows, { ...o, cancelled })`.
 */
export type PrivatizeFn = (rows: readonly TokenRow[], options: { invEta: number; seed: number }) => Promise<{ ids: Uint32Array }>;

export type PlainTokenOption =
  /** No plain tokens: plain prompt tuning (m = 0). */
  | { kind: 'none' }
  /** RAPT as in the paper: one fixed sequence for the run (choosePlainTokens). */
  | { kind: 'fixed'; tokens: Uint32Array | readonly number[] }
  /** Our variant: m tokens resampled per example (plainTokensForExample with the example number). */
  | { kind: 'per-example'; seed: number; m: number; candidates: CandidateIds };

export interface LabelledText {
  text: string;
  /** Class index (0-based). */
  label: number;
}

export interface PrivatizeExamplesOptions {
  /** η of d_χ-privacy, > 0; Infinity = clean (no noise, no privatizer call: the non-private baseline). */
  eta: number;
  /** The privatisation seed: the user's secret. It is not stored in the result. */
  seed: number;
  split: Split;
  plain: PlainTokenOption;
  /** The most TEXT tokens kept per example (the plain tokens come on top): longer texts are truncated. */
  maxTokens: number;
  /** Called after each privatizer call with the number of examples done. */
  onProgress?: (done: number, total: number) => void;
}

export interface PrivatizedExample {
  /** Privatised [plain; text] ids: plainLength plain positions, then the (truncated) text. */
  readonly ids: Uint32Array;
  readonly label: number;
  /** The plainLength clean plain-token ids, the reconstruction targets (public). */
  readonly plainTargets: Uint32Array;
}

export interface PrivatizedDataset {
  readonly split: Split;
  /** η used (Infinity = clean). */
  readonly eta: number;
  /** m: plain tokens per example (0 without). */
  readonly plainLength: number;
  readonly plainKind: PlainTokenOption['kind'];
  readonly maxTokens: number;
  readonly examples: readonly PrivatizedExample[];
  /** USER-SIDE ONLY (not sent): examples[i] came from input example sourceIndices[i]. */
  readonly sourceIndices: readonly number[];
  /** USER-SIDE ONLY: input examples left out, with why (never their text). */
  readonly skipped: readonly { index: number; reason: string }[];
  /** How many examples were cut to maxTokens text tokens. */
  readonly truncated: number;
}

/** Rows per privatizer call: bounds the memory of the row objects; the result does not depend on it. */
export const ROWS_PER_CALL = 1 << 16;

/** Datasets made by privatizeLabelledExamples (the provenance toService checks). */
const produced = new WeakSet<object>();

/** True only for a dataset returned by privatizeLabelledExamples in this realm. */
export function isUserSideDataset(value: unknown): value is PrivatizedDataset {
  return typeof value === 'object' && value !== null && produced.has(value);
}

function checkIds(ids: ArrayLike<number>, what: string): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw new RangeError(`${what}[${i}] = ${id} is not a token id`);
  }
}

/**
 * Tokenises and privatises labelled texts on the user side. Plain tokens (if any) are prepended and
 * privatised together with the text; texts are truncated to maxTokens text tokens first (only what is
 * sent is privatised; noise depends on position only, so truncating first or last gives the same ids).
 * An example whose text has no tokens is skipped and reported in `skipped`.
 */
export async function privatizeLabelledExamples(
  privatize: PrivatizeFn,
  tokenize: (text: string) => number[],
  examples: readonly LabelledText[],
  options: PrivatizeExamplesOptions,
): Promise<PrivatizedDataset> {
  const { eta, seed, split, plain, maxTokens } = options;
  if (!(eta > 0)) throw new RangeError(`η must be > 0 (Infinity for clean text), got ${eta}`);
  const invEta = eta === Infinity ? 0 : 1 / eta;
  if (!Number.isFinite(invEta)) throw new RangeError(`η = ${eta} is too small`);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
  if (!Number.isInteger(maxTokens) || maxTokens < 1) throw new RangeError(`maxTokens must be a positive integer, got ${maxTokens}`);
  if (examples.length > EXAMPLES_PER_SPLIT) throw new RangeError(`at most ${EXAMPLES_PER_SPLIT} examples per split`);
  exampleNumber(split, 0); // validates the split

  let m: number;
  let fixed: Uint32Array | null = null;
  switch (plain.kind) {
    case 'none':
      m = 0;
      break;
    case 'fixed':
      checkIds(plain.tokens, 'plain.tokens');
      fixed = Uint32Array.from(plain.tokens);
      m = fixed.length;
      break;
    case 'per-example':
      if (!Number.isInteger(plain.m) || plain.m < 1) throw new RangeError(`plain.m must be a positive integer, got ${plain.m}`);
      m = plain.m;
      break;
    default:
      throw new RangeError(`unknown plain-token option "${String((plain satisfies never as { kind: unknown }).kind)}"`);
  }

  // Clean sequences live only in this function.
  const pending: { index: number; clean: Uint32Array; label: number }[] = [];
  const skipped: { index: number; reason: string }[] = [];
  let truncated = 0;
  examples.forEach((example, index) => {
    if (typeof example?.text !== 'string') throw new TypeError(`examples[${index}].text is not a string`);
    if (!Number.isInteger(example.label) || example.label < 0) throw new RangeError(`examples[${index}].label = ${example.label} is not a class index`);
    let text = tokenize(example.text);
    checkIds(text, `tokens of examples[${index}]`);
    if (text.length === 0) {
      skipped.push({ index, reason: 'the text has no tokens' });
      return;
    }
    if (text.length > maxTokens) {
      truncated++;
      text = text.slice(0, maxTokens);
    }
    const plainIds =
      plain.kind === 'per-example' ? plainTokensForExample(plain.seed, exampleNumber(split, index), m, plain.candidates) : (fixed ?? new Uint32Array(0));
    const clean = new Uint32Array(m + text.length);
    clean.set(plainIds, 0);
    clean.set(text, m);
    pending.push({ index, clean, label: example.label });
  });

  const out: PrivatizedExample[] = [];
  for (let start = 0; start < pending.length; ) {
    let end = start;
    let rowCount = 0;
    while (end < pending.length && (end === start || rowCount + pending[end].clean.length <= ROWS_PER_CALL)) rowCount += pending[end++].clean.length;
    const group = pending.slice(start, end);
    let privatized: Uint32Array;
    if (eta === Infinity) {
      privatized = new Uint32Array(rowCount);
      let offset = 0;
      for (const p of group) {
        privatized.set(p.clean, offset);
        offset += p.clean.length;
      }
    } else {
      const rows: TokenRow[] = [];
      for (const p of group) {
        const example = exampleNumber(split, p.index);
        p.clean.forEach((id, position) => rows.push({ id, example, position, draw: 0 }));
      }
      privatized = (await privatize(rows, { invEta, seed })).ids;
      if (!(privatized instanceof Uint32Array) || privatized.length !== rows.length) {
        throw new Error(`the privatizer returned ${privatized?.length} ids for ${rows.length} rows`);
      }
    }
    let offset = 0;
    for (const p of group) {
      out.push(
        Object.freeze({
          ids: privatized.slice(offset, offset + p.clean.length),
          label: p.label,
          plainTargets: p.clean.slice(0, m),
        }),
      );
      offset += p.clean.length;
    }
    start = end;
    options.onProgress?.(start, pending.length);
  }

  const dataset: PrivatizedDataset = Object.freeze({
    split,
    eta,
    plainLength: m,
    plainKind: plain.kind,
    maxTokens,
    examples: Object.freeze(out),
    sourceIndices: Object.freeze(pending.map((p) => p.index)),
    skipped: Object.freeze(skipped.map((s) => Object.freeze(s))),
    truncated,
  });
  produced.add(dataset);
  return dataset;
}
