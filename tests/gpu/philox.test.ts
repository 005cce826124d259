import { describe, expect, it } from 'vitest';
import { normal4, philox4x32 } from '../../src/privacy/random/philox';
import { testRandom, testRuntime } from './gpuTestRuntime';

describe('shaders/random/philox.wgsl', () => {
  it('matches the TypeScript reference bit for bit, and its normals to float32 rounding', async () => {
    const rt = await testRuntime();
    const n = 203; // not a multiple of the 64-thread workgroup
    const rand = testRandom(7);
    const counters = new Uint32Array(n * 4);
    for (let i = 0; i < counters.length; i++) counters[i] = Math.floor(rand() * 2 ** 32);
    counters.set([0, 0, 0, 0, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], 0);
    const key: [number, number] = [0xa4093822, 0x299f31d0];
    const pipeline = await rt.pipeline('random/philoxFill.wgsl');
    const cBuf = rt.storage(n * 16, 'counters');
    const bitsBuf = rt.storage(n * 16, 'bits');
    const normBuf = rt.storage(n * 16, 'normals');
    rt.write(cBuf, counters);
    const params = rt.uniform(Uint32Array.of(n, key[0], key[1], 0).buffer, 'params');
    await rt.submit('philox test', (enc) => rt.dispatch(enc, pipeline, rt.bindGroup(pipeline, [cBuf, bitsBuf, normBuf, params]), [Math.ceil(n / 64)]));
    const bits = new Uint32Array(await rt.read(bitsBuf, n * 16));
    const normals = new Float32Array(await rt.read(normBuf, n * 16));
    let maxErr = 0;
    for (let i = 0; i < n; i++) {
      const c = counters.subarray(4 * i, 4 * i + 4);
      expect([...bits.subarray(4 * i, 4 * i + 4)]).toEqual([...philox4x32(c[0], c[1], c[2], c[3], key[0], key[1])]);
      const ref = normal4(c, key);
      for (let j = 0; j < 4; j++) maxErr = Math.max(maxErr, Math.abs(normals[4 * i + j] - ref[j]));
    }
    // precise_log and sincos_turns keep Box–Muller at float32 rounding (plain WGSL log/cos may be off by
    // 2^-21 and 2^-11 absolute).
    expect(maxErr).toBeLessThan(5e-6);
  });
});
