// The runs, in memory and in a key-value backend (IndexedDB in the browser: idbBackend.ts; a Map in tests).
// Writes are batched: save() updates memory at once and writes the changed records together shortly after
// (`batched`), or right away (`now`: status changes and checkpoints, so a reload or crash keeps them).
// A failed write keeps the records dirty in memory and reports the problem (a full disk gets the space used
// and a way to free it, storageQuota.ts); the next flush tries again. Deleting can be undone: the deleted
// records are handed back to the caller, and restore() writes them again.

import { parseRunRecord, RECORD_VERSION, type RunRecord } from './runRecord';
import { browserEstimate, isQuotaError, StorageError, StorageQuotaError, type EstimateStorage } from './storageQuota';

/** What the store needs of a backend: idb-keyval's entries/setMany/delMany. */
export interface KeyValueBackend {
  entries(): Promise<[string, unknown][]>;
  setMany(entries: [string, unknown][]): Promise<void>;
  delMany(keys: string[]): Promise<void>;
}

/** Version of the key layout (see idbBackend.ts); records carry their own recordVersion. */
export const STORE_VERSION = 1;
const RUN_PREFIX = 'run/';
const META_KEY = 'meta';

export function memoryBackend(initial: [string, unknown][] = []): KeyValueBackend & { data: Map<string, unknown> } {
  const data = new Map(initial);
  // Stored values are copies (IndexedDB clones them): later changes to an object must not leak in.
  const clone = <T>(v: T): T => structuredClone(v);
  return {
    data,
    entries: async () => [...data.entries()].map(([k, v]) => [k, clone(v)]),
    setMany: async (items) => items.forEach(([k, v]) => data.set(k, clone(v))),
    delMany: async (keys) => keys.forEach((k) => data.delete(k)),
  };
}

export interface RunStoreOptions {
  estimate?: EstimateStorage;
  /** Problems while writing (quota, a closed database); the store keeps the data and retries. */
  onError?: (e: Error) => void;
  /** How long batched writes wait for more changes. */
  batchMs?: number;
}

export interface OpenedStore {
  store: RunStore;
  /** Stored entries that could not be read (a newer version, damaged data), with the reason. */
  unreadable: { key: string; reason: string }[];
}

export class RunStore {
  readonly #backend: KeyValueBackend;
  readonly #runs = new Map<string, RunRecord>();
  readonly #dirty = new Set<string>();
  readonly #listeners = new Set<() => void>();
  readonly #estimate: EstimateStorage;
  readonly #onError: (e: Error) => void;
  readonly #batchMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #writing: Promise<void> = Promise.resolve();
  /** The last write problem, cleared by a successful write. */
  problem: Error | null = null;

  private constructor(backend: KeyValueBackend, options: RunStoreOptions) {
    this.#backend = backend;
    this.#estimate = options.estimate ?? browserEstimate;
    this.#onError = options.onError ?? (() => {});
    this.#batchMs = options.batchMs ?? 400;
  }

  static async open(backend: KeyValueBackend, options: RunStoreOptions = {}): Promise<OpenedStore> {
    const store = new RunStore(backend, options);
    const unreadable: OpenedStore['unreadable'] = [];
    const stored = await backend.entries();
    const meta = stored.find(([k]) => k === META_KEY)?.[1] as { storeVersion?: unknown } | undefined;
    if (meta && typeof meta.storeVersion === 'number' && meta.storeVersion > STORE_VERSION) {
      throw new StorageError(`The stored runs were written by a newer RAPT Lab (storage layout ${meta.storeVersion}; this one reads ${STORE_VERSION}). Open them in the newer version.`);
    }
    for (const [key, value] of stored) {
      if (!key.startsWith(RUN_PREFIX)) continue;
      try {
        const run = parseRunRecord(value, `The stored run ${key.slice(RUN_PREFIX.length, RUN_PREFIX.length + 80)}`);
        store.#runs.set(run.id, run);
      } catch (e) {
        // Kept in the database untouched (a newer RAPT Lab may read it); listed for the user.
        unreadable.push({ key, reason: (e as Error).message });
      }
    }
    if (!meta) {
      // Not fatal: the runs can still be kept in memory, and the next write reports the problem.
      await backend.setMany([[META_KEY, { storeVersion: STORE_VERSION, recordVersion: RECORD_VERSION }]]).catch(() => {});
    }
    return { store, unreadable };
  }

  // ── reading ─────────────────────────────────────────────────────────────────────────────────────────

  list(): RunRecord[] {
    return [...this.#runs.values()];
  }

  get(id: string): RunRecord | undefined {
    return this.#runs.get(id);
  }

  has(id: string): boolean {
    return this.#runs.has(id);
  }

  /** Approximate bytes of one run (its JSON), for sorting by size when space is short. */
  static sizeOf(run: RunRecord): number {
    return JSON.stringify(run).length;
  }

  totalBytes(): number {
    let total = 0;
    for (const r of this.#runs.values()) total += RunStore.sizeOf(r);
    return total;
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed(): void {
    for (const l of this.#listeners) l();
  }

  // ── writing ─────────────────────────────────────────────────────────────────────────────────────────

  /** Replaces a run in memory at once; writes it with the next batch, or before resolving with `now`. */
  async save(run: RunRecord, mode: 'now' | 'batched' = 'batched'): Promise<void> {
    this.#runs.set(run.id, run);
    this.#dirty.add(run.id);
    this.#changed();
    if (mode === 'now') return this.flush();
    this.#timer ??= setTimeout(() => void this.flush(), this.#batchMs);
  }

  /** Writes every changed run; resolves when written (or when the failure has been reported). */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    // One write at a time, in order; a flush asked for during a write runs after it.
    this.#writing = this.#writing.then(() => this.#write());
    return this.#writing;
  }

  async #write(): Promise<void> {
    if (this.#dirty.size === 0) return;
    const ids = [...this.#dirty];
    this.#dirty.clear();
    const items = ids.flatMap((id): [string, unknown][] => {
      const run = this.#runs.get(id);
      return run ? [[RUN_PREFIX + id, run]] : [];
    });
    try {
      await this.#backend.setMany(items);
      if (this.problem) {
        this.problem = null;
        this.#changed();
      }
    } catch (e) {
      for (const id of ids) if (this.#runs.has(id)) this.#dirty.add(id);
      this.problem = isQuotaError(e) ? new StorageQuotaError(await this.#estimate(), this.totalBytes()) : new StorageError(`The runs could not be saved: ${(e as Error)?.message ?? String(e)}`);
      this.#changed();
      this.#onError(this.problem);
    }
  }

  /** Deletes runs now; returns them so the deletion can be undone with restore(). */
  async remove(ids: readonly string[]): Promise<RunRecord[]> {
    const removed = ids.flatMap((id) => {
      const run = this.#runs.get(id);
      return run ? [run] : [];
    });
    for (const r of removed) {
      this.#runs.delete(r.id);
      this.#dirty.delete(r.id);
    }
    this.#changed();
    await this.#writing;
    try {
      await this.#backend.delMany(removed.map((r) => RUN_PREFIX + r.id));
    } catch (e) {
      this.#onError(new StorageError(`The runs could not be deleted from storage: ${(e as Error)?.message ?? String(e)}`));
    }
    return removed;
  }

  /** Puts deleted (or imported) runs back; written right away. */
  async restore(runs: readonly RunRecord[]): Promise<void> {
    for (const r of runs) {
      this.#runs.set(r.id, r);
      this.#dirty.add(r.id);
    }
    this.#changed();
    await this.flush();
  }
}
