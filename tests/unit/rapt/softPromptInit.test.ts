import { describe, expect, it } from 'vitest';
import { useLiteCandidatePolicy } from '../../../src/model/bundled/useLite';
import { makeEmbeddingTable } from '../../../src/model/embeddingTable';
import { initialSoftPrompt, PEFT_METHODS, softPromptInitIds, type PeftMethod } from '../../../src/peft/softPrompt';
import { candidateIdsOf, choosePlainTokens } from '../../../src/rapt/plainTokens';

const V = 8002;
const candidates = candidateIdsOf(makeEmbeddingTable(new Float32Array(V), V, 1, useLiteCandidatePolicy));
const special = new Set(useLiteCandidatePolicy.excluded.flatMap((g) => g.ids));

describe('softPromptInitIds', () => {
  it('draws N distinct non-special candidates, deterministically per seed', () => {
    const ids = softPromptInitIds(2305, 150, candidates);
    expect(ids.length).toBe(150);
    expect(new Set(ids).size).toBe(150);
    expect([...ids].some((id) => special.has(id))).toBe(false);
    expect(softPromptInitIds(2305, 150, candidates)).toEqual(ids);
    expect(softPromptInitIds(2306, 150, candidates)).not.toEqual(ids);
  });

  it('uses its own stream: not the plain tokens of the same seed', () => {
    expect(softPromptInitIds(9, 40, candidates)).not.toEqual(choosePlainTokens(9, 40, candidates));
  });

  it('rejects N < 1, N > |candidates| and bad candidates', () => {
    expect(() => softPromptInitIds(1, 0, candidates)).toThrow(RangeError);
    expect(() => softPromptInitIds(1, 3, [7, 8])).toThrow(/cannot choose 3/);
    expect(() => softPromptInitIds(1, 1, [7, 7])).toThrow(RangeError);
  });
});

describe('initialSoftPrompt', () => {
  const dim = 3;
  const data = Float32Array.from({ length: 5 * dim }, (_, i) => i * 0.5); // E[v][j] = (3v + j) / 2

  it('returns scale · E[id] rows, [N, d] row-major', () => {
    const p = initialSoftPrompt({ data, vocabSize: 5, dim }, [4, 0, 2], 2);
    expect([...p]).toEqual([12, 13, 14, 0, 1, 2, 6, 7, 8]);
  });

  it('reads padded tables through stride (EmbeddingTable.rows)', () => {
    const table = makeEmbeddingTable(data, 5, dim, { excluded: [] });
    const p = initialSoftPrompt({ data: table.rows, vocabSize: 5, dim: table.dim, stride: table.dimVec4 * 4 }, [1, 3], 1);
    expect([...p]).toEqual([1.5, 2, 2.5, 4.5, 5, 5.5]);
  });

  it('rejects ids outside the table and bad shapes', () => {
    expect(() => initialSoftPrompt({ data, vocabSize: 5, dim }, [5], 1)).toThrow(/outside/);
    expect(() => initialSoftPrompt({ data, vocabSize: 6, dim }, [0], 1)).toThrow(/too few/);
    expect(() => initialSoftPrompt({ data, vocabSize: 5, dim, stride: 2 }, [0], 1)).toThrow(RangeError);
  });

  it('names prompt tuning as the only PEFT method for now', () => {
    const m: PeftMethod = 'prompt-tuning';
    expect(PEFT_METHODS).toEqual([m]);
  });
});
