// One GPU runtime shared by the tests of a file (one device per adapter on some browsers).
import { openDevice } from '../../src/gpu/device';
import { GpuRuntime } from '../../src/gpu/runtime';
import { PhiloxStream } from '../../src/privacy/random/philox';

let runtime: Promise<GpuRuntime> | null = null;

export function testRuntime(): Promise<GpuRuntime> {
  runtime ??= openDevice().then((d) => new GpuRuntime(d));
  return runtime;
}

/** Seeded uniform numbers in [0, 1) for test inputs, from the project's own generator. */
export function testRandom(seed: number): () => number {
  const stream = new PhiloxStream(seed, 0);
  return () => stream.nextFloat();
}
