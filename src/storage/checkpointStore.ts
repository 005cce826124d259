// Training checkpoints (training/trainTypes.ts TrainCheckpoint: the trained parameters and the AdamW state
// as Float32Arrays, plus the curves so far), one per train run, kept apart from the run records: they are
// megabytes each, and the run store reads every record when the page opens. IndexedDB stores typed arrays
// as they are (structured clone), so nothing is converted. Layout: database "rapt-lab-checkpoints", object
// store "checkpoints", key `train/<run id>`. A record points at its checkpoint (RunRecord.checkpoint.key);
// a finished or deleted run's checkpoint is removed (prune() at start-up catches what a closed tab left).
//
// A checkpoint is read back as untrusted (another release, damage): readCheckpoint checks its shape and
// returns null for anything that is not one, so a resumed run starts from the beginning rather than crash.

import { createStore, delMany, get, keys, set, type UseStore } from 'idb-keyval';
import type { TrainCheckpoint } from '../training/trainTypes';

export const CHECKPOINTS_DATABASE = 'rapt-lab-checkpoints';

export interface CheckpointStore {
  get(key: string): Promise<unknown>;
  set(key: string, value: TrainCheckpoint): Promise<void>;
  delete(keys: string[]): Promise<void>;
  keys(): Promise<string[]>;
}

export const checkpointKey = (runId: string): string => `train/${runId}`;

export function idbCheckpointStore(store: UseStore = createStore(CHECKPOINTS_DATABASE, 'checkpoints')): CheckpointStore {
  return {
    get: (key) => get(key, store),
    set: (key, value) => set(key, value, store),
    delete: (keys) => delMany(keys, store),
    keys: async () => (await keys(store)).map(String),
  };
}

/** For tests and for a browser without IndexedDB (the checkpoints then last as long as the tab). */
export function memoryCheckpointStore(): CheckpointStore & { data: Map<string, unknown> } {
  const data = new Map<string, unknown>();
  return {
    data,
    get: async (key) => (data.has(key) ? structuredClone(data.get(key)) : undefined),
    set: async (key, value) => void data.set(key, structuredClone(value)),
    delete: async (ks) => ks.forEach((k) => data.delete(k)),
    keys: async () => [...data.keys()],
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isArrayMap = (v: unknown): v is Record<string, Float32Array> => isRecord(v) && Object.values(v).every((a) => a instanceof Float32Array);

/** The stored checkpoint if it has a checkpoint's shape, else null. */
export function readCheckpoint(value: unknown): TrainCheckpoint | null {
  if (!isRecord(value)) return null;
  const { step, params, adam, history, evals, seconds } = value;
  if (typeof step !== 'number' || !Number.isInteger(step) || step < 0) return null;
  if (!isArrayMap(params) || !isRecord(adam) || !isArrayMap(adam.m) || !isArrayMap(adam.v)) return null;
  if (!Array.isArray(history) || !Array.isArray(evals) || typeof seconds !== 'number') return null;
  if (!history.every((p) => isRecord(p) && typeof p.step === 'number') || !evals.every((p) => isRecord(p) && typeof p.step === 'number' && typeof p.accuracy === 'number')) return null;
  return value as unknown as TrainCheckpoint;
}

/** Removes the checkpoints no stored run still needs (its run is gone, finished, or points elsewhere). */
export async function pruneCheckpoints(store: CheckpointStore, needed: ReadonlySet<string>): Promise<string[]> {
  const stale = (await store.keys()).filter((k) => !needed.has(k));
  if (stale.length) await store.delete(stale);
  return stale;
}
