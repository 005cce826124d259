// The user/service boundary (rapt-method.md §1): what the service receives holds no raw text and, with
// noise, no clean token ids of the text; and the service's entry point refuses anything else.

import { describe, expect, it, vi } from 'vitest';
import type { Privatizer } from '../../../src/privacy/privatize';
import { philox4x32 } from '../../../src/privacy/random/philox';
import type { TokenRow } from '../../../src/privacy/tokenRows';
import { acceptServiceDataset, BoundaryError, exampleLengths, toService, type ServiceDataset } from '../../../src/rapt/serviceSide';
import { choosePlainTokens } from '../../../src/rapt/plainTokens';
import {
  exampleNumber,
  privatizeLabelledExamples,
  ROWS_PER_CALL,
  SPLIT_EXAMPLE_BASE,
  type PrivatizeFn,
  type PrivatizedDataset,
} from '../../../src/rapt/userSide';

// Words (all of ≥ 3 letters) that occur nowhere in the service dataset's field names or split names.
const TEXTS = [
  { text: 'the quiet harbour smelled like seaweed and diesel', label: 1 },
  { text: 'margaret never forgave the orchestra for its tempo', label: 0 },
  { text: 'penguins waddled across frozen gravel beneath lanterns', label: 1 },
  { text: 'one unbearably tedious sequel with wooden dialogue', label: 0 },
  { text: 'glorious photography rescues the muddled screenplay somehow', label: 1 },
];
const WORDS = [...new Set(TEXTS.flatMap((t) => t.text.split(' ')))].sort();
if (WORDS.some((w) => !/^[a-z]{3,}$/.test(w))) throw new Error('test texts must use words of ≥ 3 letters');
const V = 2000; // ids 0..5 special, words from 10, candidates 6..1999
const SPECIAL = new Set([0, 1, 2, 3, 4, 5]);
const CANDIDATES = Array.from({ length: V - 6 }, (_, i) => i + 6);
const tokenize = (text: string): number[] => text.split(' ').map((w) => 10 + WORDS.indexOf(w));

/**
 * A fake privatizer: a pure function of (id, example, position, seed) — like the real one — that never
 * returns the input id, and records the rows it was given.
 */
function fakePrivatizer(): PrivatizeFn & { calls: { rows: TokenRow[]; invEta: number; seed: number }[] } {
  const calls: { rows: TokenRow[]; invEta: number; seed: number }[] = [];
  const fn = async (rows: readonly TokenRow[], o: { invEta: number; seed: number }) => {
    calls.push({ rows: rows.slice(), invEta: o.invEta, seed: o.seed });
    const ids = Uint32Array.from(rows, (r) => {
      const h = philox4x32(r.id, r.example, r.position, r.draw, o.seed, 0)[0];
      const out = 6 + (h % (V - 6));
      return out === r.id ? 6 + ((out - 6 + 1) % (V - 6)) : out;
    });
    return { ids };
  };
  return Object.assign(fn, { calls });
}

const plain = { kind: 'fixed' as const, tokens: choosePlainTokens(5, 8, CANDIDATES) };
const base = { eta: 50, seed: 2305, split: 'train' as const, plain, maxTokens: 64 };

/** True if `needle` occurs as a contiguous run in `hay`. */
function containsRun(hay: ArrayLike<number>, needle: readonly number[]): boolean {
  outer: for (let s = 0; s + needle.length <= hay.length; s++) {
    for (let j = 0; j < needle.length; j++) if (hay[s + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

function expectNoText(json: string): void {
  const lower = json.toLowerCase();
  for (const { text } of TEXTS) expect(lower).not.toContain(text);
  for (const word of WORDS) expect(lower, word).not.toContain(word);
}

describe('user side: privatizeLabelledExamples', () => {
  it('privatises [plain; text] together at positions 0..m−1 and m.., with split-based example numbers', async () => {
    const privatize = fakePrivatizer();
    const ds = await privatizeLabelledExamples(privatize, tokenize, TEXTS, { ...base, split: 'dev' });
    expect(privatize.calls).toHaveLength(1);
    const { rows, invEta, seed } = privatize.calls[0];
    expect(invEta).toBeCloseTo(1 / 50, 12);
    expect(seed).toBe(2305);
    let r = 0;
    TEXTS.forEach((t, i) => {
      const clean = [...plain.tokens, ...tokenize(t.text)];
      clean.forEach((id, position) => {
        expect(rows[r++]).toEqual({ id, example: SPLIT_EXAMPLE_BASE.dev + i, position, draw: 0 });
      });
      expect(ds.examples[i].ids.length).toBe(clean.length);
      expect([...ds.examples[i].plainTargets]).toEqual([...plain.tokens]);
      expect(ds.examples[i].label).toBe(t.label);
    });
    expect(r).toBe(rows.length);
    expect(ds.plainLength).toBe(8);
    expect(ds.split).toBe('dev');
  });

  it('gives train, dev and test disjoint example numbers (noise never collides)', async () => {
    const numbers = new Map<number, string>();
    for (const split of ['train', 'dev', 'test'] as const) {
      const privatize = fakePrivatizer();
      await privatizeLabelledExamples(privatize, tokenize, TEXTS, { ...base, split });
      for (const row of privatize.calls[0].rows) {
        expect(numbers.get(row.example) ?? split).toBe(split);
        numbers.set(row.example, split);
      }
    }
    expect(exampleNumber('test', 3)).toBe(0x20000003);
    expect(() => exampleNumber('train', 0x10000000)).toThrow(RangeError);
  });

  it('gives the same ids however rows are grouped into privatizer calls', async () => {
    const many = Array.from({ length: 5000 }, (_, i) => TEXTS[i % TEXTS.length]);
    const privatize = fakePrivatizer();
    const ds = await privatizeLabelledExamples(privatize, tokenize, many, base);
    expect(privatize.calls.length).toBeGreaterThan(1);
    expect(Math.max(...privatize.calls.map((c) => c.rows.length))).toBeLessThanOrEqual(ROWS_PER_CALL);
    // each example's ids are what the privatizer gives for its own rows alone (example number = index),
    // in the first call, the last call and across the boundary between calls
    const firstCall = privatize.calls[0].rows.at(-1)!.example;
    for (const i of [0, firstCall, firstCall + 1, 4999]) {
      const clean = [...plain.tokens, ...tokenize(many[i].text)];
      const alone = await fakePrivatizer()(clean.map((id, position) => ({ id, example: i, position, draw: 0 })), { invEta: 1 / 50, seed: 2305 });
      expect([...ds.examples[i].ids]).toEqual([...alone.ids]);
    }
  });

  it('truncates the text to maxTokens after the plain tokens, and skips texts with no tokens', async () => {
    const privatize = fakePrivatizer();
    const input = [...TEXTS, { text: '', label: 0 }];
    const ds = await privatizeLabelledExamples(privatize, (t) => (t === '' ? [] : tokenize(t)), input, { ...base, maxTokens: 4 });
    expect(ds.examples.every((e) => e.ids.length === 8 + 4)).toBe(true);
    expect(ds.truncated).toBe(TEXTS.length);
    expect(ds.skipped).toEqual([{ index: 5, reason: 'the text has no tokens' }]);
    expect(ds.sourceIndices).toEqual([0, 1, 2, 3, 4]);
    expect(Math.max(...privatize.calls[0].rows.map((r) => r.position))).toBe(11);
  });

  it('per-example plain tokens: public targets differ per example and are privatised in front', async () => {
    const privatize = fakePrivatizer();
    const ds = await privatizeLabelledExamples(privatize, tokenize, TEXTS, {
      ...base,
      plain: { kind: 'per-example', seed: 99, m: 6, candidates: CANDIDATES },
    });
    expect(ds.plainLength).toBe(6);
    expect(new Set(ds.examples.map((e) => e.plainTargets.join(','))).size).toBe(TEXTS.length);
    for (const e of ds.examples) for (const id of e.plainTargets) expect(SPECIAL.has(id)).toBe(false);
    const rows = privatize.calls[0].rows;
    expect(rows.slice(0, 6).map((r) => r.id)).toEqual([...ds.examples[0].plainTargets]);
  });

  it('with no plain tokens, m = 0 and the targets are empty', async () => {
    const ds = await privatizeLabelledExamples(fakePrivatizer(), tokenize, TEXTS, { ...base, plain: { kind: 'none' } });
    expect(ds.plainLength).toBe(0);
    ds.examples.forEach((e, i) => {
      expect(e.plainTargets.length).toBe(0);
      expect(e.ids.length).toBe(tokenize(TEXTS[i].text).length);
    });
  });

  it('at η = ∞ keeps the clean ids and never calls the privatizer', async () => {
    const privatize = vi.fn<PrivatizeFn>(async () => {
      throw new Error('must not be called');
    });
    const ds = await privatizeLabelledExamples(privatize, tokenize, TEXTS, { ...base, eta: Infinity });
    expect(privatize).not.toHaveBeenCalled();
    expect([...ds.examples[1].ids]).toEqual([...plain.tokens, ...tokenize(TEXTS[1].text)]);
  });

  it('rejects bad options', async () => {
    const p = fakePrivatizer();
    await expect(privatizeLabelledExamples(p, tokenize, TEXTS, { ...base, eta: 0 })).rejects.toThrow(RangeError);
    await expect(privatizeLabelledExamples(p, tokenize, TEXTS, { ...base, eta: -3 })).rejects.toThrow(RangeError);
    await expect(privatizeLabelledExamples(p, tokenize, TEXTS, { ...base, eta: 1e-320 })).rejects.toThrow(/too small/);
    await expect(privatizeLabelledExamples(p, tokenize, TEXTS, { ...base, seed: -1 })).rejects.toThrow(RangeError);
    await expect(privatizeLabelledExamples(p, tokenize, TEXTS, { ...base, maxTokens: 0 })).rejects.toThrow(RangeError);
    await expect(privatizeLabelledExamples(p, tokenize, [{ text: 'the', label: -1 }], base)).rejects.toThrow(/class index/);
    await expect(privatizeLabelledExamples(p, () => [1.5], TEXTS, base)).rejects.toThrow(/not a token id/);
    const short: PrivatizeFn = async () => ({ ids: new Uint32Array(1) });
    await expect(privatizeLabelledExamples(short, tokenize, TEXTS, base)).rejects.toThrow(/returned 1 ids/);
  });

  it('the GPU Privatizer fits PrivatizeFn', () => {
    const check = (p: Privatizer): PrivatizeFn => p.privatize.bind(p);
    expect(typeof check).toBe('function');
  });
});

describe('user/service boundary', () => {
  async function service(eta: number): Promise<{ user: PrivatizedDataset; svc: ServiceDataset }> {
    const user = await privatizeLabelledExamples(fakePrivatizer(), tokenize, TEXTS, { ...base, eta });
    return { user, svc: toService(user) };
  }

  it('(a) the service dataset holds none of the raw texts nor any of their words — noisy and clean', async () => {
    for (const eta of [50, Infinity]) {
      const { user, svc } = await service(eta);
      expectNoText(JSON.stringify(svc));
      expectNoText(JSON.stringify(user));
      expect(Object.keys(svc).sort()).toEqual(['eta', 'examples', 'plainLength', 'split']);
      for (const e of svc.examples) expect(Object.keys(e).sort()).toEqual(['ids', 'label', 'plainTargets']);
      // what a worker would receive is the same data
      expectNoText(JSON.stringify(structuredClone(svc)));
    }
  });

  it('(b) with noise, the clean token id sequences of the texts do not appear in it', async () => {
    const { svc } = await service(50);
    TEXTS.forEach((t, i) => {
      const clean = tokenize(t.text);
      const ids = svc.examples[i].ids;
      for (let j = 0; j < clean.length; j++) expect(ids[svc.plainLength + j]).not.toBe(clean[j]);
      for (const e of svc.examples) {
        for (let s = 0; s + 3 <= clean.length; s++) expect(containsRun(e.ids, clean.slice(s, s + 3))).toBe(false);
      }
    });
    const json = JSON.stringify(svc.examples.map((e) => [...e.ids]));
    for (const t of TEXTS) expect(json).not.toContain(tokenize(t.text).join(','));
  });

  it('copies only ids, labels and plain targets, into arrays that own their buffers', async () => {
    const { user, svc } = await service(50);
    expect(svc.split).toBe('train');
    expect(svc.eta).toBe(50);
    expect(svc.plainLength).toBe(8);
    svc.examples.forEach((e, i) => {
      expect(e.ids).toEqual(user.examples[i].ids);
      expect(e.ids).not.toBe(user.examples[i].ids);
      expect(e.ids.buffer.byteLength).toBe(e.ids.byteLength);
      expect(e.label).toBe(user.examples[i].label);
      expect(e.plainTargets).toEqual(user.examples[i].plainTargets);
    });
    expect(JSON.stringify(svc)).not.toContain('2305'); // the privatisation seed stays with the user
    expect(exampleLengths(svc)).toEqual(user.examples.map((e) => e.ids.length));
    expect(Object.isFrozen(svc) && Object.isFrozen(svc.examples[0])).toBe(true);
  });

  it('(c) toService refuses anything the user side did not produce, with a clear error', async () => {
    const raw = { split: 'train', eta: 50, plainLength: 0, examples: TEXTS.map((t) => ({ ...t, ids: new Uint32Array(1), plainTargets: new Uint32Array(0) })) };
    const refuse = (value: unknown) => () => toService(value as PrivatizedDataset);
    expect(refuse(raw)).toThrow(BoundaryError);
    expect(refuse(raw)).toThrow(/"text" \(examples\[0\]\): raw text must never reach the service/);
    expect(refuse({ text: 'hello', label: 1 })).toThrow(/field "text"/);
    expect(refuse(TEXTS)).toThrow(/privatizeLabelledExamples/);
    expect(refuse(null)).toThrow(BoundaryError);
    expect(refuse(undefined)).toThrow(BoundaryError);
    expect(refuse('the quiet harbour')).toThrow(BoundaryError);
    // a perfect look-alike (copy) of a real dataset is still refused: provenance, not shape
    const { user } = await service(50);
    expect(refuse({ ...user })).toThrow(/only a dataset returned by privatizeLabelledExamples/);
    expect(refuse(structuredClone(user))).toThrow(BoundaryError);
    // and a real one cannot be tampered with afterwards
    expect(() => {
      (user.examples as unknown as { text: string }[]).push({ text: 'leak' });
    }).toThrow(TypeError);
    expect(() => {
      (user.examples[0] as unknown as { text: string }).text = 'leak';
    }).toThrow(TypeError);
  });

  it('acceptServiceDataset takes a structured clone of a service dataset and nothing looser', async () => {
    const { svc } = await service(50);
    const received = acceptServiceDataset(structuredClone(svc));
    expect(received.examples.map((e) => [...e.ids])).toEqual(svc.examples.map((e) => [...e.ids]));
    const clone = structuredClone(svc) as unknown as { examples: Record<string, unknown>[] } & Record<string, unknown>;
    expect(() => acceptServiceDataset({ ...clone, text: 'x' })).toThrow(/unexpected field "text"/);
    expect(() => acceptServiceDataset({ ...clone, examples: [{ ...clone.examples[0], text: 'the quiet' }] })).toThrow(/examples\[0\] has an unexpected field "text"/);
    expect(() => acceptServiceDataset({ ...clone, examples: [{ ...clone.examples[0], ids: [1, 2, 3, 4, 5, 6, 7, 8, 9] }] })).toThrow(/Uint32Array/);
    const big = new Uint32Array(100);
    expect(() => acceptServiceDataset({ ...clone, examples: [{ ...clone.examples[0], ids: big.subarray(0, 12) }] })).toThrow(/larger buffer/);
    expect(() => acceptServiceDataset({ ...clone, plainLength: 3 })).toThrow(/plainTargets has 8 ids/);
    expect(() => acceptServiceDataset({ ...clone, split: 'validation' })).toThrow(/split/);
    expect(() => acceptServiceDataset(null)).toThrow(BoundaryError);
  });
});
