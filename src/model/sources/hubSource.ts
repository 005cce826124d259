// A model on the Hugging Face Hub, by id, through the browser cache.
//
// First load: one API request lists the files at the revision with their sizes, LFS SHA-256s and the commit
// the revision points to (huggingface_hub model_info(files_metadata=True)). Files are then downloaded from
// that commit — so a branch that moves mid-download cannot mix two versions — and each one is verified
// (size and hash from the listing, no web page, no truncation) before it is cached. Second load: the
// listing and the files come from the cache without touching the network, so it works offline and loads
// the same commit as before (pass checkForUpdates to look for a newer one).
//
// When the listing API is missing (a mirror answering 404), has() falls back to HEAD requests and files are
// fetched at the revision as given, still verified by length and content.
//
// The app cannot log in to the Hub, so private and gated models cannot be downloaded here; the messages
// say how to get their files into a local folder instead.

import { ModelLoadError, announcedLength, isAbortError, readBodyWithProgress, type OnBytes } from '../fetchWithProgress';
import { DEFAULT_REVISION, HUB_BASE_URL, fileOfCacheKey, hubAddress, validateRepoFilePath, type HubAddress } from './hubAddress';
import { ModelCacheFullError, type ModelCache } from './modelCache';
import type { ModelFileSource } from './modelFileSource';
import { checkExpectedBlob, checkModelFileContent, checkNotWebPage, looksLikeHtml, type ExpectedBlob } from './verifyModelFile';

export interface HubSourceOptions {
  revision?: string;
  baseUrl?: string;
  /** Where verified downloads are kept (openBrowserModelCache() in the app); none: always download. */
  cache?: ModelCache | null;
  fetchImpl?: typeof fetch;
  /** Ask the Hub for the revision's current commit even when a listing is cached (falls back to it offline). */
  checkForUpdates?: boolean;
  /** A file loaded but could not be cached (storage full…); the load itself goes on. Default: console.warn. */
  onCacheWarning?: (message: string) => void;
}

export interface HubModelSource extends ModelFileSource {
  readonly kind: 'hub';
  readonly address: HubAddress;
  /** The commit the revision resolved to (for the run's record), or null without a listing. */
  commit(): Promise<string | null>;
}

/** What the Hub's listing says about the repository at the revision. */
interface HubListing {
  commit: string | null;
  files: Map<string, ExpectedBlob>;
  gated: boolean;
}

const COMMIT = /^[0-9a-f]{40}$/;

function parseListing(json: unknown): HubListing | null {
  if (typeof json !== 'object' || json === null) return null;
  const { siblings, sha, gated } = json as { siblings?: unknown; sha?: unknown; gated?: unknown };
  if (!Array.isArray(siblings)) return null;
  const files = new Map<string, ExpectedBlob>();
  for (const entry of siblings as unknown[]) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { rfilename, size, blobId, lfs } = entry as { rfilename?: unknown; size?: unknown; blobId?: unknown; lfs?: unknown };
    if (typeof rfilename !== 'string') continue;
    const lfsInfo = (typeof lfs === 'object' && lfs !== null ? lfs : {}) as { sha256?: unknown; size?: unknown };
    const lfsSize = typeof lfsInfo.size === 'number' ? lfsInfo.size : null;
    const sha256 = typeof lfsInfo.sha256 === 'string' && /^[0-9a-f]{64}$/i.test(lfsInfo.sha256) ? lfsInfo.sha256 : null;
    files.set(rfilename, {
      size: lfsSize ?? (Number.isSafeInteger(size) && (size as number) >= 0 ? (size as number) : null),
      sha256,
      // For LFS files blobId is the pointer's id, not the content's.
      gitBlobSha1: !lfs && typeof blobId === 'string' && /^[0-9a-f]{40}$/i.test(blobId) ? blobId : null,
    });
  }
  return {
    commit: typeof sha === 'string' && COMMIT.test(sha) ? sha : null,
    files,
    gated: gated !== undefined && gated !== false,
  };
}

function decodeJson(bytes: ArrayBuffer): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function hubSource(modelId: string, options: HubSourceOptions = {}): HubModelSource {
  // Validation first: a refused id or revision never reaches fetch.
  const address = hubAddress(modelId, options.revision ?? DEFAULT_REVISION, options.baseUrl ?? HUB_BASE_URL);
  const { modelId: id, revision } = address;
  const cache = options.cache ?? null;
  const doFetch = options.fetchImpl ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const warn = options.onCacheWarning ?? ((message: string) => console.warn(message));
  const where = address.baseUrl === HUB_BASE_URL ? 'Hugging Face Hub' : `Hugging Face Hub mirror ${address.host}`;
  const label = `${id}${revision === DEFAULT_REVISION ? '' : `@${revision}`} (${where})`;
  const at = `model ${id} at revision ${revision}`;
  /** From the listing: the Hub lists a gated model's files but refuses to send them without a login. */
  let knownGated = false;

  function statusError(response: Response, file: string | null): ModelLoadError {
    const status = response.status;
    const code = response.headers.get('x-error-code');
    const what = file ? `${file} of ${at}` : at;
    if (status === 401 || status === 403 || code === 'GatedRepo' || code === 'RepoNotFound') {
      const instead = 'accept the licence on the Hub and download the files yourself, then open the folder as a local model (this app cannot log in).';
      return new ModelLoadError(
        knownGated || code === 'GatedRepo'
          ? `${id} is gated (the Hub answered ${status} for ${what}): ${instead}`
          : `${id} is gated or private, or does not exist (the Hub answered ${status} for ${what}). Check the spelling; for a gated model, ${instead}`,
      );
    }
    if (code === 'RevisionNotFound') return new ModelLoadError(`Model ${id} has no revision "${revision}" on the Hub. Use a branch, tag or commit listed on the model page (main by default).`);
    if (status === 404) {
      return new ModelLoadError(file ? `No file ${file} in ${at}.` : `No ${at} on the Hub.`);
    }
    if (status === 429) return new ModelLoadError(`The Hub is limiting requests (429) for ${what}. Wait a minute and try again.`);
    if (status >= 500) return new ModelLoadError(`The Hub had a server error (${status}) for ${what}. Try again in a few minutes.`);
    return new ModelLoadError(`The Hub answered ${status} ${response.statusText} for ${what}.`);
  }

  async function offlineError(what: string, cause: unknown): Promise<ModelLoadError> {
    const cached = cache ? await cache.list(address.cachePrefix) : [];
    const names = [...new Set(cached.map((c) => fileOfCacheKey(address, c.url)?.file).filter((f): f is string => !!f))];
    const inCache = names.length
      ? `The browser cache has ${names.length} file${names.length === 1 ? '' : 's'} of this model (${names.slice(0, 8).join(', ')}${names.length > 8 ? ', …' : ''}) but not this one, so it must be downloaded once online.`
      : 'The browser cache has no files of this model yet: it must be downloaded once while online.';
    return new ModelLoadError(`Could not reach ${address.host} for ${what} of ${id} (${describe(cause)}). Offline? ${inCache}`, { cause });
  }

  async function store(key: string, bytes: ArrayBuffer, what: string): Promise<void> {
    if (!cache) return;
    try {
      await cache.put(key, bytes);
    } catch (e) {
      const reason = e instanceof ModelCacheFullError ? e.message : `Could not cache it: ${describe(e)}.`;
      warn(`${what} of ${id} was loaded but not cached, so the next load downloads it again. ${reason}`);
    }
  }

  async function request(url: string, what: string, init: RequestInit): Promise<Response> {
    try {
      return await doFetch(url, init);
    } catch (e) {
      if (isAbortError(e)) throw e;
      throw await offlineError(what, e);
    }
  }

  async function cachedListing(): Promise<HubListing | null> {
    const bytes = cache ? await cache.get(address.listingCacheKey) : null;
    return bytes ? parseListing(decodeJson(bytes)) : null;
  }

  async function loadListing(): Promise<HubListing | null> {
    if (!options.checkForUpdates) {
      const cached = await cachedListing();
      if (cached) return cached;
    }
    let response: Response;
    try {
      response = await doFetch(address.listingUrl, { headers: { accept: 'application/json' } });
    } catch (e) {
      if (isAbortError(e)) throw e;
      // Unreachable (offline): files cached at the revision may still serve; a file that is not cached
      // fails with the offline message. Not remembered, so the next call asks the Hub again.
      listingUnreachable = true;
      return options.checkForUpdates ? await cachedListing() : null;
    }
    if (response.ok) {
      const bytes = await readBodyWithProgress(response, `the file list of ${label}`, () => {});
      if (looksLikeHtml('listing.json', new Uint8Array(bytes), response.headers.get('content-type'))) {
        throw new ModelLoadError(`${address.host} answered with a web page instead of the file list of ${id} (a login page, proxy or captive portal?). Open the model page in a new tab to check, then try again.`);
      }
      const listing = parseListing(decodeJson(bytes));
      if (listing) await store(address.listingCacheKey, bytes, 'The file list');
      return listing;
    }
    await response.body?.cancel().catch(() => {});
    // No listing API here (a mirror): the caller falls back to HEAD requests per file.
    if (response.status === 404 && !response.headers.get('x-error-code')) return null;
    throw statusError(response, null);
  }

  let listingPromise: Promise<HubListing | null> | null = null;
  let listingUnreachable = false;
  function listing(): Promise<HubListing | null> {
    // Shared by concurrent calls; a failure or an unreachable Hub is not remembered, so the next call asks again.
    listingPromise ??= loadListing().then(
      (l) => {
        knownGated = l?.gated ?? false;
        if (listingUnreachable) listingPromise = null;
        listingUnreachable = false;
        return l;
      },
      (e: unknown) => {
        listingPromise = null;
        throw e;
      },
    );
    return listingPromise;
  }

  function missingFile(file: string, l: HubListing): ModelLoadError {
    const present = [...l.files.keys()].filter((f) => !f.startsWith('.'));
    const shown = present.slice(0, 20).join(', ') + (present.length > 20 ? `, … (${present.length} files)` : '');
    return new ModelLoadError(`No file ${file} in ${at}. It has: ${shown || 'no files'}.`);
  }

  return {
    kind: 'hub',
    label,
    address,

    async commit() {
      return (await listing())?.commit ?? null;
    },

    async has(file) {
      validateRepoFilePath(file);
      const l = await listing();
      if (l) return l.files.has(file);
      const url = address.fileUrl(file);
      if (cache && (await cache.storedSize(url)) !== null) return true;
      const response = await request(url, file, { method: 'HEAD' });
      if (response.status === 404 && !['RevisionNotFound', 'RepoNotFound'].includes(response.headers.get('x-error-code') ?? '')) return false;
      if (!response.ok) throw statusError(response, file);
      if (looksLikeHtml(file, new Uint8Array(0), response.headers.get('content-type'))) {
        throw new ModelLoadError(`${address.host} answered with a web page for ${file} of ${id} (a login page, proxy or captive portal?). Open the model page in a new tab to check, then try again.`);
      }
      return true;
    },

    async size(file) {
      validateRepoFilePath(file);
      const l = await listing();
      if (l) return l.files.get(file)?.size ?? null;
      const url = address.fileUrl(file);
      const stored = cache ? await cache.storedSize(url) : null;
      if (stored !== null) return stored;
      try {
        const response = await doFetch(url, { method: 'HEAD' });
        return response.ok ? announcedLength(response) : null;
      } catch (e) {
        if (isAbortError(e)) throw e;
        return null;
      }
    },

    async fetch(file, onBytes: OnBytes, signal) {
      validateRepoFilePath(file);
      const l = await listing();
      if (l && !l.files.has(file)) throw missingFile(file, l);
      const url = address.fileUrl(file, l?.commit ?? revision);
      const hit = cache ? await cache.get(url) : null;
      if (hit) {
        onBytes(hit.byteLength, hit.byteLength);
        return hit;
      }
      signal?.throwIfAborted();
      const response = await request(url, file, { signal });
      if (!response.ok) {
        await response.body?.cancel().catch(() => {});
        throw statusError(response, file);
      }
      const expected = l?.files.get(file) ?? null;
      const knownSize = expected?.size ?? null;
      const bytes = await readBodyWithProgress(response, `${file} of ${id}`, (delta, total) => onBytes(delta, total ?? knownSize), signal);
      // A web page first (its size would also differ, but that message would mislead), then the listing's
      // size and hash, then the file's own structure.
      checkNotWebPage(file, bytes, address.host, response.headers.get('content-type'));
      if (expected) await checkExpectedBlob(file, bytes, expected, address.host);
      checkModelFileContent(file, bytes, address.host);
      await store(url, bytes, file);
      return bytes;
    },
  };
}

/** The cached files of a model (all revisions), e.g. for a "cached models" list. */
export async function cachedHubFiles(cache: ModelCache, modelId: string, baseUrl: string = HUB_BASE_URL): Promise<Array<{ revision: string; file: string; bytes: number }>> {
  const address = hubAddress(modelId, DEFAULT_REVISION, baseUrl);
  const out: Array<{ revision: string; file: string; bytes: number }> = [];
  for (const entry of await cache.list(address.cachePrefix)) {
    const f = fileOfCacheKey(address, entry.url);
    if (f) out.push({ ...f, bytes: entry.bytes });
  }
  return out;
}

/** Removes every cached file and listing of a model; returns how many entries went. */
export async function deleteCachedHubModel(cache: ModelCache, modelId: string, baseUrl: string = HUB_BASE_URL): Promise<number> {
  const address = hubAddress(modelId, DEFAULT_REVISION, baseUrl);
  let removed = 0;
  for (const entry of await cache.list(address.cachePrefix)) {
    const rest = entry.url.slice(address.cachePrefix.length);
    if (/^(resolve|listing)\//.test(rest) && (await cache.delete(entry.url))) removed++;
  }
  return removed;
}
