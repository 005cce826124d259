// The browser's stored runs: one IndexedDB database ("rapt-lab-runs", object store "runs") through
// idb-keyval. Layout (keys → values):
//   run/<id>   a RunRecord (runRecord.ts), written as the run goes
//   meta       { storeVersion } — the version of this layout
// runStore.ts does all the logic against the KeyValueBackend interface, so it is tested in Node with the
// in-memory backend; this file is the thin real one.

import { createStore, delMany, entries, setMany, type UseStore } from 'idb-keyval';
import type { KeyValueBackend } from './runStore';

export const RUNS_DATABASE = 'rapt-lab-runs';

export function idbBackend(store: UseStore = createStore(RUNS_DATABASE, 'runs')): KeyValueBackend {
  return {
    entries: async () => (await entries<IDBValidKey, unknown>(store)).map(([k, v]) => [String(k), v]),
    setMany: (items) => setMany(items, store),
    delMany: (keys) => delMany(keys, store),
  };
}
