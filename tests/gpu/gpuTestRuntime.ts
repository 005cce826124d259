// One GPU runtime shared by the tests of a file (one device per adapter on some browsers).
import { openDevice } from '../../src/gpu/device';
import { GpuRuntime } from '../../src/gpu/runtime';

let runtime: Promise<GpuRuntime> | null = null;

export function testRuntime(): Promise<GpuRuntime> {
  runtime ??= openDevice().then((d) => new GpuRuntime(d));
  return runtime;
}

/** A seeded non-cryptographic generator for test inputs (mulberry32). */
export function testRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
