// Named GPU buffers that are reused across calls and only grow, so steady-state work allocates nothing.
// One Scratch per kernel wrapper; a name must not be used twice within one submit with different data.

import type { GpuRuntime } from './runtime';

export class Scratch {
  private readonly buffers = new Map<string, GPUBuffer>();
  private readonly uniforms = new Map<string, GPUBuffer>();

  constructor(private readonly runtime: GpuRuntime, private readonly label: string) {}

  storage(name: string, bytes: number): GPUBuffer {
    const have = this.buffers.get(name);
    if (have && have.size >= bytes) return have;
    have?.destroy();
    // Grow geometrically so a slowly increasing workload does not reallocate every call.
    const size = Math.max(bytes, have ? Math.min(have.size * 2, this.runtime.maxBindingBytes) : 0);
    const buffer = this.runtime.storage(Math.max(size, bytes), `${this.label}.${name}`);
    this.buffers.set(name, buffer);
    return buffer;
  }

  /** A small uniform buffer (≤ 64 bytes) written with `words` now, ahead of the next submit. */
  uniform(name: string, words: Uint32Array | Float32Array): GPUBuffer {
    let buffer = this.uniforms.get(name);
    if (!buffer) {
      buffer = this.runtime.device.createBuffer({
        label: `${this.label}.${name}`,
        size: 64,
        usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      });
      this.uniforms.set(name, buffer);
    }
    this.runtime.write(buffer, words);
    return buffer;
  }

  destroy(): void {
    for (const b of this.buffers.values()) b.destroy();
    for (const b of this.uniforms.values()) b.destroy();
    this.buffers.clear();
    this.uniforms.clear();
  }
}
