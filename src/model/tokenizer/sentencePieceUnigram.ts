/**
 * SentencePiece unigram tokenizer that reproduces, id for id, the `Tokenizer` of
 * `@tensorflow-models/universal-sentence-encoder@1.3.3` used by USE-Lite — quirks included, because the
 * bundled encoder was trained and verified on exactly those ids (docs/bundled-model.md, "Tokenisation").
 *
 * Positions are UTF-16 code units: the original splits its input with an ES5 `for` loop over the string,
 * so a character outside the BMP is two symbols, neither of which any piece matches. Both halves become
 * unknown and merge into one unknown id, so ids are the same as with code points, and spans stay ordinary
 * JavaScript string offsets.
 */

/** The word-boundary marker SentencePiece puts in place of every space (U+2581 LOWER ONE EIGHTH BLOCK). */
export const WORD_BOUNDARY = '\u2581';

/**
 * USE-Lite's settings: ids 0-5 are `<unk>`, `<s>`, `</s>` and three `extra_token_id`s, never matched
 * against text; id 0 stands for unknown characters (docs/bundled-model.md).
 */
export const USE_LITE_TOKENIZER_OPTIONS: UnigramTokenizerOptions = { reservedCount: 6, unknownId: 0 };

export interface UnigramVocab {
  /** Piece text by id. */
  pieces: string[];
  /** Unigram log-probability by id; a `null` score in the JSON is stored as 0, as the original adds it. */
  scores: Float64Array;
}

export interface UnigramTokenizerOptions {
  /** Pieces with ids below this are control symbols and are never matched against text. */
  reservedCount: number;
  /** Id emitted for characters no piece covers. */
  unknownId: number;
}

/** Tokens of one input, with where each came from in the NFKC-normalised text. */
export interface EncodedText {
  /** The input after NFKC normalisation; spans index into this string. */
  normalized: string;
  ids: number[];
  /**
   * `[start, end)` in `normalized` for each id. Spans are contiguous and together cover `normalized`
   * exactly. A piece's leading '▁' covers the space before its word; the '▁' the tokenizer prepends to
   * the whole text has no character behind it, so a lone leading '▁' token gets an empty span at 0.
   */
  spans: Array<[start: number, end: number]>;
}

export class TokenizerFormatError extends Error {
  override name = 'TokenizerFormatError';
}

/** Validates a vocabulary in the `[[piece, score], ...]` JSON format of USE-Lite's `vocab.json`. */
export function parseUnigramVocab(json: unknown): UnigramVocab {
  if (!Array.isArray(json)) {
    throw new TokenizerFormatError(
      `Vocabulary must be a JSON array of [piece, score] pairs, but got ${describeJsonValue(json)}.`,
    );
  }
  if (json.length === 0) {
    throw new TokenizerFormatError('Vocabulary is empty: expected at least one [piece, score] pair.');
  }
  const pieces: string[] = new Array<string>(json.length);
  const scores = new Float64Array(json.length);
  for (let id = 0; id < json.length; id++) {
    const entry: unknown = json[id];
    if (!Array.isArray(entry) || entry.length !== 2) {
      throw new TokenizerFormatError(
        `Vocabulary entry ${id} must be a [piece, score] pair, but got ${describeJsonValue(entry)}.`,
      );
    }
    const [piece, score] = entry as [unknown, unknown];
    if (typeof piece !== 'string') {
      throw new TokenizerFormatError(
        `Vocabulary entry ${id}: the piece must be a string, but got ${describeJsonValue(piece)}.`,
      );
    }
    // USE-Lite's vocab.json has `null` scores (':' and '▁:)' among others); the original adds them to a
    // number, where null counts as 0 (docs/bundled-model.md: "null score = 0").
    if (score !== null && (typeof score !== 'number' || !Number.isFinite(score))) {
      throw new TokenizerFormatError(
        `Vocabulary entry ${id} (${JSON.stringify(piece)}): the score must be a finite number or null, ` +
          `but got ${describeJsonValue(score)}.`,
      );
    }
    pieces[id] = piece;
    scores[id] = score ?? 0;
  }
  return { pieces, scores };
}

/** Character-by-character trie over the matchable pieces, stored flat to keep encode allocation-free. */
class PieceTrie {
  /** Child node per `(node, UTF-16 code unit)`, keyed by `node * 0x10000 + code`. */
  private readonly children = new Map<number, number>();
  /** Piece id ending at each node, or -1 where a node is only a prefix. */
  private pieceAt: number[] = [-1];

  insert(piece: string, id: number): void {
    let node = 0;
    for (let i = 0; i < piece.length; i++) {
      const key = node * 0x10000 + piece.charCodeAt(i);
      let child = this.children.get(key);
      if (child === undefined) {
        child = this.pieceAt.length;
        this.pieceAt.push(-1);
        this.children.set(key, child);
      }
      node = child;
    }
    // A duplicate piece (USE-Lite has '”5' twice) keeps the later id, as the original trie overwrites.
    if (node !== 0) this.pieceAt[node] = id;
  }

  /** Node reached from `node` by `code`, or -1. */
  step(node: number, code: number): number {
    return this.children.get(node * 0x10000 + code) ?? -1;
  }

  pieceIdAt(node: number): number {
    return this.pieceAt[node];
  }
}

/** Tokens over the marked-up text, before mapping back to the normalised input. */
interface Segmentation {
  ids: number[];
  starts: number[];
  ends: number[];
}

export class SentencePieceUnigramTokenizer {
  readonly vocabSize: number;
  private readonly pieces: string[];
  private readonly scores: Float64Array;
  private readonly unknownId: number;
  private readonly trie = new PieceTrie();

  constructor(vocab: UnigramVocab, options: UnigramTokenizerOptions) {
    const { reservedCount, unknownId } = options;
    if (vocab.pieces.length !== vocab.scores.length) {
      throw new TokenizerFormatError(
        `Vocabulary has ${vocab.pieces.length} pieces but ${vocab.scores.length} scores.`,
      );
    }
    this.vocabSize = vocab.pieces.length;
    if (!Number.isInteger(reservedCount) || reservedCount < 0 || reservedCount > this.vocabSize) {
      throw new RangeError(`reservedCount must be an integer in [0, ${this.vocabSize}], got ${reservedCount}.`);
    }
    if (!Number.isInteger(unknownId) || unknownId < 0 || unknownId >= this.vocabSize) {
      throw new RangeError(`unknownId must be an integer in [0, ${this.vocabSize}), got ${unknownId}.`);
    }
    this.pieces = vocab.pieces;
    this.scores = Float64Array.from(vocab.scores);
    this.unknownId = unknownId;
    for (let id = reservedCount; id < this.vocabSize; id++) this.trie.insert(this.pieces[id], id);
  }

  encode(text: string): number[] {
    return this.segment(markUp(text.normalize('NFKC'))).ids;
  }

  encodeWithOffsets(text: string): EncodedText {
    const normalized = text.normalize('NFKC');
    const { ids, starts, ends } = this.segment(markUp(normalized));
    // The marked-up text is the normalised text shifted right by the prepended '▁'.
    const spans = ids.map((_, k): [number, number] => [Math.max(0, starts[k] - 1), ends[k] - 1]);
    return { normalized, ids, spans };
  }

  pieceOf(id: number): string {
    this.checkId(id);
    return this.pieces[id];
  }

  /** The piece as a reader sees it: every '▁' shown as the space it stands for. */
  displayOf(id: number): string {
    return this.pieceOf(id).replaceAll(WORD_BOUNDARY, ' ');
  }

  private checkId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new RangeError(`Token id ${id} is outside the vocabulary [0, ${this.vocabSize}).`);
    }
  }

  /**
   * Viterbi over the piece lattice, written to match the original's decisions exactly
   * (docs/bundled-model.md, "Tokenisation"):
   * - a start where no piece matches gets a one-unit unknown edge of score 0;
   * - candidates for an end are tried in ascending start order and win ties (`>=`), so the later start
   *   wins;
   * - a best score of exactly 0 counts as unset, so any candidate replaces it — e.g. ':' (null score) is
   *   `▁` + `:` rather than the single piece `▁:` (also null score), because `▁:`'s total of 0 is
   *   overwritten by the worse `▁`,`:` path;
   * - an end no edge reaches keeps score 0 and, on the way back, is taken as one unknown unit.
   * Relaxing forward from each start in ascending order visits every end's candidates in the same order
   * as the original's backward scan, and each start's score is final before it is used.
   */
  private segment(marked: string): Segmentation {
    const length = marked.length;
    if (length === 0) return { ids: [], starts: [], ends: [] };
    const best = new Float64Array(length + 1);
    const bestId = new Int32Array(length + 1).fill(this.unknownId);
    const bestStart = new Int32Array(length + 1);
    for (let end = 1; end <= length; end++) bestStart[end] = end - 1;

    const relax = (start: number, end: number, id: number, pieceScore: number): void => {
      const score = pieceScore + best[start];
      if (best[end] === 0 || score >= best[end]) {
        best[end] = score;
        bestId[end] = id;
        bestStart[end] = start;
      }
    };

    for (let start = 0; start < length; start++) {
      let matched = false;
      let node = 0;
      for (let end = start + 1; end <= length; end++) {
        node = this.trie.step(node, marked.charCodeAt(end - 1));
        if (node < 0) break;
        const id = this.trie.pieceIdAt(node);
        if (id < 0) continue;
        matched = true;
        relax(start, end, id, this.scores[id]);
      }
      // The original's fallback edge carries score 0 whatever the unknown piece's own score is.
      if (!matched) relax(start, start + 1, this.unknownId, 0);
    }

    const ids: number[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    for (let end = length; end > 0; end = bestStart[end]) {
      const id = bestId[end];
      const last = ids.length - 1;
      // Consecutive unknowns merge into one id; its span grows to cover the whole run.
      if (id === this.unknownId && last >= 0 && ids[last] === this.unknownId) {
        starts[last] = bestStart[end];
        continue;
      }
      ids.push(id);
      starts.push(bestStart[end]);
      ends.push(end);
    }
    ids.reverse();
    starts.reverse();
    ends.reverse();
    return { ids, starts, ends };
  }
}

/** '▁' + text with every U+0020 turned into '▁'; empty stays empty (no lower-casing, no collapsing). */
function markUp(normalized: string): string {
  return normalized.length > 0 ? WORD_BOUNDARY + normalized.replaceAll(' ', WORD_BOUNDARY) : '';
}

function describeJsonValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
