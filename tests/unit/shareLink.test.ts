import { describe, expect, it } from 'vitest';
import { parseExperimentSpec, type ExperimentSpec } from '../../src/experiments/schema';
import { DEMO_COMPARE_SPEC, DEMO_TRAIN_SPEC } from '../../src/experiments/trainingDefaults';
import {
  decodeShareHash,
  encodeShareHash,
  encodeShareLink,
  fromBase64Url,
  isShareHash,
  MAX_LINK_PAYLOAD,
  ShareLinkError,
  toBase64Url,
} from '../../src/experiments/shareLink';

const spec = parseExperimentSpec({
  schemaVersion: 2, kind: 'privatize', name: 'demo <b>bold</b> & "quotes" ✓ ünïcödé 🎬', corpus: { kind: 'file', path: 'data/sst2 dev.tsv', format: 'tsv', textColumn: 'sentence' },
  etas: [5, 50, 500], seeds: [1, 2], sampleSize: 5, draws: 1, attacks: { bayes: { enabled: false } },
});

/** Deterministic PRNG (mulberry32) so a failing fuzz case can be reproduced. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function deflate(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A hash must decode to a valid spec, to null (not a share link), or fail with ShareLinkError — nothing else. */
async function decodesSafely(hash: string): Promise<'spec' | 'null' | 'error'> {
  try {
    const out = await decodeShareHash(hash);
    if (out === null) return 'null';
    expect(parseExperimentSpec(out)).toEqual(out);
    return 'spec';
  } catch (e) {
    if (!(e instanceof ShareLinkError)) throw new Error(`decodeShareHash(${JSON.stringify(hash.slice(0, 200))}) threw ${String(e)}`);
    expect(e.message.length).toBeGreaterThan(10);
    expect(e.message.length).toBeLessThan(5000);
    return 'error';
  }
}

describe('share link codec', () => {
  it('round-trips a spec through the hash, compactly', async () => {
    const hash = await encodeShareHash(spec);
    expect(hash).toMatch(/^#spec=1\.[A-Za-z0-9_-]+$/);
    expect(hash.length).toBeLessThan(JSON.stringify(spec).length);
    expect(await decodeShareHash(hash)).toEqual(spec);
    expect(await decodeShareHash(hash.slice(1))).toEqual(spec);
  });

  it('builds a full link on the page address, replacing any old hash', async () => {
    const link = await encodeShareLink(spec, 'https://example.org/lab/?q=1#models');
    expect(link.startsWith('https://example.org/lab/?q=1#spec=1.')).toBe(true);
    expect(await decodeShareHash(new URL(link).hash)).toEqual(spec);
  });

  it('ignores hashes that are not share links', async () => {
    expect(await decodeShareHash('')).toBeNull();
    expect(await decodeShareHash('#models')).toBeNull();
    expect(isShareHash('#spec=')).toBe(true);
  });

  it('never puts data in a link: a corpus typed into the builder gets no link, with the reason', async () => {
    const inline = parseExperimentSpec({ ...spec, corpus: { kind: 'inline', texts: ['my private sentence'] } });
    await expect(encodeShareHash(inline)).rejects.toThrow(ShareLinkError);
    await expect(encodeShareHash(inline)).rejects.toThrow(/never your data[\s\S]*spec file/);
    const bundled = parseExperimentSpec({ ...spec, corpus: { kind: 'bundled' } });
    expect(await decodeShareHash(await encodeShareHash(bundled))).toEqual(bundled);
  });

  it.each([
    ['#spec=', 'link format'],
    ['#spec=1.', 'carries no experiment'],
    ['#spec=2.abc', 'newer RAPT Lab'],
    ['#spec=0.abc', 'no RAPT Lab release'],
    ['#spec=x.abc', 'link format'],
    ['#spec=1.a', 'impossible length'],
    ['#spec=1.ab$d', 'characters'],
    ['#spec=1.AAAA', 'does not unpack'],
    [`#spec=1.${'A'.repeat(MAX_LINK_PAYLOAD + 100)}`, 'too long'],
  ])('refuses a bad link with a clear message (case %#)', async (hash, message) => {
    await expect(decodeShareHash(hash)).rejects.toThrow(ShareLinkError);
    await expect(decodeShareHash(hash)).rejects.toThrow(message);
  });

  it('refuses well-formed links whose content is not a valid spec', async () => {
    const link = async (text: string) => `#spec=1.${toBase64Url(await deflate(text))}`;
    await expect(decodeShareHash(await link('not json'))).rejects.toThrow('not valid JSON');
    await expect(decodeShareHash(await link('{"schemaVersion":2,"kind":"privatize"}'))).rejects.toThrow(/cannot be used[\s\S]*etas/);
    await expect(decodeShareHash(await link('{"schemaVersion":9}'))).rejects.toThrow('newer RAPT Lab');
    await expect(decodeShareHash(await link('{"__proto__":{"polluted":1},"schemaVersion":2}'))).rejects.toThrow(ShareLinkError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const bytes = Uint8Array.from([0xff, 0xfe, 0xfd]);
    const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('deflate'));
    const notUtf8 = toBase64Url(new Uint8Array(await new Response(stream).arrayBuffer()));
    await expect(decodeShareHash(`#spec=1.${notUtf8}`)).rejects.toThrow('not text');
  });

  it('stops a decompression bomb without unpacking it', async () => {
    const bomb = `#spec=1.${toBase64Url(await deflate(' '.repeat(5_000_000)))}`;
    expect(bomb.length).toBeLessThan(MAX_LINK_PAYLOAD);
    await expect(decodeShareHash(bomb)).rejects.toThrow('larger than 64 KiB');
  });

  it('migrates a link whose spec is an older schema version', async () => {
    const v1 = { schemaVersion: 1, kind: 'privatize', corpus: { kind: 'bundled' }, etas: [10], seed: 4 };
    const decoded = await decodeShareHash(`#spec=1.${toBase64Url(await deflate(JSON.stringify(v1)))}`);
    expect(decoded?.seeds).toEqual([4]);
  });

  it('keeps hostile text as plain data', async () => {
    const hostile = parseExperimentSpec({ ...spec, name: '<img src=x onerror=alert(1)><script>alert(2)</script>', corpus: { kind: 'file', path: 'javascript:alert(3)' } });
    const decoded = (await decodeShareHash(await encodeShareHash(hostile))) as ExperimentSpec;
    expect(decoded.name).toBe('<img src=x onerror=alert(1)><script>alert(2)</script>');
  });

  it('base64url round-trips every length', () => {
    const r = rng(7);
    for (let n = 0; n < 70; n++) {
      const bytes = Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
      expect(fromBase64Url(toBase64Url(bytes))).toEqual(bytes);
    }
  });
});

describe('share link fuzzing: thousands of random and mutated links never throw anything but ShareLinkError', () => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=#%$&+/ \u0000\u00ff\u2028\ud83c\udfac';

  it('random strings after #spec=', async () => {
    const r = rng(1);
    const outcomes = { spec: 0, null: 0, error: 0 };
    for (let i = 0; i < 1500; i++) {
      const length = Math.floor(r() * 200);
      let s = '';
      for (let c = 0; c < length; c++) s += alphabet[Math.floor(r() * alphabet.length)];
      const prefix = ['#spec=', '#spec=1.', 'spec=1.', '#', ''][Math.floor(r() * 5)];
      outcomes[await decodesSafely(prefix + s)]++;
    }
    expect(outcomes.spec).toBe(0);
    expect(outcomes.error).toBeGreaterThan(800);
  });

  it('valid links with characters changed, inserted, deleted or cut off', async () => {
    const r = rng(2);
    const good = await encodeShareHash(spec);
    const outcomes = { spec: 0, null: 0, error: 0 };
    for (let i = 0; i < 1500; i++) {
      const chars = [...good];
      const edits = 1 + Math.floor(r() * 4);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(r() * chars.length);
        const op = Math.floor(r() * 4);
        const ch = alphabet[Math.floor(r() * 64)];
        if (op === 0) chars[at] = ch;
        else if (op === 1) chars.splice(at, 0, ch);
        else if (op === 2) chars.splice(at, 1);
        else chars.length = Math.max(0, at);
      }
      outcomes[await decodesSafely(chars.join(''))]++;
    }
    // Adler-32 and the schema catch nearly every corruption; any that decode are still valid specs.
    expect(outcomes.error + outcomes.null).toBeGreaterThan(1400);
  });

  it('well-compressed payloads of random JSON values and random bytes', async () => {
    const r = rng(3);
    const randomValue = (depth: number): unknown => {
      const k = Math.floor(r() * (depth > 3 ? 4 : 7));
      if (k === 0) return Math.floor(r() * 1e6) * (r() < 0.5 ? -1 : 1);
      if (k === 1) return alphabet.slice(0, Math.floor(r() * 20));
      if (k === 2) return r() < 0.5;
      if (k === 3) return null;
      if (k === 4) return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(depth + 1));
      const keys = ['schemaVersion', 'kind', 'etas', 'seeds', 'corpus', 'texts', 'vary', 'field', 'values', 'name', '__proto__', 'constructor'];
      return Object.fromEntries(Array.from({ length: Math.floor(r() * 5) }, () => [keys[Math.floor(r() * keys.length)], randomValue(depth + 1)]));
    };
    const outcomes = { spec: 0, null: 0, error: 0 };
    for (let i = 0; i < 600; i++) {
      const value = randomValue(0);
      if (typeof value === 'object' && value !== null && !Array.isArray(value) && r() < 0.5) Object.assign(value, { schemaVersion: 2, kind: 'privatize' });
      const text = r() < 0.8 ? JSON.stringify(value) : String.fromCharCode(...Array.from({ length: 50 }, () => Math.floor(r() * 256)));
      outcomes[await decodesSafely(`#spec=1.${toBase64Url(await deflate(text))}`)]++;
    }
    expect(outcomes.error).toBeGreaterThan(500);
  });
});

describe('share links for train and compare experiments (the codec walks the union of kinds)', () => {
  it.each([
    ['the train demo', DEMO_TRAIN_SPEC],
    ['the compare demo', DEMO_COMPARE_SPEC],
    ['a train spec on files', { schemaVersion: 2, kind: 'train', condition: 'prompt-tuning', eta: 7.5, data: { train: { kind: 'file', path: 'sst2/train.tsv', format: 'tsv' }, dev: { kind: 'file', path: 'sst2/dev.tsv' }, trainSize: 64, devSize: 32 }, seeds: [3, 4], rapt: { targetVocab: 500 }, training: { lr: 0.01 } }],
  ])('%s round-trips through a link, compactly', async (_what, raw) => {
    const spec = parseExperimentSpec(raw);
    const hash = await encodeShareHash(spec);
    expect(hash).toMatch(/^#spec=1\.[A-Za-z0-9_-]+$/);
    expect(await decodeShareHash(hash)).toEqual(spec);
  });

  it('a link with a hostile train spec is refused with a message, never anything else', async () => {
    for (const raw of [
      { schemaVersion: 2, kind: 'train', data: { train: { kind: 'bundled' } }, seeds: [1], condition: '<script>alert(1)</script>' },
      { schemaVersion: 2, kind: 'train', data: { train: { kind: 'bundled' } }, seeds: [1], training: { epochs: 1e9 } },
      { schemaVersion: 2, kind: 'compare', data: { train: { kind: 'bundled' } }, seeds: [1], etas: [5], conditions: ['rapt', 'rapt'] },
      { schemaVersion: 2, kind: 'train', data: { train: { kind: 'bundled' }, dev: { kind: 'inline', texts: ['x'] } }, seeds: [1] },
    ]) {
      const hash = `#spec=1.${toBase64Url(await deflate(JSON.stringify(raw)))}`;
      await expect(decodeShareHash(hash)).rejects.toBeInstanceOf(ShareLinkError);
    }
  });
});
