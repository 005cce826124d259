import { describe, expect, it } from 'vitest';
import { useLiteCandidatePolicy } from '../../../src/model/bundled/useLite';
import { makeEmbeddingTable } from '../../../src/model/embeddingTable';
import { candidateIdsOf, checkCandidateIds, choosePlainTokens, plainTokensForExample } from '../../../src/rapt/plainTokens';

// The USE-Lite candidate list, from the real policy on a table of the real shape (8002 rows, 1-d values).
const useLiteTable = makeEmbeddingTable(new Float32Array(8002), 8002, 1, useLiteCandidatePolicy);
const candidates = candidateIdsOf(useLiteTable);
const special = new Set(useLiteCandidatePolicy.excluded.flatMap((g) => g.ids));

describe('candidateIdsOf', () => {
  it('lists exactly the candidate ids of the model, ascending', () => {
    expect(candidates.length).toBe(8002 - special.size);
    expect(candidates[0]).toBe(6);
    expect(candidates[candidates.length - 1]).toBe(7999);
    expect([...candidates].some((id) => special.has(id))).toBe(false);
    expect(candidateIdsOf(useLiteTable, 100).length).toBe(94);
  });
});

describe('choosePlainTokens (RAPT: one fixed sequence per run)', () => {
  it('is deterministic in the seed and differs across seeds', () => {
    const a = choosePlainTokens(2305, 40, candidates);
    expect(choosePlainTokens(2305, 40, candidates)).toEqual(a);
    expect(choosePlainTokens(2306, 40, candidates)).not.toEqual(a);
  });

  it('draws m distinct candidates, never a special token', () => {
    for (let seed = 0; seed < 50; seed++) {
      const k = choosePlainTokens(seed, 40, candidates);
      expect(k.length).toBe(40);
      expect(new Set(k).size).toBe(40);
      for (const id of k) {
        expect(special.has(id)).toBe(false);
        expect(useLiteTable.candidate[id]).toBe(1);
      }
    }
  });

  it('accepts number[] candidates and can use all of them', () => {
    const all = choosePlainTokens(1, 5, [10, 20, 30, 40, 50]);
    expect([...all].sort((a, b) => a - b)).toEqual([10, 20, 30, 40, 50]);
    expect(choosePlainTokens(1, 0, [10]).length).toBe(0);
  });

  it('is not the same stream as the per-example variant or the soft-prompt ids', () => {
    const fixed = choosePlainTokens(7, 40, candidates);
    for (let example = 0; example < 20; example++) expect(plainTokensForExample(7, example, 40, candidates)).not.toEqual(fixed);
  });

  it('rejects impossible requests and bad candidate lists', () => {
    expect(() => choosePlainTokens(1, 6, [1, 2, 3, 4, 5])).toThrow(/cannot choose 6/);
    expect(() => choosePlainTokens(1, -1, candidates)).toThrow(RangeError);
    expect(() => choosePlainTokens(1, 1, [])).toThrow(/no candidate/);
    expect(() => choosePlainTokens(1, 1, [3, 3])).toThrow(/twice/);
    expect(() => choosePlainTokens(1, 1, [1.5])).toThrow(/not a token id/);
    expect(() => choosePlainTokens(-1, 1, [1])).toThrow(RangeError);
    expect(checkCandidateIds(candidates)).toBe(checkCandidateIds(candidates)); // validated once, cached
  });
});

describe('plainTokensForExample (our variant: resampled per example)', () => {
  it('is deterministic per (seed, example) and differs across examples and seeds', () => {
    const a = plainTokensForExample(11, 0, 40, candidates);
    expect(plainTokensForExample(11, 0, 40, candidates)).toEqual(a);
    const seen = new Set<string>();
    for (let example = 0; example < 200; example++) seen.add(plainTokensForExample(11, example, 40, candidates).join(','));
    expect(seen.size).toBe(200);
    expect(plainTokensForExample(12, 0, 40, candidates)).not.toEqual(a);
    // split bases (userSide.ts) give different sequences for dev example 0 and train example 0
    expect(plainTokensForExample(11, 0x10000000, 40, candidates)).not.toEqual(a);
  });

  it('samples without replacement within a sequence and never a special token', () => {
    for (let example = 0; example < 300; example++) {
      const k = plainTokensForExample(3, example, 40, candidates);
      expect(new Set(k).size).toBe(40);
      for (const id of k) expect(special.has(id)).toBe(false);
    }
  });

  it('is roughly uniform over the candidates', () => {
    const small = [6, 7, 8, 9, 10, 11, 12, 13];
    const counts = new Map<number, number>();
    for (let example = 0; example < 4000; example++) for (const id of plainTokensForExample(5, example, 2, small)) counts.set(id, (counts.get(id) ?? 0) + 1);
    for (const id of small) expect(Math.abs((counts.get(id) ?? 0) - 1000)).toBeLessThan(130); // sd ≈ 29
  });

  it('rejects bad example numbers', () => {
    expect(() => plainTokensForExample(1, -1, 2, candidates)).toThrow(RangeError);
    expect(() => plainTokensForExample(1, 0xffffffff, 2, candidates)).toThrow(RangeError);
    expect(() => plainTokensForExample(1, 1.5, 2, candidates)).toThrow(RangeError);
  });
});
