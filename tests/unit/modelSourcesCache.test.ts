// ModelCache: the in-memory implementation, and the Cache Storage one over a fake CacheStorage (Node has
// no Cache Storage; the fake keeps bodies and headers the way the browser's does, and can run out of room).

import { describe, expect, it } from 'vitest';
import { ModelLoadError } from '../../src/model/fetchWithProgress';
import {
  CacheStorageModelCache,
  MODEL_CACHE_NAME,
  MemoryModelCache,
  ModelCacheFullError,
  openBrowserModelCache,
  type CacheLike,
  type CacheStorageLike,
  type ModelCache,
} from '../../src/model/sources/modelCache';

// The browser's CacheStorage satisfies the interface the implementation is written against.
const browserCaches: CacheStorageLike | undefined = (globalThis as { caches?: CacheStorage }).caches;

class FakeCache implements CacheLike {
  readonly entries = new Map<string, { body: ArrayBuffer; headers: [string, string][] }>();
  constructor(private readonly quotaBytes: number) {}
  async match(url: string) {
    const entry = this.entries.get(url);
    return entry ? new Response(entry.body.slice(0), { headers: entry.headers }) : undefined;
  }
  async put(url: string, response: Response) {
    const body = await response.arrayBuffer();
    const used = [...this.entries].reduce((s, [k, e]) => s + (k === url ? 0 : e.body.byteLength), 0);
    if (used + body.byteLength > this.quotaBytes) throw new DOMException('Quota exceeded.', 'QuotaExceededError');
    this.entries.set(url, { body, headers: [...response.headers] });
  }
  async delete(url: string) {
    return this.entries.delete(url);
  }
  async keys() {
    return [...this.entries.keys()].map((url) => ({ url }));
  }
}

function fakeStorage(quotaBytes = Infinity) {
  const cache = new FakeCache(quotaBytes);
  const opened: string[] = [];
  const storage: CacheStorageLike = {
    async open(name: string) {
      opened.push(name);
      return cache;
    },
  };
  return { storage, cache, opened };
}

const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill).buffer;
const MB = 1024 * 1024;

async function contract(cache: ModelCache) {
  expect(await cache.get('https://h/a/resolve/main/x')).toBeNull();
  expect(await cache.storedSize('https://h/a/resolve/main/x')).toBeNull();
  await cache.put('https://h/a/resolve/main/x', bytes(10, 7));
  await cache.put('https://h/a/resolve/main/y', bytes(5));
  await cache.put('https://h/b/resolve/main/x', bytes(3));
  const got = await cache.get('https://h/a/resolve/main/x');
  expect(new Uint8Array(got!)).toEqual(new Uint8Array(10).fill(7));
  // The caller owns what get returns: changing it does not change the cache.
  new Uint8Array(got!).fill(0);
  expect(new Uint8Array((await cache.get('https://h/a/resolve/main/x'))!)[0]).toBe(7);
  expect(await cache.storedSize('https://h/a/resolve/main/y')).toBe(5);
  expect((await cache.list('https://h/a/')).sort((p, q) => p.url.localeCompare(q.url))).toEqual([
    { url: 'https://h/a/resolve/main/x', bytes: 10 },
    { url: 'https://h/a/resolve/main/y', bytes: 5 },
  ]);
  expect(await cache.usage()).toMatchObject({ cachedBytes: 18, files: 3 });
  expect(await cache.delete('https://h/a/resolve/main/y')).toBe(true);
  expect(await cache.delete('https://h/a/resolve/main/y')).toBe(false);
  expect(await cache.usage()).toMatchObject({ cachedBytes: 13, files: 2 });
}

describe('MemoryModelCache', () => {
  it('keeps the ModelCache contract', async () => {
    await contract(new MemoryModelCache());
  });

  it('fails like a full browser storage beyond its quota, keeping what it had', async () => {
    const cache = new MemoryModelCache({ quotaBytes: 3 * MB });
    await cache.put('k1', bytes(2 * MB));
    const error = await cache.put('k2', bytes(2 * MB)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelCacheFullError);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect((error as Error).message).toMatch(/^Browser storage is full: 2\.0 MB used of 3\.0 MB \(1 cached model file, 2\.0 MB\)\. Delete cached models in /);
    expect(await cache.list()).toEqual([{ url: 'k1', bytes: 2 * MB }]);
    await cache.put('k1', bytes(3 * MB)); // replacing an entry counts only the new size
  });
});

describe('CacheStorageModelCache', () => {
  it('keeps the ModelCache contract over Cache Storage, in one named cache', async () => {
    const { storage, opened } = fakeStorage();
    await contract(new CacheStorageModelCache(storage, { estimate: async () => ({ usage: 1, quota: 2 }) }));
    expect(new Set(opened)).toEqual(new Set([MODEL_CACHE_NAME]));
    expect(MODEL_CACHE_NAME).toBe('rapt-lab-models-v1');
  });

  it('stores the size with the body and reports the origin estimate with the usage', async () => {
    const { storage, cache: raw } = fakeStorage();
    const cache = new CacheStorageModelCache(storage, { estimate: async () => ({ usage: 123 * MB, quota: 1000 * MB }) });
    await cache.put('https://h/m/resolve/c/model.safetensors', bytes(4096));
    const headers = new Map(raw.entries.get('https://h/m/resolve/c/model.safetensors')!.headers);
    expect(headers.get('content-length')).toBe('4096');
    expect(await cache.usage()).toEqual({ cachedBytes: 4096, files: 1, originUsageBytes: 123 * MB, originQuotaBytes: 1000 * MB });
  });

  it('turns QuotaExceededError into a clear message with the space used', async () => {
    const { storage } = fakeStorage(5 * MB);
    const cache = new CacheStorageModelCache(storage, { estimate: async () => ({ usage: 950 * MB, quota: 1000 * MB }) });
    await cache.put('https://h/m/resolve/c/a', bytes(4 * MB));
    const error = await cache.put('https://h/m/resolve/c/b', bytes(2 * MB)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelCacheFullError);
    expect((error as Error).message).toBe(
      'Browser storage is full: 950 MB used of 1000 MB (1 cached model file, 4.0 MB). ' +
        "Delete cached models in the Models panel (cached models), or free space in the browser's site settings.",
    );
    expect((error as Error).cause).toMatchObject({ name: 'QuotaExceededError' });
  });

  it('treats an entry whose body does not match its stored size as missing, and drops it', async () => {
    const { storage, cache: raw } = fakeStorage();
    const cache = new CacheStorageModelCache(storage);
    raw.entries.set('k', { body: bytes(10), headers: [['content-length', '20']] });
    expect(await cache.get('k')).toBeNull();
    expect(raw.entries.has('k')).toBe(false);
  });

  it('reads as empty when Cache Storage cannot be opened, and says so when writing', async () => {
    const storage: CacheStorageLike = {
      open: async () => {
        throw new DOMException('The operation is insecure.', 'SecurityError');
      },
    };
    const cache = new CacheStorageModelCache(storage, { estimate: async () => ({}) });
    expect(await cache.get('k')).toBeNull();
    expect(await cache.storedSize('k')).toBeNull();
    expect(await cache.list()).toEqual([]);
    expect(await cache.usage()).toEqual({ cachedBytes: 0, files: 0, originUsageBytes: null, originQuotaBytes: null });
    const error = await cache.put('k', bytes(1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect(error).not.toBeInstanceOf(ModelCacheFullError);
    expect((error as Error).message).toMatch(/Could not store k in the browser cache: The operation is insecure/);
  });

  it('is absent where there is no Cache Storage (Node, insecure pages)', () => {
    expect(browserCaches).toBeUndefined();
    expect(openBrowserModelCache()).toBeNull();
  });
});
