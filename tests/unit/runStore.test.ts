import { describe, expect, it, vi } from 'vitest';
import { RECORD_VERSION, type RunRecord } from '../../src/storage/runRecord';
import { memoryBackend, RunStore, STORE_VERSION, type KeyValueBackend } from '../../src/storage/runStore';
import { StorageQuotaError } from '../../src/storage/storageQuota';
import { record } from './runFixtures';

const quotaError = () => Object.assign(new Error('The quota has been exceeded.'), { name: 'QuotaExceededError' });

describe('run store', () => {
  it('writes runs under run/<id> with a layout version, and reads them back validated', async () => {
    const backend = memoryBackend();
    const { store } = await RunStore.open(backend);
    await store.save(await record('run-a'), 'now');
    expect([...backend.data.keys()].sort()).toEqual(['meta', 'run/run-a']);
    expect(backend.data.get('meta')).toEqual({ storeVersion: STORE_VERSION, recordVersion: RECORD_VERSION });
    const again = await RunStore.open(backend);
    expect(again.store.list().map((r) => r.id)).toEqual(['run-a']);
    expect(again.unreadable).toEqual([]);
  });

  it('batches writes: many saves, one write', async () => {
    vi.useFakeTimers();
    try {
      const backend = memoryBackend();
      const setMany = vi.spyOn(backend, 'setMany');
      const { store } = await RunStore.open(backend, { batchMs: 100 });
      setMany.mockClear();
      const r = await record('run-b');
      for (let i = 0; i < 20; i++) void store.save({ ...r, progress: { fraction: i / 20, stage: `step ${i}` } });
      expect(setMany).not.toHaveBeenCalled();
      expect(store.get('run-b')?.progress.stage).toBe('step 19');
      await vi.advanceTimersByTimeAsync(150);
      expect(setMany).toHaveBeenCalledTimes(1);
      expect((backend.data.get('run/run-b') as RunRecord).progress.stage).toBe('step 19');
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps records it cannot read (newer versions, damage) and lists them', async () => {
    const good = await record('run-c');
    const backend = memoryBackend([
      ['run/run-c', good],
      ['run/run-new', { ...good, id: 'run-new', recordVersion: 99 }],
      ['run/run-bad', { ...good, id: 'run-bad', status: 'exploded' }],
    ]);
    const { store, unreadable } = await RunStore.open(backend);
    expect(store.list().map((r) => r.id)).toEqual(['run-c']);
    expect(unreadable.map((u) => u.key).sort()).toEqual(['run/run-bad', 'run/run-new']);
    expect(unreadable.find((u) => u.key === 'run/run-new')?.reason).toContain('newer RAPT Lab');
    expect(backend.data.has('run/run-new')).toBe(true);
  });

  it('refuses a storage layout from a newer version', async () => {
    await expect(RunStore.open(memoryBackend([['meta', { storeVersion: 99 }]]))).rejects.toThrow('newer RAPT Lab');
  });

  it('reports a full disk with the space used and keeps the data to retry', async () => {
    const backend = memoryBackend();
    const errors: Error[] = [];
    const { store } = await RunStore.open(backend, { estimate: async () => ({ usage: 52_428_800, quota: 52_428_800 }), onError: (e) => errors.push(e) });
    const real = backend.setMany;
    backend.setMany = async () => Promise.reject(quotaError());
    await store.save(await record('run-d'), 'now');
    expect(errors[0]).toBeInstanceOf(StorageQuotaError);
    expect(errors[0].message).toContain('uses 50.0 MB of the 50.0 MB');
    expect(errors[0].message).toContain('delete runs');
    expect(store.problem).toBe(errors[0]);
    expect(store.get('run-d')).toBeDefined();
    backend.setMany = real;
    await store.flush();
    expect(backend.data.has('run/run-d')).toBe(true);
    expect(store.problem).toBeNull();
  });

  it('deletes with undo', async () => {
    const backend = memoryBackend();
    const { store } = await RunStore.open(backend);
    await store.restore([await record('run-e'), await record('run-f')]);
    const removed = await store.remove(['run-e', 'run-missing']);
    expect(removed.map((r) => r.id)).toEqual(['run-e']);
    expect(backend.data.has('run/run-e')).toBe(false);
    expect(store.list().map((r) => r.id)).toEqual(['run-f']);
    await store.restore(removed);
    expect(backend.data.has('run/run-e')).toBe(true);
  });

  it('tells subscribers about changes', async () => {
    const { store } = await RunStore.open(memoryBackend());
    const seen = vi.fn();
    const off = store.subscribe(seen);
    await store.save(await record('run-g'), 'now');
    expect(seen).toHaveBeenCalled();
    off();
  });

  it('a backend that fails for another reason gets a plain storage error', async () => {
    const backend: KeyValueBackend = { ...memoryBackend(), setMany: async () => Promise.reject(new Error('database closed')) };
    const errors: Error[] = [];
    const { store } = await RunStore.open(backend, { onError: (e) => errors.push(e) });
    await store.save(await record('run-h'), 'now');
    expect(errors[0].name).toBe('StorageError');
    expect(errors[0].message).toContain('database closed');
  });
});
