// The embedding table and candidate mask uploaded once to the GPU; every privatisation kernel reads them.

import type { GpuRuntime } from '../gpu/runtime';
import type { EmbeddingTable } from '../model/embeddingTable';

export class DeviceEmbeddingTable {
  readonly rows: GPUBuffer;
  readonly candidate: GPUBuffer;

  constructor(runtime: GpuRuntime, readonly host: EmbeddingTable) {
    const bytes = host.rows.byteLength;
    if (bytes > runtime.maxBindingBytes) {
      throw new RangeError(
        `the embedding table needs ${(bytes / 2 ** 20).toFixed(0)} MiB in one GPU buffer but this adapter allows ` +
          `${(runtime.maxBindingBytes / 2 ** 20).toFixed(0)} MiB`,
      );
    }
    this.rows = runtime.storage(bytes, 'embedding table');
    runtime.write(this.rows, host.rows);
    this.candidate = runtime.storage(host.vocabSize * 4, 'candidate mask');
    runtime.write(this.candidate, Uint32Array.from(host.candidate));
  }

  get vocabSize(): number {
    return this.host.vocabSize;
  }

  destroy(): void {
    this.rows.destroy();
    this.candidate.destroy();
  }
}
