import { describe, expect, it } from 'vitest';
import { openDevice } from '../../src/gpu/device';
import { GpuError } from '../../src/gpu/errors';
import { GpuRuntime } from '../../src/gpu/runtime';
import { shaderSource } from '../../src/gpu/shaderSources';

describe('GPU runtime', () => {
  it('reports the adapter with the limits it asked for', async () => {
    const opened = await openDevice();
    const r = opened.report;
    expect(r.vendor.length + r.architecture.length).toBeGreaterThan(0);
    // The device gets the adapter's limits, not the 128 MiB default.
    expect(r.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 2 ** 20);
    expect(typeof r.isSoftware).toBe('boolean');
    opened.device.destroy();
  });

  it('explains a missing WebGPU', async () => {
    await expect(openDevice(null)).rejects.toMatchObject({ name: 'GpuError', kind: 'unavailable' });
    const noAdapter = { requestAdapter: async () => null } as unknown as GPU;
    await expect(openDevice(noAdapter)).rejects.toThrow('no GPU adapter');
  });

  it('resolves shader includes once and caches pipelines', async () => {
    const src = shaderSource('privacy/dchiNoise.wgsl');
    expect(src).toContain('fn philox4x32_10');
    expect(src.split('fn philox4x32_10').length).toBe(2);
    expect(() => shaderSource('nope/missing.wgsl')).toThrow('Unknown shader');
    const rt = new GpuRuntime(await openDevice());
    const a = await rt.pipeline('privacy/rankOf.wgsl');
    expect(await rt.pipeline('privacy/rankOf.wgsl')).toBe(a);
    rt.device.destroy();
  });

  it('turns validation errors and device loss into typed errors', async () => {
    const rt = new GpuRuntime(await openDevice());
    const pipeline = await rt.pipeline('privacy/rankOf.wgsl');
    const tiny = rt.storage(16, 'tiny');
    const err = await rt
      .submit('testing a bad dispatch', (enc) => {
        // Binding 4 must be a uniform buffer; a storage buffer is a validation error.
        rt.dispatch(enc, pipeline, rt.bindGroup(pipeline, [tiny, tiny, tiny, tiny, tiny]), [1]);
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GpuError);
    expect((err as GpuError).kind).toBe('validation');

    rt.device.destroy();
    const lost = await rt.lost;
    expect(lost.kind).toBe('device-lost');
    await expect(rt.submit('after loss', () => {})).rejects.toMatchObject({ kind: 'device-lost' });
  });

  it('reports out-of-memory from the error scope as a typed error with advice', async () => {
    const opened = await openDevice();
    let depth = 0;
    const overrides: Record<string, unknown> = {
      pushErrorScope: () => void depth++,
      // The outer scope is 'out-of-memory' (pushed first, popped last).
      popErrorScope: async () => (depth-- === 1 ? new GPUOutOfMemoryError('simulated') : null),
    };
    const fake = new Proxy(opened.device, {
      get(target, prop) {
        if (typeof prop === 'string' && prop in overrides) return overrides[prop];
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const rt = new GpuRuntime({ ...opened, device: fake });
    await expect(rt.submit('testing', () => {})).rejects.toMatchObject({ kind: 'out-of-memory' });
    await expect(rt.submit('testing', () => {})).rejects.toThrow('ran out of memory while testing');
    opened.device.destroy();
  });
});
