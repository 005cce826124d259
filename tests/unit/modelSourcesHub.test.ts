// The Hugging Face Hub source against a fake Hub: a Map of files served the way huggingface.co serves
// them (API listing with sizes and hashes, /resolve/ downloads), with faults injected per file.

import { createHash } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { ModelLoadError } from '../../src/model/fetchWithProgress';
import { downloadAll, type DownloadProgress } from '../../src/model/sources/downloadAll';
import { hubAddress, validateModelId, validateRevision } from '../../src/model/sources/hubAddress';
import { cachedHubFiles, deleteCachedHubModel, hubSource } from '../../src/model/sources/hubSource';
import { MemoryModelCache } from '../../src/model/sources/modelCache';
import { bertFileList, resolveBertFiles } from '../../src/model/sources/requiredFiles';

const BASE = 'https://huggingface.co';
const ID = 'prajjwal1/bert-tiny';
const COMMIT = 'c'.repeat(40);

/** A valid safetensors file: one F32 tensor of n values. */
function safetensors(n: number): Uint8Array {
  const header = new TextEncoder().encode(JSON.stringify({ w: { dtype: 'F32', shape: [n], data_offsets: [0, 4 * n] } }));
  const out = new Uint8Array(8 + header.byteLength + 4 * n);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.byteLength), true);
  out.set(header, 8);
  for (let i = 0; i < 4 * n; i++) out[8 + header.byteLength + i] = (i * 7) & 255;
  return out;
}

const bertTiny: Record<string, Uint8Array> = {
  'config.json': new TextEncoder().encode(JSON.stringify({ model_type: 'bert', hidden_size: 128 })),
  'vocab.txt': new TextEncoder().encode('[PAD]\n[UNK]\n[CLS]\n[SEP]\nthe\n'),
  'tokenizer_config.json': new TextEncoder().encode(JSON.stringify({ do_lower_case: true })),
  'model.safetensors': safetensors(5000),
  'pytorch_model.bin': new Uint8Array(64),
};

type Fault = number | 'network' | 'truncate' | 'short' | 'html' | 'corrupt' | 'no-length';

interface FakeHubOptions {
  id?: string;
  files?: Record<string, Uint8Array>;
  /** Per file name, or '$api' for the listing. */
  faults?: Record<string, Fault>;
  /** false: the listing API answers 404 (a mirror without it). */
  api?: boolean;
  gated?: boolean;
}

function fakeHub(options: FakeHubOptions = {}) {
  const id = options.id ?? ID;
  const files = options.files ?? bertTiny;
  const faults = options.faults ?? {};
  const calls: Array<{ method: string; url: string }> = [];

  const siblings = Object.entries(files).map(([name, body]) => {
    const isLfs = name.endsWith('.safetensors') || name.endsWith('.bin');
    const gitSha1 = createHash('sha1').update(`blob ${body.byteLength}\0`).update(body).digest('hex');
    return isLfs
      ? { rfilename: name, size: body.byteLength, blobId: 'f'.repeat(40), lfs: { sha256: createHash('sha256').update(body).digest('hex'), size: body.byteLength, pointerSize: 134 } }
      : { rfilename: name, size: body.byteLength, blobId: gitSha1 };
  });

  function chunked(body: Uint8Array, chunk = 4096): ReadableStream<Uint8Array> {
    let offset = 0;
    return new ReadableStream({
      pull(controller) {
        if (offset >= body.byteLength) return controller.close();
        controller.enqueue(body.slice(offset, offset + chunk));
        offset += chunk;
      },
    });
  }

  function faultResponse(fault: Fault | undefined, body: Uint8Array, method: string): Response | null {
    if (fault === undefined) return null;
    if (fault === 'network') throw new TypeError('Failed to fetch');
    if (typeof fault === 'number') return new Response(method === 'HEAD' ? null : 'error', { status: fault });
    if (fault === 'html') return new Response('<!DOCTYPE html><html><body>Sign in</body></html>', { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' } });
    if (fault === 'truncate') {
      return new Response(chunked(body.slice(0, Math.floor(body.byteLength / 2))), { headers: { 'content-length': String(body.byteLength) } });
    }
    if (fault === 'corrupt') {
      const bad = body.slice();
      bad[bad.byteLength - 1] ^= 0xff;
      return new Response(chunked(bad), { headers: { 'content-length': String(bad.byteLength) } });
    }
    if (fault === 'no-length') return new Response(chunked(body));
    // Ends early and never said how long it would be.
    if (fault === 'short') return new Response(chunked(body.slice(0, 3000)));
    return null;
  }

  const fetchImpl = vi.fn(async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    const method = init?.method ?? 'GET';
    calls.push({ method, url });
    init?.signal?.throwIfAborted();
    const u = new URL(url);
    expect(u.origin).toBe(BASE);
    const api = /^\/api\/models\/(.+)\/revision\/([^/]+)$/.exec(u.pathname);
    if (api) {
      const fault = faults.$api;
      if (fault === 'network') throw new TypeError('Failed to fetch');
      if (options.api === false) return new Response('Not Found', { status: 404 });
      if (api[1] !== id) return new Response('{"error":"Repository not found"}', { status: 401, headers: { 'x-error-code': 'RepoNotFound' } });
      const rev = decodeURIComponent(api[2]);
      if (rev !== 'main' && rev !== COMMIT && rev !== 'refs/pr/1') {
        return new Response('{"error":"Invalid rev id"}', { status: 404, headers: { 'x-error-code': 'RevisionNotFound' } });
      }
      const injected = faultResponse(fault, new Uint8Array(0), method);
      if (injected) return injected;
      return Response.json({ id, sha: COMMIT, gated: options.gated ? 'manual' : false, siblings });
    }
    const resolve = /^\/(.+)\/resolve\/([^/]+)\/(.+)$/.exec(u.pathname);
    if (!resolve) return new Response('nope', { status: 404 });
    if (resolve[1] !== id) return new Response('Repository not found', { status: 401, headers: { 'x-error-code': 'RepoNotFound' } });
    const file = resolve[3].split('/').map(decodeURIComponent).join('/');
    const body = files[file];
    const injected = faultResponse(faults[file], body ?? new Uint8Array(0), method);
    if (injected) return injected;
    if (!body) return new Response(method === 'HEAD' ? null : 'Entry not found', { status: 404, headers: { 'x-error-code': 'EntryNotFound' } });
    const headers = { 'content-length': String(body.byteLength), 'content-type': 'application/octet-stream' };
    return new Response(method === 'HEAD' ? null : chunked(body), { headers });
  });
  return { fetchImpl: fetchImpl as unknown as typeof fetch, spy: fetchImpl, calls };
}

const same = (a: ArrayBuffer | undefined, b: Uint8Array) => expect(new Uint8Array(a!)).toEqual(b);
const noWarnings = () => {};

describe('model id, revision and file validation', () => {
  const hostileIds = [
    '../x',
    'a/b/c',
    'https://evil',
    'https://evil.com/x',
    '//evil.com/x',
    '%2e%2e',
    '%2e%2e/x',
    'a b',
    ' bert',
    'bért/tiny',
    'bert\u200b/tiny',
    'owner/',
    '/name',
    '',
    'a..b',
    'a--b',
    '-bert',
    'bert.',
    'x?y=1',
    'x#y',
    'x\\y',
    'evil.com:443/x',
    'a'.repeat(97),
  ];

  it.each(hostileIds)('refuses the model id %j without calling fetch', (id) => {
    const { fetchImpl, spy } = fakeHub();
    expect(() => hubSource(id, { fetchImpl })).toThrow(ModelLoadError);
    expect(spy).not.toHaveBeenCalled();
  });

  it.each(['../main', 'main/../x', 'a b', 'https://evil', '%2e%2e', '', '/main', 'main/', 'a//b', 'mäin', '.', 'x?y', 'x#y', 'a'.repeat(129)])(
    'refuses the revision %j without calling fetch',
    (revision) => {
      const { fetchImpl, spy } = fakeHub();
      expect(() => hubSource(ID, { revision, fetchImpl })).toThrow(ModelLoadError);
      expect(spy).not.toHaveBeenCalled();
    },
  );

  it.each(['javascript:alert(1)', 'ftp://huggingface.co', 'https://huggingface.co/?x=1', 'https://user:pw@huggingface.co', 'not a url'])('refuses the base URL %j', (baseUrl) => {
    expect(() => hubSource(ID, { baseUrl })).toThrow(ModelLoadError);
  });

  it('accepts real model ids, revisions with slashes, and encodes every component', () => {
    for (const id of ['prajjwal1/bert-tiny', 'bert-base-uncased', 'google-bert/bert-base-uncased', 'sentence-transformers/all-MiniLM-L6-v2', 'user_1/my.model_v2']) {
      expect(validateModelId(id)).toBe(id);
    }
    expect(validateModelId('a'.repeat(96))).toHaveLength(96);
    for (const rev of ['main', 'v1.0', 'refs/pr/1', COMMIT]) expect(validateRevision(rev)).toBe(rev);
    const address = hubAddress(ID, 'refs/pr/1', 'https://huggingface.co/');
    expect(address.fileUrl('config.json')).toBe('https://huggingface.co/prajjwal1/bert-tiny/resolve/refs%2Fpr%2F1/config.json');
    expect(address.listingUrl).toBe('https://huggingface.co/api/models/prajjwal1/bert-tiny/revision/refs%2Fpr%2F1?blobs=true');
    expect(address.fileUrl('onnx/model.onnx', COMMIT)).toBe(`https://huggingface.co/prajjwal1/bert-tiny/resolve/${COMMIT}/onnx/model.onnx`);
    expect(hubSource(ID, { revision: 'v1.0', fetchImpl: fakeHub().fetchImpl }).label).toBe('prajjwal1/bert-tiny@v1.0 (Hugging Face Hub)');
    expect(hubSource(ID).label).toBe('prajjwal1/bert-tiny (Hugging Face Hub)');
  });

  it.each(['../config.json', '/etc/passwd', 'a//b', 'https://evil/x', '%2e%2e/x', 'dir/../x', 'con fig.json', ''])(
    'refuses the file name %j without calling fetch',
    async (file) => {
      const { fetchImpl, spy } = fakeHub();
      const source = hubSource(ID, { fetchImpl });
      await expect(source.fetch(file, () => {})).rejects.toThrow(ModelLoadError);
      await expect(source.has(file)).rejects.toThrow(ModelLoadError);
      expect(spy).not.toHaveBeenCalled();
    },
  );
});

describe('hubSource', () => {
  it('loads a model at the listed commit with progress that adds up, then loads it again offline from the cache', async () => {
    const cache = new MemoryModelCache();
    const hub = fakeHub();
    const source = hubSource(ID, { cache, fetchImpl: hub.fetchImpl, onCacheWarning: noWarnings });
    const files = await resolveBertFiles(source);
    expect(files).toEqual({ config: 'config.json', weights: ['model.safetensors'], tokenizer: 'vocab.txt', tokenizerConfig: 'tokenizer_config.json' });
    expect(await source.commit()).toBe(COMMIT);

    const events: DownloadProgress[] = [];
    const loaded = await downloadAll(source, bertFileList(files), (p) => events.push({ ...p }));
    const expectedTotal = ['config.json', 'vocab.txt', 'tokenizer_config.json', 'model.safetensors'].reduce((s, f) => s + bertTiny[f].byteLength, 0);
    for (const f of bertFileList(files)) same(loaded.get(f), bertTiny[f]);
    // Sizes come from the listing, so the total is known from the first event and never changes.
    expect(events.every((e) => e.totalBytes === expectedTotal)).toBe(true);
    expect(events.at(-1)).toMatchObject({ loadedBytes: expectedTotal, totalBytes: expectedTotal, filesDone: 4, filesTotal: 4 });
    for (let i = 1; i < events.length; i++) expect(events[i].loadedBytes).toBeGreaterThanOrEqual(events[i - 1].loadedBytes);
    // One listing request, then each file once, all pinned to the commit.
    const downloads = hub.calls.filter((c) => c.url.includes('/resolve/'));
    expect(hub.calls.filter((c) => c.url.includes('/api/'))).toHaveLength(1);
    expect(downloads).toHaveLength(4);
    expect(downloads.every((c) => c.url.includes(`/resolve/${COMMIT}/`))).toBe(true);

    // Second load: a fresh source over the same cache, with a fetch that must not be called.
    const offline = vi.fn(async () => {
      throw new TypeError('Failed to fetch');
    });
    const again = hubSource(ID, { cache, fetchImpl: offline as unknown as typeof fetch });
    const files2 = await resolveBertFiles(again);
    expect(files2).toEqual(files);
    const events2: DownloadProgress[] = [];
    const loaded2 = await downloadAll(again, bertFileList(files2), (p) => events2.push({ ...p }));
    for (const f of bertFileList(files)) same(loaded2.get(f), bertTiny[f]);
    expect(events2.at(-1)).toMatchObject({ loadedBytes: expectedTotal, totalBytes: expectedTotal });
    expect(offline).not.toHaveBeenCalled();

    expect((await cachedHubFiles(cache, ID)).map((f) => f.file).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer_config.json', 'vocab.txt']);
    expect(await deleteCachedHubModel(cache, ID)).toBe(5); // four files and the listing
    expect(await cache.list()).toEqual([]);
  });

  it('answers has() from the listing and names the missing file with the model and revision', async () => {
    const hub = fakeHub();
    const source = hubSource(ID, { fetchImpl: hub.fetchImpl });
    expect(await source.has('config.json')).toBe(true);
    expect(await source.has('tokenizer.json')).toBe(false);
    expect(await source.size!('model.safetensors')).toBe(bertTiny['model.safetensors'].byteLength);
    await expect(source.fetch('tokenizer.json', () => {})).rejects.toThrow(/No file tokenizer\.json in model prajjwal1\/bert-tiny at revision main\. It has: .*config\.json/);
    expect(hub.calls).toHaveLength(1); // the listing only
  });

  it('falls back to HEAD requests where the listing API is missing, 404 meaning absent', async () => {
    const cache = new MemoryModelCache();
    const hub = fakeHub({ api: false });
    const source = hubSource(ID, { cache, fetchImpl: hub.fetchImpl });
    expect(await source.has('config.json')).toBe(true);
    expect(await source.has('tokenizer.json')).toBe(false);
    expect(hub.calls.filter((c) => c.method === 'HEAD')).toHaveLength(2);
    expect(await source.size!('config.json')).toBe(bertTiny['config.json'].byteLength);
    await expect(source.fetch('tokenizer.json', () => {})).rejects.toThrow('No file tokenizer.json in model prajjwal1/bert-tiny at revision main.');
    same(await source.fetch('config.json', () => {}), bertTiny['config.json']);
    expect(hub.calls.at(-1)!.url).toBe(`${BASE}/${ID}/resolve/main/config.json`);

    // Cached at the revision: served offline without a request.
    const offline = vi.fn(async () => {
      throw new TypeError('Failed to fetch');
    });
    const again = hubSource(ID, { cache, fetchImpl: offline as unknown as typeof fetch });
    expect(await again.has('config.json')).toBe(true);
    same(await again.fetch('config.json', () => {}), bertTiny['config.json']);
    await expect(again.fetch('vocab.txt', () => {})).rejects.toThrow(/Offline\? The browser cache has 1 file of this model \(config\.json\) but not this one/);
  });

  it('explains gated or private models (401/403) and caches nothing', async () => {
    for (const [status, gated, says] of [
      [401, true, 'prajjwal1/bert-tiny is gated (the Hub answered 401 for model.safetensors of model prajjwal1/bert-tiny at revision main)'],
      [403, true, 'prajjwal1/bert-tiny is gated (the Hub answered 403'],
      [401, false, 'prajjwal1/bert-tiny is gated or private, or does not exist (the Hub answered 401'],
    ] as const) {
      const cache = new MemoryModelCache();
      const source = hubSource(ID, { cache, fetchImpl: fakeHub({ faults: { 'model.safetensors': status }, gated }).fetchImpl });
      const error = await source.fetch('model.safetensors', () => {}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ModelLoadError);
      expect((error as Error).message).toContain(says);
      expect((error as Error).message).toMatch(/accept the licence on the Hub/);
      expect((error as Error).message).toMatch(/this app cannot log in/);
      expect(await cachedHubFiles(cache, ID)).toEqual([]);
    }
  });

  it('treats an unknown model (401 RepoNotFound on the API) the same way, and an unknown revision clearly', async () => {
    const hub = fakeHub();
    await expect(hubSource('nobody/nothing', { fetchImpl: hub.fetchImpl }).has('config.json')).rejects.toThrow(/nobody\/nothing is gated or private, or does not exist/);
    await expect(hubSource(ID, { revision: 'v9', fetchImpl: hub.fetchImpl }).has('config.json')).rejects.toThrow('Model prajjwal1/bert-tiny has no revision "v9" on the Hub');
  });

  it('reports server errors (5xx) and rate limiting', async () => {
    await expect(hubSource(ID, { fetchImpl: fakeHub({ faults: { 'config.json': 503 } }).fetchImpl }).fetch('config.json', () => {})).rejects.toThrow(
      /server error \(503\) for config\.json of model prajjwal1\/bert-tiny at revision main/,
    );
    await expect(hubSource(ID, { fetchImpl: fakeHub({ faults: { $api: 500 } }).fetchImpl }).has('config.json')).rejects.toThrow(/server error \(500\)/);
    await expect(hubSource(ID, { fetchImpl: fakeHub({ faults: { 'config.json': 429 } }).fetchImpl }).fetch('config.json', () => {})).rejects.toThrow(/limiting requests/);
  });

  it('says "offline?" on a network failure and lists what the cache has', async () => {
    const cache = new MemoryModelCache();
    const online = hubSource(ID, { cache, fetchImpl: fakeHub().fetchImpl });
    await online.fetch('config.json', () => {});
    const flaky = hubSource(ID, { cache, fetchImpl: fakeHub({ faults: { 'model.safetensors': 'network' } }).fetchImpl });
    await expect(flaky.fetch('model.safetensors', () => {})).rejects.toThrow(
      /Could not reach huggingface\.co for model\.safetensors of prajjwal1\/bert-tiny \(Failed to fetch\)\. Offline\? The browser cache has 1 file of this model \(config\.json\)/,
    );
    const empty = hubSource(ID, { cache: new MemoryModelCache(), fetchImpl: fakeHub({ faults: { $api: 'network', 'config.json': 'network' } }).fetchImpl });
    await expect(empty.fetch('config.json', () => {})).rejects.toThrow(/Offline\? The browser cache has no files of this model yet/);
  });

  it('refuses a truncated download (fewer bytes than Content-Length), does not cache it, and succeeds on retry', async () => {
    const cache = new MemoryModelCache();
    const size = bertTiny['model.safetensors'].byteLength;
    const source = hubSource(ID, { cache, fetchImpl: fakeHub({ faults: { 'model.safetensors': 'truncate' } }).fetchImpl });
    await expect(source.fetch('model.safetensors', () => {})).rejects.toThrow(`cut short (${Math.floor(size / 2)} of ${size} bytes)`);
    expect(await cachedHubFiles(cache, ID)).toEqual([]);
    const retry = hubSource(ID, { cache, fetchImpl: fakeHub().fetchImpl });
    same(await retry.fetch('model.safetensors', () => {}), bertTiny['model.safetensors']);
    expect((await cachedHubFiles(cache, ID)).map((f) => f.file)).toEqual(['model.safetensors']);
  });

  it('refuses a short body without Content-Length by the listing size, or else by the safetensors header', async () => {
    const size = bertTiny['model.safetensors'].byteLength;
    const cache = new MemoryModelCache();
    const withListing = hubSource(ID, { cache, fetchImpl: fakeHub({ faults: { 'model.safetensors': 'short' } }).fetchImpl });
    await expect(withListing.fetch('model.safetensors', () => {})).rejects.toThrow(`model.safetensors from huggingface.co has 3000 bytes but the Hub lists ${size}`);
    expect(await cachedHubFiles(cache, ID)).toEqual([]);
    // A fresh cache: the one above holds the listing now.
    const noListing = hubSource(ID, { cache: new MemoryModelCache(), fetchImpl: fakeHub({ api: false, faults: { 'model.safetensors': 'short' } }).fetchImpl });
    await expect(noListing.fetch('model.safetensors', () => {})).rejects.toThrow(
      `model.safetensors in huggingface.co is incomplete: 3000 bytes, but its header describes ${size}`,
    );
  });

  it('reports the size from the listing as the total when the response has no Content-Length', async () => {
    const totals = new Set<number | null>();
    const source = hubSource(ID, { fetchImpl: fakeHub({ faults: { 'model.safetensors': 'no-length' } }).fetchImpl });
    await source.fetch('model.safetensors', (_delta, total) => totals.add(total));
    expect([...totals]).toEqual([bertTiny['model.safetensors'].byteLength]);
  });

  it('refuses an HTML page served instead of a file, and caches nothing', async () => {
    const cache = new MemoryModelCache();
    const source = hubSource(ID, { cache, fetchImpl: fakeHub({ faults: { 'config.json': 'html' } }).fetchImpl });
    await expect(source.fetch('config.json', () => {})).rejects.toThrow('huggingface.co answered with a web page instead of config.json');
    expect(await cachedHubFiles(cache, ID)).toEqual([]);
    const portal = hubSource(ID, { fetchImpl: fakeHub({ faults: { $api: 'html' } }).fetchImpl });
    await expect(portal.has('config.json')).rejects.toThrow(/web page instead of the file list/);
  });

  it('refuses a corrupted download by the LFS SHA-256 and the git blob id', async () => {
    const cache = new MemoryModelCache();
    const weights = hubSource(ID, { cache, fetchImpl: fakeHub({ faults: { 'model.safetensors': 'corrupt' } }).fetchImpl });
    await expect(weights.fetch('model.safetensors', () => {})).rejects.toThrow(/does not match the Hub's checksum/);
    const vocab = hubSource(ID, { cache, fetchImpl: fakeHub({ faults: { 'vocab.txt': 'corrupt' } }).fetchImpl });
    await expect(vocab.fetch('vocab.txt', () => {})).rejects.toThrow(/does not match the Hub's checksum/);
    expect(await cachedHubFiles(cache, ID)).toEqual([]);
  });

  it('still loads when browser storage is full, with a clear warning', async () => {
    const cache = new MemoryModelCache({ quotaBytes: 10_000 });
    const warnings: string[] = [];
    const source = hubSource(ID, { cache, fetchImpl: fakeHub().fetchImpl, onCacheWarning: (m) => warnings.push(m) });
    same(await source.fetch('model.safetensors', () => {}), bertTiny['model.safetensors']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^model\.safetensors of prajjwal1\/bert-tiny was loaded but not cached, so the next load downloads it again\. Browser storage is full: 0\.0 MB used of 0\.0 MB .*Delete cached models in/);
    expect((await cachedHubFiles(cache, ID)).map((f) => f.file)).toEqual([]);
    same(await source.fetch('config.json', () => {}), bertTiny['config.json']);
    expect((await cachedHubFiles(cache, ID)).map((f) => f.file)).toEqual(['config.json']);
  });

  it('keeps cache entries apart by host, model, revision and file', async () => {
    const cache = new MemoryModelCache();
    await hubSource(ID, { cache, fetchImpl: fakeHub().fetchImpl }).fetch('config.json', () => {});
    const keys = (await cache.list()).map((e) => e.url).sort();
    expect(keys).toEqual([`${BASE}/${ID}/listing/main`, `${BASE}/${ID}/resolve/${COMMIT}/config.json`]);
    // Another revision has its own listing; another model shares nothing.
    const other = fakeHub({ id: 'someone/bert-tiny' });
    await hubSource('someone/bert-tiny', { cache, fetchImpl: other.fetchImpl }).fetch('config.json', () => {});
    expect(other.calls.map((c) => c.url)).toContain(`${BASE}/someone/bert-tiny/resolve/${COMMIT}/config.json`);
  });

  it('re-reads the listing with checkForUpdates, and falls back to the cached one offline', async () => {
    const cache = new MemoryModelCache();
    await hubSource(ID, { cache, fetchImpl: fakeHub().fetchImpl }).fetch('config.json', () => {});
    const online = fakeHub();
    await hubSource(ID, { cache, fetchImpl: online.fetchImpl, checkForUpdates: true }).fetch('config.json', () => {});
    expect(online.calls.map((c) => c.url)).toEqual([`${BASE}/api/models/${ID}/revision/main?blobs=true`]);
    const offline = fakeHub({ faults: { $api: 'network' } });
    same(await hubSource(ID, { cache, fetchImpl: offline.fetchImpl, checkForUpdates: true }).fetch('config.json', () => {}), bertTiny['config.json']);
  });

  it('cancels through an AbortSignal with an AbortError, not a load error', async () => {
    const controller = new AbortController();
    const source = hubSource(ID, { fetchImpl: fakeHub().fetchImpl });
    let seen = 0;
    const pending = source.fetch(
      'model.safetensors',
      (delta) => {
        seen += delta;
        if (seen > 8000) controller.abort();
      },
      controller.signal,
    );
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await expect(pending).rejects.not.toBeInstanceOf(ModelLoadError);
  });

  it('loads a sharded checkpoint through its index', async () => {
    const shards = { 'model-00001-of-00002.safetensors': safetensors(100), 'model-00002-of-00002.safetensors': safetensors(50) };
    const index = { metadata: { total_size: 600 }, weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors', c: 'model-00001-of-00002.safetensors' } };
    const files = {
      'config.json': bertTiny['config.json'],
      'tokenizer.json': new TextEncoder().encode('{"model":{"type":"WordPiece"}}'),
      'model.safetensors.index.json': new TextEncoder().encode(JSON.stringify(index)),
      ...shards,
    };
    const source = hubSource(ID, { cache: new MemoryModelCache(), fetchImpl: fakeHub({ files }).fetchImpl });
    const resolved = await resolveBertFiles(source);
    expect(resolved).toEqual({
      config: 'config.json',
      weights: ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'],
      weightsIndex: 'model.safetensors.index.json',
      tokenizer: 'tokenizer.json',
    });
    const loaded = await downloadAll(source, bertFileList(resolved), () => {});
    for (const [name, body] of Object.entries(shards)) same(loaded.get(name), body);
  });
});
