// Starts the engine worker and returns its typed comlink proxy. Callbacks passed to the engine must be
// wrapped with `Comlink.proxy` — `withCallbacks` does that so callers cannot forget.

import * as Comlink from 'comlink';
import type { EngineApi } from './engineApi';

export type Engine = Comlink.Remote<EngineApi>;

export function startEngine(): { engine: Engine; terminate: () => void } {
  const worker = new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module', name: 'rapt-engine' });
  return { engine: Comlink.wrap<EngineApi>(worker), terminate: () => worker.terminate() };
}

export const callback = <T extends (...args: never[]) => unknown>(fn: T): T => Comlink.proxy(fn) as unknown as T;
