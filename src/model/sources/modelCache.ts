// The browser cache for downloaded model files, so a model fetched once loads offline afterwards. Built on
// the Cache Storage API rather than IndexedDB: it stores large bodies as blobs without structured cloning,
// is keyed by URL (which already names host, model, revision and file) and exists in workers too.
// hubSource.ts writes only complete, verified files here. MemoryModelCache is the same contract in memory,
// for tests and for contexts without Cache Storage.

import { ModelLoadError } from '../fetchWithProgress';

export const MODEL_CACHE_NAME = 'rapt-lab-models-v1';

/** Where the user deletes cached models (the storage-full message points there). */
export const CACHE_MANAGEMENT_HINT = 'the Models panel (cached models)';

export interface CachedFile {
  url: string;
  bytes: number;
}

export interface CacheUsage {
  /** Sum of the stored model files' sizes. */
  cachedBytes: number;
  files: number;
  /** navigator.storage.estimate() for the whole origin, when the browser offers it. */
  originUsageBytes: number | null;
  originQuotaBytes: number | null;
}

export interface ModelCache {
  /** The stored bytes, or null when the file is not cached (or the cache cannot be read). */
  get(url: string): Promise<ArrayBuffer | null>;
  /** The stored size, or null when not cached: answers "is it cached?" without reading the body. */
  storedSize(url: string): Promise<number | null>;
  /** Stores a copy of `bytes`. Throws ModelCacheFullError when the browser's quota is reached. */
  put(url: string, bytes: ArrayBuffer): Promise<void>;
  delete(url: string): Promise<boolean>;
  /** Stored files whose URL starts with `prefix` (all when omitted). */
  list(prefix?: string): Promise<CachedFile[]>;
  usage(): Promise<CacheUsage>;
}

/** The storage quota was reached; the message says how much is used and where to free space. */
export class ModelCacheFullError extends ModelLoadError {}

function megabytes(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0);
}

export function storageFullMessage(usage: CacheUsage): string {
  const used = usage.originUsageBytes ?? usage.cachedBytes;
  const quota = usage.originQuotaBytes !== null ? ` of ${megabytes(usage.originQuotaBytes)} MB` : '';
  return (
    `Browser storage is full: ${megabytes(used)} MB used${quota} (${usage.files} cached model file${usage.files === 1 ? '' : 's'}, ${megabytes(usage.cachedBytes)} MB). ` +
    `Delete cached models in ${CACHE_MANAGEMENT_HINT}, or free space in the browser's site settings.`
  );
}

function isQuotaError(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const { name, code } = e as { name?: unknown; code?: unknown };
  // Firefox names it NS_ERROR_DOM_QUOTA_REACHED; legacy DOMException code 22.
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED' || code === 22;
}

type Estimate = () => Promise<{ usage?: number; quota?: number }>;

function browserEstimate(): Estimate | undefined {
  const storage = (globalThis as { navigator?: { storage?: { estimate?: Estimate } } }).navigator?.storage;
  return storage?.estimate ? () => storage.estimate!() : undefined;
}

async function originEstimate(estimate: Estimate | undefined): Promise<Pick<CacheUsage, 'originUsageBytes' | 'originQuotaBytes'>> {
  try {
    const e = estimate ? await estimate() : undefined;
    return { originUsageBytes: e?.usage ?? null, originQuotaBytes: e?.quota ?? null };
  } catch {
    return { originUsageBytes: null, originQuotaBytes: null };
  }
}

/** The parts of the Cache Storage API used here; the browser's `caches` satisfies it, tests pass a fake. */
export interface CacheLike {
  match(request: string): Promise<Response | undefined>;
  put(request: string, response: Response): Promise<void>;
  delete(request: string): Promise<boolean>;
  keys(): Promise<ReadonlyArray<{ readonly url: string }>>;
}

export interface CacheStorageLike {
  open(cacheName: string): Promise<CacheLike>;
}

export class CacheStorageModelCache implements ModelCache {
  private cache: Promise<CacheLike> | null = null;
  private readonly cacheName: string;
  private readonly estimate: Estimate | undefined;

  constructor(
    private readonly storage: CacheStorageLike,
    options: { cacheName?: string; estimate?: Estimate } = {},
  ) {
    this.cacheName = options.cacheName ?? MODEL_CACHE_NAME;
    this.estimate = options.estimate ?? browserEstimate();
  }

  private open(): Promise<CacheLike> {
    // A failed open (Firefox private windows refuse Cache Storage) is retried on the next call.
    this.cache ??= this.storage.open(this.cacheName).catch((e: unknown) => {
      this.cache = null;
      throw e;
    });
    return this.cache;
  }

  async get(url: string): Promise<ArrayBuffer | null> {
    try {
      const response = await (await this.open()).match(url);
      if (!response) return null;
      const bytes = await response.arrayBuffer();
      const stored = Number(response.headers.get('content-length'));
      if (Number.isFinite(stored) && stored !== bytes.byteLength) {
        await this.delete(url);
        return null;
      }
      return bytes;
    } catch {
      // An unreadable cache is a miss: the file is downloaded again.
      return null;
    }
  }

  async storedSize(url: string): Promise<number | null> {
    try {
      const response = await (await this.open()).match(url);
      if (!response) return null;
      const size = Number(response.headers.get('content-length'));
      // Not reading the body: cancel it so the browser can release it.
      await response.body?.cancel().catch(() => {});
      return Number.isFinite(size) ? size : null;
    } catch {
      return null;
    }
  }

  async put(url: string, bytes: ArrayBuffer): Promise<void> {
    // Response copies the bytes (Fetch: "extract a body"), so the caller may transfer its buffer afterwards.
    const response = new Response(bytes, {
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(bytes.byteLength),
        'x-rapt-stored-at': new Date().toISOString(),
      },
    });
    try {
      await (await this.open()).put(url, response);
    } catch (e) {
      if (isQuotaError(e)) throw new ModelCacheFullError(storageFullMessage(await this.usage()), { cause: e });
      throw new ModelLoadError(`Could not store ${url} in the browser cache: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }

  async delete(url: string): Promise<boolean> {
    try {
      return await (await this.open()).delete(url);
    } catch {
      return false;
    }
  }

  async list(prefix = ''): Promise<CachedFile[]> {
    let cache: CacheLike;
    try {
      cache = await this.open();
    } catch {
      return [];
    }
    const out: CachedFile[] = [];
    for (const request of await cache.keys()) {
      if (!request.url.startsWith(prefix)) continue;
      const size = await this.storedSize(request.url);
      if (size !== null) out.push({ url: request.url, bytes: size });
    }
    return out;
  }

  async usage(): Promise<CacheUsage> {
    const files = await this.list();
    return { cachedBytes: files.reduce((s, f) => s + f.bytes, 0), files: files.length, ...(await originEstimate(this.estimate)) };
  }
}

/** Cache Storage of this page or worker, or null where there is none (insecure contexts, Node). */
export function openBrowserModelCache(): ModelCache | null {
  const storage = (globalThis as { caches?: CacheStorageLike }).caches;
  return storage ? new CacheStorageModelCache(storage) : null;
}

/** The same contract in memory. `quotaBytes` makes put fail like a full browser storage (for tests). */
export class MemoryModelCache implements ModelCache {
  private readonly files = new Map<string, ArrayBuffer>();

  constructor(private readonly options: { quotaBytes?: number } = {}) {}

  async get(url: string): Promise<ArrayBuffer | null> {
    const bytes = this.files.get(url);
    return bytes ? bytes.slice(0) : null;
  }

  async storedSize(url: string): Promise<number | null> {
    return this.files.get(url)?.byteLength ?? null;
  }

  async put(url: string, bytes: ArrayBuffer): Promise<void> {
    const quota = this.options.quotaBytes;
    if (quota !== undefined) {
      const used = [...this.files].reduce((s, [key, b]) => s + (key === url ? 0 : b.byteLength), 0);
      if (used + bytes.byteLength > quota) {
        const usage = await this.usage();
        throw new ModelCacheFullError(storageFullMessage({ ...usage, originUsageBytes: used, originQuotaBytes: quota }));
      }
    }
    this.files.set(url, bytes.slice(0));
  }

  async delete(url: string): Promise<boolean> {
    return this.files.delete(url);
  }

  async list(prefix = ''): Promise<CachedFile[]> {
    return [...this.files].filter(([url]) => url.startsWith(prefix)).map(([url, b]) => ({ url, bytes: b.byteLength }));
  }

  async usage(): Promise<CacheUsage> {
    const files = await this.list();
    return {
      cachedBytes: files.reduce((s, f) => s + f.bytes, 0),
      files: files.length,
      originUsageBytes: null,
      originQuotaBytes: this.options.quotaBytes ?? null,
    };
  }
}
