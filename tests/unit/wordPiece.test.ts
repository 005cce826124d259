import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TextTokenizer } from '../../src/model/loadedModel';
import {
  TokenizerFormatError,
  WordPieceTokenizer,
  parseTokenizerConfig,
  parseVocabTxt,
  wordPieceFromTokenizerJson,
  wordPieceFromVocabTxt,
} from '../../src/model/tokenizer/wordPiece';

interface Reference {
  sentences: Array<{ text: string; tokens: string[]; ids: number[]; length: number }>;
}

const fixtureDir = new URL('../fixtures/tiny-bert/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, fixtureDir), 'utf8');
const reference = JSON.parse(read('reference.json')) as Reference;
const vocabTxt = read('vocab.txt');
const tokenizerConfig: unknown = JSON.parse(read('tokenizer_config.json'));
const tokenizerJson = JSON.parse(read('tokenizer.json')) as Record<string, unknown>;
const tokenizer = wordPieceFromVocabTxt(vocabTxt, { tokenizerConfig });

/** Strings with every rule of the basic tokenizer in play; expected ids come from the vocab.txt path. */
const EXTRA_TEXTS = [
  '',
  '   ',
  'Hello\u00a0world\u3000the\u2028cat\r\nsat',
  'He\u0301llo CAFE\u0301 caf\u00e9',
  'hel\u0000lo wor\u200bld the\ufffdcat a\fb',
  'don\'t $5 (tree) "big"; x+y=z ~end~',
  '\u732b\u72d7 the\u732bcat \u3042\u3044',
  'jumping players walked',
  'a'.repeat(101) + ' ' + 'a'.repeat(100),
  '\ud83d\ude00 cat\ud83d\ude00',
  'the [MASK][MASK] sat [SEP] [unk]',
  '\u0130stanbul \u00c5ngstr\u00f6m \u212bngstrom',
];

function encodingOf(text: string) {
  const encoded = tokenizer.encodeWithOffsets(text);
  return encoded.ids.map((id, k) => [tokenizer.pieceOf(id), text.slice(...encoded.spans[k])]);
}

describe('WordPiece on the tiny-bert fixture', () => {
  it('matches the independent Python tokenizer on every reference sentence', () => {
    for (const sentence of reference.sentences) {
      const ids = tokenizer.encode(sentence.text);
      expect(ids, sentence.text).toEqual(sentence.ids);
      expect(ids.map((id) => tokenizer.pieceOf(id))).toEqual(sentence.tokens);
      expect(ids).toHaveLength(sentence.length);
    }
  });

  it('gives the same ids from tokenizer.json as from vocab.txt', () => {
    const fromJson = wordPieceFromTokenizerJson(tokenizerJson);
    expect(fromJson.vocabSize).toBe(tokenizer.vocabSize);
    expect(fromJson.specialIds).toEqual(tokenizer.specialIds);
    for (const text of [...reference.sentences.map((sentence) => sentence.text), ...EXTRA_TEXTS]) {
      expect(fromJson.encodeWithOffsets(text), JSON.stringify(text)).toEqual(tokenizer.encodeWithOffsets(text));
    }
  });

  it('exposes the special ids and vocabulary size', () => {
    expect(tokenizer.vocabSize).toBe(98);
    expect(tokenizer.specialIds).toEqual({ pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 });
  });

  it('has the shape of the app tokenizer interface', () => {
    const asApp: TextTokenizer = tokenizer;
    expect(asApp.encodeWithOffsets('hello').ids).toEqual([2, tokenizer.idOf('hello'), 3]);
  });

  it('maps every token back to the original characters, case and accents included', () => {
    const text = "H\u00e9llo, W\u00d6RLD! Caf\u00e9's dogs\u2026";
    const encoded = tokenizer.encodeWithOffsets(text);
    expect(encoded.normalized).toBe(text);
    expect(encodingOf(text)).toEqual([
      ['[CLS]', ''],
      ['hello', 'H\u00e9llo'],
      [',', ','],
      ['world', 'W\u00d6RLD'],
      ['!', '!'],
      ['cafe', 'Caf\u00e9'],
      ["'", "'"],
      ['s', 's'],
      ['dog', 'dog'],
      ['##s', 's'],
      ['[UNK]', '\u2026'],
      ['[SEP]', ''],
    ]);
    expect(encoded.spans[0]).toEqual([0, 0]);
    expect(encoded.spans[encoded.spans.length - 1]).toEqual([text.length, text.length]);
  });

  it('follows the basic tokenizer rules', () => {
    const pieces = (text: string) => tokenizer.tokenize(text);
    // No-break space, ideographic space, line separator, CRLF: all word breaks.
    expect(pieces('Hello\u00a0world\u3000the\u2028cat\r\nsat')).toEqual(['hello', 'world', 'the', 'cat', 'sat']);
    // Decomposed accents are stripped like precomposed ones; the span covers the combining mark.
    expect(pieces('He\u0301llo CAFE\u0301')).toEqual(['hello', 'cafe']);
    expect(encodingOf('He\u0301llo')[1]).toEqual(['hello', 'He\u0301llo']);
    // NUL, zero-width space (Cf), U+FFFD and form feed (Cc) are dropped without breaking the word.
    expect(pieces('hel\u0000lo wor\u200bld the\ufffdcat')).toEqual(['hello', 'world', '[UNK]']);
    expect(encodingOf('hel\u0000lo')[1]).toEqual(['hello', 'hel\u0000lo']);
    // ASCII symbols are punctuation even when Unicode calls them symbols.
    expect(pieces("don't $5 ~")).toEqual(['d', '##o', '##n', "'", 't', '$', '[UNK]', '[UNK]']);
    // CJK ideographs are words of their own; kana are not split off.
    expect(encodingOf('the\u732bcat \u3042\u3044').slice(1, -1)).toEqual([
      ['the', 'the'],
      ['[UNK]', '\u732b'],
      ['cat', 'cat'],
      ['[UNK]', '\u3042\u3044'],
    ]);
    // Greedy longest match with continuation pieces.
    expect(pieces('jumping players')).toEqual(['jump', '##ing', 'play', '##er', '##s']);
    expect(encodingOf('jumping').slice(1, -1)).toEqual([
      ['jump', 'jump'],
      ['##ing', 'ing'],
    ]);
    // Over 100 characters a word is unknown without trying; at 100 it is split.
    expect(pieces('a'.repeat(101))).toEqual(['[UNK]']);
    expect(pieces('a'.repeat(100))).toEqual(['a', ...Array<string>(99).fill('##a')]);
    // A character outside the BMP is one character, and unknown.
    expect(encodingOf('cat\ud83d\ude00').slice(1, -1)).toEqual([['[UNK]', 'cat\ud83d\ude00']]);
  });

  it('keeps special tokens typed in the text, matched exactly', () => {
    expect(encodingOf('the [MASK][MASK] sat [SEP] [unk]').slice(1, -1)).toEqual([
      ['the', 'the'],
      ['[MASK]', '[MASK]'],
      ['[MASK]', '[MASK]'],
      ['sat', 'sat'],
      ['[SEP]', '[SEP]'],
      // "[unk]" is not the special token: '[' and ']' are punctuation (not in this vocabulary).
      ['[UNK]', '['],
      ['[UNK]', 'unk'],
      ['[UNK]', ']'],
    ]);
  });

  it('can leave out [CLS] and [SEP]', () => {
    expect(tokenizer.encode('hello', { addSpecialTokens: false })).toEqual([tokenizer.idOf('hello')]);
    expect(tokenizer.encodeWithOffsets('').ids).toEqual([2, 3]);
  });

  it('shows tokens for the UI: word starts with a space, continuations without ##', () => {
    expect(tokenizer.displayOf(tokenizer.idOf('hello') as number)).toBe(' hello');
    expect(tokenizer.displayOf(tokenizer.idOf('##ing') as number)).toBe('ing');
    expect(tokenizer.displayOf(tokenizer.idOf('.') as number)).toBe(' .');
    expect(tokenizer.displayOf(tokenizer.specialIds.cls)).toBe('[CLS]');
    expect(tokenizer.displayOf(tokenizer.specialIds.unk)).toBe('[UNK]');
    expect(() => tokenizer.displayOf(98)).toThrow(RangeError);
  });
});

describe('casing and accent settings', () => {
  it('takes do_lower_case from tokenizer_config.json over the caller', () => {
    const cased = wordPieceFromVocabTxt(vocabTxt, { tokenizerConfig: { do_lower_case: false }, doLowerCase: true });
    expect(cased.tokenize('Hello hello')).toEqual(['[UNK]', 'hello']);
    const fromCaller = wordPieceFromVocabTxt(vocabTxt, { doLowerCase: false });
    expect(fromCaller.tokenize('Hello')).toEqual(['[UNK]']);
    expect(wordPieceFromVocabTxt(vocabTxt).tokenize('Hello')).toEqual(['hello']);
  });

  it('keeps accents when strip_accents is false, and strips them alone when true', () => {
    const keepAccents = wordPieceFromVocabTxt(vocabTxt, { tokenizerConfig: { do_lower_case: true, strip_accents: false } });
    expect(keepAccents.tokenize('Caf\u00e9 cafe')).toEqual(['[UNK]', 'cafe']);
    const stripOnly = wordPieceFromVocabTxt(vocabTxt, { tokenizerConfig: { do_lower_case: false, strip_accents: true } });
    expect(stripOnly.tokenize('caf\u00e9 Caf\u00e9')).toEqual(['cafe', '[UNK]']);
  });

  it('lets tokenizer_config.json override the tokenizer.json normalizer, as BertTokenizerFast does', () => {
    const cased = wordPieceFromTokenizerJson(tokenizerJson, { tokenizerConfig: { do_lower_case: false } });
    expect(cased.tokenize('Hello hello')).toEqual(['[UNK]', 'hello']);
  });

  it('lower-cases a word-final sigma as Python does', () => {
    // Python: 'ΟΣΟΣ'.lower() == 'οσος' (final ς, U+03C2), but a lone 'Σ' lower-cases to 'σ' (U+03C3).
    const specials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
    const withFinal = new WordPieceTokenizer([...specials, '\u03bf\u03c3\u03bf\u03c2', '\u03c3'], {
      doLowerCase: true,
      stripAccents: false,
    });
    expect(withFinal.tokenize('\u039f\u03a3\u039f\u03a3 \u03a3')).toEqual(['\u03bf\u03c3\u03bf\u03c2', '\u03c3']);
    const withoutFinal = new WordPieceTokenizer([...specials, '\u03bf\u03c3\u03bf\u03c3'], { doLowerCase: true });
    expect(withoutFinal.tokenize('\u039f\u03a3\u039f\u03a3')).toEqual(['[UNK]']);
  });
});

describe('vocabulary and tokenizer files', () => {
  it('reads vocab.txt with CRLF line ends and a BOM', () => {
    expect(parseVocabTxt('\ufeff[PAD]\r\n[UNK]\r\nthe\r\n')).toEqual(['[PAD]', '[UNK]', 'the']);
    expect(parseVocabTxt('a\n\nb')).toEqual(['a', '', 'b']);
  });

  it('refuses what is not a vocab.txt', () => {
    expect(() => parseVocabTxt('')).toThrow(TokenizerFormatError);
    expect(() => parseVocabTxt('{"[PAD]": 0}')).toThrow(/expected one token per line \(got JSON or an HTML page instead\?\)/);
    expect(() => wordPieceFromVocabTxt('[PAD]\n[CLS]\n[SEP]\n[MASK]\nthe\n')).toThrow(
      /The unknown token "\[UNK\]" is not in the vocabulary; is this a BERT vocab.txt\?/,
    );
  });

  it('reads special token names from tokenizer_config.json, as strings or AddedToken objects', () => {
    expect(parseTokenizerConfig({ do_lower_case: false, unk_token: { content: '<unk>', lstrip: false }, mask_token: '<m>' })).toEqual({
      doLowerCase: false,
      unkToken: '<unk>',
      maskToken: '<m>',
    });
    const renamed = wordPieceFromVocabTxt('[PAD]\n<unk>\n[CLS]\n[SEP]\n[MASK]\nthe\n', {
      tokenizerConfig: { unk_token: '<unk>' },
    });
    expect(renamed.tokenize('the zebra')).toEqual(['the', '<unk>']);
    expect(() => parseTokenizerConfig({ do_lower_case: 'yes' })).toThrow(/do_lower_case must be true or false, but is "yes"/);
  });

  it('refuses tokenizer.json files it cannot reproduce', () => {
    const edit = (change: Record<string, unknown>) => ({ ...tokenizerJson, ...change });
    const model = tokenizerJson.model as Record<string, unknown>;
    expect(() => wordPieceFromTokenizerJson(edit({ model: { ...model, type: 'BPE' } }))).toThrow(
      /tokenizer.json's model is "BPE"; only WordPiece \(BERT\) tokenizers are supported here/,
    );
    expect(() => wordPieceFromTokenizerJson(edit({ model: { ...model, vocab: { '[PAD]': 0, '[UNK]': 2 } } }))).toThrow(
      /gives "\[UNK\]" id 2; ids must be 0 … 1/,
    );
    expect(() => wordPieceFromTokenizerJson(edit({ normalizer: { type: 'Replace' } }))).toThrow(/normalizer "Replace" is not supported/);
    expect(() => wordPieceFromTokenizerJson(edit({ pre_tokenizer: { type: 'ByteLevel' } }))).toThrow(
      /pre_tokenizer "ByteLevel" is not supported/,
    );
    expect(() =>
      wordPieceFromTokenizerJson(edit({ added_tokens: [{ id: 3, content: '[CLS]', special: true }] })),
    ).toThrow(/added token "\[CLS\]" has id 3, which the vocabulary gives to "\[SEP\]"/);
  });

  it('accepts a Sequence of NFD, Lowercase and StripAccents as uncased BERT', () => {
    const sequence = wordPieceFromTokenizerJson({
      ...tokenizerJson,
      normalizer: { type: 'Sequence', normalizers: [{ type: 'NFD' }, { type: 'Lowercase' }, { type: 'StripAccents' }] },
    });
    expect(sequence.tokenize('Caf\u00e9 WORLD')).toEqual(['cafe', 'world']);
  });
});
