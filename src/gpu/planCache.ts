// Forward plans (activation buffers + prepared dispatches) per input shape, least recently used evicted.
// A plan for a large shape holds tens of MB of activations, so only a few are kept.

import { destroyDispatches, type PreparedDispatch } from './preparedDispatch';

export interface ShapePlan {
  buffers: GPUBuffer[];
  dispatches: PreparedDispatch[];
}

export class PlanCache<P extends ShapePlan> {
  private readonly plans = new Map<string, P>();

  constructor(private readonly capacity: number) {}

  /** The plan for `key`, built with `build` on a miss (evicting the least recently used one). */
  get(key: string, build: () => P): P {
    const cached = this.plans.get(key);
    if (cached) {
      this.plans.delete(key);
      this.plans.set(key, cached);
      return cached;
    }
    if (this.plans.size >= this.capacity) {
      const [oldKey, old] = this.plans.entries().next().value as [string, P];
      this.plans.delete(oldKey);
      destroyPlan(old);
    }
    const plan = build();
    this.plans.set(key, plan);
    return plan;
  }

  clear(): void {
    for (const p of this.plans.values()) destroyPlan(p);
    this.plans.clear();
  }
}

function destroyPlan(p: ShapePlan): void {
  destroyDispatches(p.dispatches);
  for (const b of p.buffers) b.destroy();
}
