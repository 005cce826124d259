/**
 * BERT's tokenizer: transformers' `BasicTokenizer` followed by `WordpieceTokenizer` (tokenization_bert.py),
 * equivalently the `BertNormalizer` + `BertPreTokenizer` + `WordPiece` pipeline of HF tokenizers:
 *
 * 1. Special tokens typed in the text (e.g. "[MASK]") are split out first, matched exactly, as HF's added
 *    tokens are.
 * 2. Clean: drop U+0000, U+FFFD and control characters (Unicode C*, except \t \n \r, which are whitespace —
 *    so "a\fb" becomes "ab"); whitespace (Zs, Zl, Zp, \t \n \r) separates words.
 * 3. CJK ideographs (the ranges of `_is_chinese_char`) become words of their own.
 * 4. NFC, then, if lower-casing, lower-case and strip accents (NFD, drop Mn marks); with `stripAccents`
 *    true accents are stripped without lower-casing.
 * 5. Every punctuation character (Unicode P*, plus ASCII symbols such as $ + < = > ^ ` | ~) is a word.
 * 6. WordPiece: greedy longest-match-first against the vocabulary, continuation pieces spelled with a
 *    "##" prefix; a word longer than 100 code points, or with any part no piece matches, becomes [UNK].
 *
 * Offsets: each normalised character remembers the span of the original character(s) it came from, so a
 * token's span covers exactly the original text it was made of — accents and case included — and
 * `normalized` is the input itself. NFC is applied per base character and its combining marks (and Hangul
 * jamo), which is what NFC of the whole text does for all but contrived inputs.
 */

import { TokenizerFormatError } from './sentencePieceUnigram';

export { TokenizerFormatError };

export interface WordPieceOptions {
  /** Lower-case the text (uncased models). */
  doLowerCase: boolean;
  /** Strip accents; null follows `doLowerCase`, as in transformers. */
  stripAccents: boolean | null;
  /** Put spaces around CJK ideographs. */
  tokenizeChineseChars: boolean;
  /** Drop control characters and turn all whitespace into word breaks (BertNormalizer `clean_text`). */
  cleanText: boolean;
  continuingSubwordPrefix: string;
  maxInputCharsPerWord: number;
  unkToken: string;
  clsToken: string;
  sepToken: string;
  padToken: string;
  maskToken: string;
  /** Further tokens split out of the text as wholes (tokenizer.json `added_tokens`). */
  extraSpecialTokens: string[];
}

export const DEFAULT_WORD_PIECE_OPTIONS: WordPieceOptions = {
  doLowerCase: true,
  stripAccents: null,
  tokenizeChineseChars: true,
  cleanText: true,
  continuingSubwordPrefix: '##',
  maxInputCharsPerWord: 100,
  unkToken: '[UNK]',
  clsToken: '[CLS]',
  sepToken: '[SEP]',
  padToken: '[PAD]',
  maskToken: '[MASK]',
  extraSpecialTokens: [],
};

export interface WordPieceSpecialIds {
  cls: number;
  sep: number;
  pad: number;
  unk: number;
  mask: number;
}

/** Tokens of one input, with where each came from; the same shape as the SentencePiece tokenizer's. */
export interface WordPieceEncoding {
  /** The input as given: BERT's normalisation is tracked per character, so spans index the original. */
  normalized: string;
  ids: number[];
  /**
   * `[start, end)` in `normalized` for each id: the original characters the token was made from. Special
   * tokens added around the text get empty spans ([CLS] at 0, [SEP] at the end); whitespace and dropped
   * characters belong to no token.
   */
  spans: Array<[start: number, end: number]>;
}

export interface EncodeOptions {
  /** Add [CLS] … [SEP] around the tokens (default true), as the model expects. */
  addSpecialTokens?: boolean;
}

/** One normalised code point and the original text span it came from. */
interface NormalizedChar {
  text: string;
  start: number;
  end: number;
}

export class WordPieceTokenizer {
  readonly vocabSize: number;
  readonly specialIds: WordPieceSpecialIds;
  readonly options: Readonly<WordPieceOptions>;
  private readonly tokens: string[];
  private readonly idByToken = new Map<string, number>();
  /** Special-token strings split out of the text, longest first. */
  private readonly splitTokens: string[];
  private readonly specialTokenIds = new Set<number>();
  private readonly stripAccents: boolean;

  /** `tokens[id]` is the token with that id (vocab.txt order). */
  constructor(tokens: readonly string[], options: Partial<WordPieceOptions> = {}) {
    const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
    const settings: WordPieceOptions = { ...DEFAULT_WORD_PIECE_OPTIONS, ...given };
    if (tokens.length === 0) throw new TokenizerFormatError('The vocabulary is empty.');
    if (!Number.isInteger(settings.maxInputCharsPerWord) || settings.maxInputCharsPerWord < 1) {
      throw new RangeError(`maxInputCharsPerWord must be a positive integer, got ${settings.maxInputCharsPerWord}.`);
    }
    this.options = settings;
    this.tokens = [...tokens];
    this.vocabSize = this.tokens.length;
    // As in transformers' load_vocab, a token listed twice keeps its later id.
    this.tokens.forEach((token, id) => this.idByToken.set(token, id));
    const idOfSpecial = (role: string, token: string): number => {
      const id = this.idByToken.get(token);
      if (id === undefined) {
        throw new TokenizerFormatError(
          `The ${role} token ${JSON.stringify(token)} is not in the vocabulary; is this a BERT vocab.txt? ` +
            '(If the model names it differently, set it in tokenizer_config.json.)',
        );
      }
      return id;
    };
    this.specialIds = {
      cls: idOfSpecial('classification', settings.clsToken),
      sep: idOfSpecial('separator', settings.sepToken),
      pad: idOfSpecial('padding', settings.padToken),
      unk: idOfSpecial('unknown', settings.unkToken),
      mask: idOfSpecial('mask', settings.maskToken),
    };
    const special = new Set([
      settings.clsToken,
      settings.sepToken,
      settings.padToken,
      settings.unkToken,
      settings.maskToken,
      ...settings.extraSpecialTokens,
    ]);
    for (const token of special) {
      const id = this.idByToken.get(token);
      if (id === undefined) throw new TokenizerFormatError(`Special token ${JSON.stringify(token)} is not in the vocabulary.`);
      this.specialTokenIds.add(id);
    }
    this.splitTokens = [...special].filter((token) => token !== '').sort((a, b) => b.length - a.length);
    this.stripAccents = settings.stripAccents ?? settings.doLowerCase;
  }

  /** Ids with [CLS] … [SEP]. */
  encode(text: string, options: EncodeOptions = {}): number[] {
    return this.encodeWithOffsets(text, options).ids;
  }

  /** The WordPiece tokens of the text as strings, without [CLS]/[SEP]. */
  tokenize(text: string): string[] {
    return this.encode(text, { addSpecialTokens: false }).map((id) => this.tokens[id]);
  }

  encodeWithOffsets(text: string, options: EncodeOptions = {}): WordPieceEncoding {
    const ids: number[] = [];
    const spans: Array<[number, number]> = [];
    const addSpecial = options.addSpecialTokens ?? true;
    if (addSpecial) {
      ids.push(this.specialIds.cls);
      spans.push([0, 0]);
    }
    let segmentStart = 0;
    for (const [start, token] of this.findSpecialTokens(text)) {
      this.encodeSegment(text, segmentStart, start, ids, spans);
      ids.push(this.idByToken.get(token) as number);
      spans.push([start, start + token.length]);
      segmentStart = start + token.length;
    }
    this.encodeSegment(text, segmentStart, text.length, ids, spans);
    if (addSpecial) {
      ids.push(this.specialIds.sep);
      spans.push([text.length, text.length]);
    }
    return { normalized: text, ids, spans };
  }

  pieceOf(id: number): string {
    this.checkId(id);
    return this.tokens[id];
  }

  idOf(token: string): number | undefined {
    return this.idByToken.get(token);
  }

  isSpecial(id: number): boolean {
    return this.specialTokenIds.has(id);
  }

  /**
   * The token as a reader sees it, in the app's convention (loadedModel.ts `TextTokenizer`): a piece that
   * starts a word gets a leading space, like SentencePiece's '▁'; a continuation piece loses its '##';
   * special tokens are shown as they are ("[CLS]").
   */
  displayOf(id: number): string {
    const piece = this.pieceOf(id);
    if (this.specialTokenIds.has(id)) return piece;
    const prefix = this.options.continuingSubwordPrefix;
    return piece.startsWith(prefix) && piece.length > prefix.length ? piece.slice(prefix.length) : ` ${piece}`;
  }

  private checkId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new RangeError(`Token id ${id} is outside the vocabulary [0, ${this.vocabSize}).`);
    }
  }

  /** Leftmost, then longest, exact occurrences of special tokens, not overlapping. */
  private findSpecialTokens(text: string): Array<[number, string]> {
    const found: Array<[number, string]> = [];
    let from = 0;
    while (from < text.length) {
      let best: [number, string] | null = null;
      for (const token of this.splitTokens) {
        const at = text.indexOf(token, from);
        if (at >= 0 && (best === null || at < best[0])) best = [at, token];
      }
      if (best === null) break;
      found.push(best);
      from = best[0] + best[1].length;
    }
    return found;
  }

  private encodeSegment(text: string, from: number, to: number, ids: number[], spans: Array<[number, number]>): void {
    for (const word of this.basicTokenize(text, from, to)) this.wordPiece(word, ids, spans);
  }

  /** BasicTokenizer over text[from, to): words of normalised characters with their original spans. */
  private basicTokenize(text: string, from: number, to: number): NormalizedChar[][] {
    const { cleanText, tokenizeChineseChars } = this.options;
    const rawWords: NormalizedChar[][] = [];
    let word: NormalizedChar[] = [];
    const endWord = () => {
      if (word.length > 0) rawWords.push(word);
      word = [];
    };
    for (let i = from; i < to; ) {
      const cp = text.codePointAt(i) as number;
      const end = Math.min(to, i + (cp > 0xffff ? 2 : 1));
      const char = text.slice(i, end);
      if (cleanText && (cp === 0 || cp === 0xfffd || isControl(char))) {
        // Dropped without a break: "a\u0000b" is one word, as in `_clean_text`.
      } else if (isWhitespace(char)) {
        endWord();
      } else if (tokenizeChineseChars && isChineseChar(cp)) {
        endWord();
        rawWords.push([{ text: char, start: i, end }]);
      } else {
        word.push({ text: char, start: i, end });
      }
      i = end;
    }
    endWord();

    const words: NormalizedChar[][] = [];
    for (const raw of rawWords) {
      let normalized = composeNfc(raw);
      if (this.options.doLowerCase) normalized = lowerCase(normalized);
      if (this.stripAccents) normalized = removeAccents(normalized);
      splitOnPunctuation(normalized, words);
    }
    return words;
  }

  /** Greedy longest-match-first (`WordpieceTokenizer.tokenize`); the whole word is [UNK] if any part fails. */
  private wordPiece(word: NormalizedChar[], ids: number[], spans: Array<[number, number]>): void {
    const wordSpan: [number, number] = [word[0].start, word[word.length - 1].end];
    if (word.length > this.options.maxInputCharsPerWord) {
      ids.push(this.specialIds.unk);
      spans.push(wordSpan);
      return;
    }
    const prefix = this.options.continuingSubwordPrefix;
    // Code-point boundaries in the joined word, so candidates are plain string slices.
    const joined = word.map((char) => char.text).join('');
    const boundary = [0];
    for (const char of word) boundary.push(boundary[boundary.length - 1] + char.text.length);
    const pieceIds: number[] = [];
    const pieceSpans: Array<[number, number]> = [];
    for (let start = 0; start < word.length; ) {
      let matchedEnd = -1;
      let matchedId = -1;
      for (let end = word.length; end > start; end--) {
        const candidate = joined.slice(boundary[start], boundary[end]);
        const id = this.idByToken.get(start > 0 ? prefix + candidate : candidate);
        if (id !== undefined) {
          matchedEnd = end;
          matchedId = id;
          break;
        }
      }
      if (matchedId < 0) {
        ids.push(this.specialIds.unk);
        spans.push(wordSpan);
        return;
      }
      pieceIds.push(matchedId);
      pieceSpans.push([word[start].start, word[matchedEnd - 1].end]);
      start = matchedEnd;
    }
    ids.push(...pieceIds);
    spans.push(...pieceSpans);
  }
}

/** vocab.txt: one token per line, id = line number (transformers' `load_vocab`). */
export function parseVocabTxt(text: string): string[] {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const lines = body.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  // A final newline ends the last line rather than starting an empty token.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new TokenizerFormatError('vocab.txt is empty: expected one token per line.');
  if (lines[0].startsWith('{') || lines[0].startsWith('<')) {
    throw new TokenizerFormatError(
      `vocab.txt starts with ${JSON.stringify(lines[0].slice(0, 30))}; expected one token per line ` +
        '(got JSON or an HTML page instead?).',
    );
  }
  return lines;
}

/** What tokenizer_config.json says about a BERT tokenizer; absent keys stay undefined. */
export interface TokenizerConfigSettings {
  doLowerCase?: boolean;
  stripAccents?: boolean | null;
  tokenizeChineseChars?: boolean;
  unkToken?: string;
  clsToken?: string;
  sepToken?: string;
  padToken?: string;
  maskToken?: string;
}

export function parseTokenizerConfig(json: unknown): TokenizerConfigSettings {
  if (!isRecord(json)) throw new TokenizerFormatError('tokenizer_config.json must be a JSON object.');
  const settings: TokenizerConfigSettings = {};
  const flag = (key: string): boolean | undefined => {
    const value = json[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') {
      throw new TokenizerFormatError(`tokenizer_config.json: ${key} must be true or false, but is ${describe(value)}.`);
    }
    return value;
  };
  const doLowerCase = flag('do_lower_case');
  if (doLowerCase !== undefined) settings.doLowerCase = doLowerCase;
  const chinese = flag('tokenize_chinese_chars');
  if (chinese !== undefined) settings.tokenizeChineseChars = chinese;
  if (json.strip_accents !== undefined) {
    if (json.strip_accents !== null && typeof json.strip_accents !== 'boolean') {
      throw new TokenizerFormatError(
        `tokenizer_config.json: strip_accents must be true, false or null, but is ${describe(json.strip_accents)}.`,
      );
    }
    settings.stripAccents = json.strip_accents;
  }
  const tokenKeys = [
    ['unk_token', 'unkToken'],
    ['cls_token', 'clsToken'],
    ['sep_token', 'sepToken'],
    ['pad_token', 'padToken'],
    ['mask_token', 'maskToken'],
  ] as const;
  for (const [key, field] of tokenKeys) {
    const value = json[key];
    if (value === undefined || value === null) continue;
    // Written either as a string or as an AddedToken object {"content": "[CLS]", ...}.
    const content = isRecord(value) ? value.content : value;
    if (typeof content !== 'string' || content === '') {
      throw new TokenizerFormatError(`tokenizer_config.json: ${key} must be a token string, but is ${describe(value)}.`);
    }
    settings[field] = content;
  }
  return settings;
}

export interface WordPieceSourceOptions {
  /** Parsed tokenizer_config.json; its settings win over everything else. */
  tokenizerConfig?: unknown;
  /** Used when tokenizer_config.json does not say (vocab.txt only); default true, as transformers'. */
  doLowerCase?: boolean;
}

/** A tokenizer from vocab.txt, set up by tokenizer_config.json when given, else by the caller. */
export function wordPieceFromVocabTxt(vocabTxt: string, options: WordPieceSourceOptions = {}): WordPieceTokenizer {
  const settings = options.tokenizerConfig === undefined ? {} : parseTokenizerConfig(options.tokenizerConfig);
  return new WordPieceTokenizer(parseVocabTxt(vocabTxt), {
    doLowerCase: options.doLowerCase ?? DEFAULT_WORD_PIECE_OPTIONS.doLowerCase,
    ...settings,
  });
}

/**
 * A tokenizer from HF tokenizers' tokenizer.json (model.type "WordPiece"). As transformers'
 * `BertTokenizerFast` does, settings in tokenizer_config.json (when given) override the normalizer's.
 */
export function wordPieceFromTokenizerJson(
  json: unknown,
  options: Pick<WordPieceSourceOptions, 'tokenizerConfig'> = {},
): WordPieceTokenizer {
  if (!isRecord(json)) throw new TokenizerFormatError('tokenizer.json must be a JSON object.');
  const model = json.model;
  if (!isRecord(model)) throw new TokenizerFormatError('tokenizer.json has no "model" object.');
  if (model.type !== 'WordPiece') {
    throw new TokenizerFormatError(
      `tokenizer.json's model is ${describe(model.type)}; only WordPiece (BERT) tokenizers are supported here.`,
    );
  }
  const tokens = parseWordPieceVocab(model.vocab);
  const addedSpecial = parseAddedTokens(json.added_tokens, tokens);
  const normalizer = parseNormalizer(json.normalizer);
  checkPreTokenizer(json.pre_tokenizer);
  const unkToken = model.unk_token ?? DEFAULT_WORD_PIECE_OPTIONS.unkToken;
  const prefix = model.continuing_subword_prefix ?? DEFAULT_WORD_PIECE_OPTIONS.continuingSubwordPrefix;
  const maxChars = model.max_input_chars_per_word ?? DEFAULT_WORD_PIECE_OPTIONS.maxInputCharsPerWord;
  if (typeof unkToken !== 'string' || unkToken === '') {
    throw new TokenizerFormatError(`tokenizer.json: model.unk_token must be a string, but is ${describe(unkToken)}.`);
  }
  if (typeof prefix !== 'string' || prefix === '') {
    throw new TokenizerFormatError(
      `tokenizer.json: model.continuing_subword_prefix must be a non-empty string, but is ${describe(prefix)}.`,
    );
  }
  if (typeof maxChars !== 'number' || !Number.isInteger(maxChars) || maxChars < 1) {
    throw new TokenizerFormatError(
      `tokenizer.json: model.max_input_chars_per_word must be a positive integer, but is ${describe(maxChars)}.`,
    );
  }
  const settings = options.tokenizerConfig === undefined ? {} : parseTokenizerConfig(options.tokenizerConfig);
  return new WordPieceTokenizer(tokens, {
    ...normalizer,
    unkToken,
    continuingSubwordPrefix: prefix,
    maxInputCharsPerWord: maxChars,
    extraSpecialTokens: addedSpecial,
    ...settings,
  });
}

/** model.vocab: token → id, ids exactly 0 … n−1. */
function parseWordPieceVocab(raw: unknown): string[] {
  if (!isRecord(raw)) throw new TokenizerFormatError('tokenizer.json: model.vocab must be an object of token → id.');
  const entries = Object.entries(raw);
  if (entries.length === 0) throw new TokenizerFormatError('tokenizer.json: model.vocab is empty.');
  const tokens = new Array<string | undefined>(entries.length).fill(undefined);
  for (const [token, id] of entries) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= entries.length) {
      throw new TokenizerFormatError(
        `tokenizer.json: model.vocab gives ${JSON.stringify(token)} id ${describe(id)}; ids must be 0 … ` +
          `${entries.length - 1} (one per token).`,
      );
    }
    const previous = tokens[id];
    if (previous !== undefined) {
      throw new TokenizerFormatError(
        `tokenizer.json: model.vocab gives id ${id} to both ${JSON.stringify(previous)} and ${JSON.stringify(token)}.`,
      );
    }
    tokens[id] = token;
  }
  return tokens as string[];
}

/** added_tokens must agree with the vocabulary (or extend it); returns the ones split out of the text. */
function parseAddedTokens(raw: unknown, tokens: string[]): string[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new TokenizerFormatError('tokenizer.json: added_tokens must be an array.');
  const added: string[] = [];
  for (const entry of raw as unknown[]) {
    if (!isRecord(entry) || typeof entry.content !== 'string' || typeof entry.id !== 'number') {
      throw new TokenizerFormatError(`tokenizer.json: every added_tokens entry needs "id" and "content", got ${describe(entry)}.`);
    }
    const { id, content } = entry;
    if (!Number.isInteger(id) || id < 0) {
      throw new TokenizerFormatError(`tokenizer.json: added token ${JSON.stringify(content)} has invalid id ${id}.`);
    }
    if (id < tokens.length && tokens[id] !== content) {
      throw new TokenizerFormatError(
        `tokenizer.json: added token ${JSON.stringify(content)} has id ${id}, which the vocabulary gives to ` +
          `${JSON.stringify(tokens[id])}.`,
      );
    }
    if (id > tokens.length) {
      throw new TokenizerFormatError(
        `tokenizer.json: added token ${JSON.stringify(content)} has id ${id}, leaving a gap after the ` +
          `${tokens.length}-token vocabulary.`,
      );
    }
    if (id === tokens.length) tokens.push(content);
    added.push(content);
  }
  return added;
}

type NormalizerSettings = Pick<WordPieceOptions, 'doLowerCase' | 'stripAccents' | 'tokenizeChineseChars' | 'cleanText'>;

function parseNormalizer(raw: unknown): NormalizerSettings {
  const none: NormalizerSettings = { doLowerCase: false, stripAccents: false, tokenizeChineseChars: false, cleanText: false };
  if (raw === undefined || raw === null) return none;
  if (!isRecord(raw)) throw new TokenizerFormatError('tokenizer.json: normalizer must be an object or null.');
  const steps = raw.type === 'Sequence' ? raw.normalizers : [raw];
  if (!Array.isArray(steps)) throw new TokenizerFormatError('tokenizer.json: a Sequence normalizer needs "normalizers".');
  const settings = { ...none };
  let decomposed = false;
  for (const step of steps as unknown[]) {
    const type = isRecord(step) ? step.type : undefined;
    if (!isRecord(step)) throw new TokenizerFormatError('tokenizer.json: every normalizer must be an object.');
    if (type === 'BertNormalizer') {
      settings.cleanText = step.clean_text !== false;
      settings.tokenizeChineseChars = step.handle_chinese_chars !== false;
      settings.doLowerCase = step.lowercase !== false;
      const strip = step.strip_accents;
      if (strip !== undefined && strip !== null && typeof strip !== 'boolean') {
        throw new TokenizerFormatError(`tokenizer.json: BertNormalizer strip_accents must be true, false or null.`);
      }
      settings.stripAccents = strip ?? null;
    } else if (type === 'Lowercase') {
      settings.doLowerCase = true;
    } else if (type === 'StripAccents') {
      settings.stripAccents = true;
    } else if (type === 'NFD') {
      decomposed = true;
    } else if (type !== 'NFC') {
      throw new TokenizerFormatError(
        `tokenizer.json: normalizer ${describe(type)} is not supported; BERT tokenizers use BertNormalizer ` +
          '(or NFD/Lowercase/StripAccents).',
      );
    }
  }
  if (decomposed && settings.stripAccents !== true) {
    throw new TokenizerFormatError('tokenizer.json: an NFD normalizer without StripAccents is not supported.');
  }
  return settings;
}

function checkPreTokenizer(raw: unknown): void {
  const type = isRecord(raw) ? raw.type : raw;
  if (type !== 'BertPreTokenizer') {
    throw new TokenizerFormatError(
      `tokenizer.json: pre_tokenizer ${describe(type)} is not supported; BERT tokenizers split words with ` +
        'BertPreTokenizer.',
    );
  }
}

const CONTROL = /^\p{C}$/u;
const SPACE_SEPARATOR = /^[\p{Zs}\p{Zl}\p{Zp}]$/u;
const PUNCTUATION = /^\p{P}$/u;
const COMBINING = /^\p{M}$/u;
const NONSPACING_MARKS = /\p{Mn}/gu;

function isControl(char: string): boolean {
  return char !== '\t' && char !== '\n' && char !== '\r' && CONTROL.test(char);
}

/** \t \n \r and space separators; line and paragraph separators too, as Python's str.split() breaks on them. */
function isWhitespace(char: string): boolean {
  return char === ' ' || char === '\t' || char === '\n' || char === '\r' || SPACE_SEPARATOR.test(char);
}

/** The CJK Unified Ideographs blocks of transformers' `_is_chinese_char` (not kana or hangul). */
function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/** ASCII symbols count as punctuation in BERT, whatever their Unicode category (`_is_punctuation`). */
function isPunctuation(char: string): boolean {
  const cp = char.codePointAt(0) as number;
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) {
    return true;
  }
  return PUNCTUATION.test(char);
}

/** Hangul jamo that NFC composes onto the preceding syllable (medial vowels and final consonants). */
function isHangulFollower(cp: number): boolean {
  return (cp >= 0x1161 && cp <= 0x1175) || (cp >= 0x11a8 && cp <= 0x11c2);
}

/**
 * NFC per cluster (a character and the combining marks after it): the composed characters all take the
 * cluster's span.
 */
function composeNfc(word: NormalizedChar[]): NormalizedChar[] {
  const out: NormalizedChar[] = [];
  for (let i = 0; i < word.length; ) {
    let j = i + 1;
    while (j < word.length && (COMBINING.test(word[j].text) || isHangulFollower(word[j].text.codePointAt(0) as number))) j++;
    const cluster = j === i + 1 ? word[i].text : word.slice(i, j).map((char) => char.text).join('');
    const composed = cluster.normalize('NFC');
    if (j === i + 1 && composed === cluster) {
      out.push(word[i]);
    } else {
      for (const char of composed) out.push({ text: char, start: word[i].start, end: word[j - 1].end });
    }
    i = j;
  }
  return out;
}

/**
 * Lower-cases per character, but takes the result from lower-casing the whole word when the lengths agree,
 * so context-dependent mappings (a word-final Σ → ς) come out as Python's `str.lower()` gives them.
 */
function lowerCase(word: NormalizedChar[]): NormalizedChar[] {
  const lowered = word.map((char) => char.text.toLowerCase());
  const whole = word.map((char) => char.text).join('').toLowerCase();
  const useWhole = lowered.reduce((total, text) => total + text.length, 0) === whole.length;
  const out: NormalizedChar[] = [];
  let at = 0;
  word.forEach((char, k) => {
    const text = useWhole ? whole.slice(at, at + lowered[k].length) : lowered[k];
    at += lowered[k].length;
    for (const piece of text) out.push({ text: piece, start: char.start, end: char.end });
  });
  return out;
}

/** `_run_strip_accents`: NFD, then drop non-spacing marks (Mn). */
function removeAccents(word: NormalizedChar[]): NormalizedChar[] {
  const out: NormalizedChar[] = [];
  for (const char of word) {
    if (char.text.charCodeAt(0) < 0x80) {
      out.push(char);
      continue;
    }
    const stripped = char.text.normalize('NFD').replace(NONSPACING_MARKS, '');
    for (const piece of stripped) out.push({ text: piece, start: char.start, end: char.end });
  }
  return out;
}

/** `_run_split_on_punc`: every punctuation character becomes a word of its own. */
function splitOnPunctuation(word: NormalizedChar[], words: NormalizedChar[][]): void {
  let current: NormalizedChar[] = [];
  for (const char of word) {
    if (isPunctuation(char.text)) {
      if (current.length > 0) words.push(current);
      words.push([char]);
      current = [];
    } else {
      current.push(char);
    }
  }
  if (current.length > 0) words.push(current);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'object') return 'an object';
  return String(value);
}
