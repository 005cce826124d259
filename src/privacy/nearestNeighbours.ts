// Binds and dispatches the nearest-neighbour kernels over the embedding table:
//   pairwiseDistances.wgsl  squared L2 from each query to every row   (the FLOP-heavy part)
//   nearestSelect.wgsl      top-K candidates per query, (distance, id) order, deterministic ties
//   rankOf.wgsl             rank of a given row among a query's neighbours
// Reference: nearestNeighboursReference.ts.

import type { GpuRuntime } from '../gpu/runtime';
import type { Scratch } from '../gpu/scratch';
import type { DeviceEmbeddingTable } from './deviceTable';

export class NearestNeighbourKernels {
  private constructor(
    private readonly runtime: GpuRuntime,
    private readonly distances: GPUComputePipeline,
    private readonly select: GPUComputePipeline,
    private readonly rank: GPUComputePipeline,
  ) {}

  static async create(runtime: GpuRuntime): Promise<NearestNeighbourKernels> {
    const [d, s, r] = await Promise.all([
      runtime.pipeline('privacy/pairwiseDistances.wgsl'),
      runtime.pipeline('privacy/nearestSelect.wgsl'),
      runtime.pipeline('privacy/rankOf.wgsl'),
    ]);
    return new NearestNeighbourKernels(runtime, d, s, r);
  }

  /** dist[q, v] = ‖table[v] − queries[q]‖² for nq queries (vec4 rows of the table's width). */
  encodeDistances(encoder: GPUCommandEncoder, scratch: Scratch, table: DeviceEmbeddingTable, queries: GPUBuffer, nq: number, dist: GPUBuffer): void {
    const V = table.vocabSize;
    const params = scratch.uniform('distances.params', Uint32Array.of(nq, V, table.host.dimVec4, 0));
    const group = this.runtime.bindGroup(this.distances, [queries, table.rows, dist, params]);
    this.runtime.dispatch(encoder, this.distances, group, [Math.ceil(V / 64), Math.ceil(nq / 64)]);
  }

  /** Top-k candidate ids (and squared distances) per query row of `dist`. */
  encodeSelect(
    encoder: GPUCommandEncoder,
    scratch: Scratch,
    b: { table: DeviceEmbeddingTable; dist: GPUBuffer; rows: GPUBuffer; nq: number; k: number; passThrough: boolean; outIds: GPUBuffer; outDist: GPUBuffer },
  ): void {
    const params = scratch.uniform('select.params', Uint32Array.of(b.nq, b.table.vocabSize, b.k, b.passThrough ? 1 : 0));
    const group = this.runtime.bindGroup(this.select, [b.dist, b.table.candidate, b.rows, b.outIds, b.outDist, params]);
    this.runtime.dispatch(encoder, this.select, group, this.runtime.rowGrid(b.nq));
  }

  /** ranks[q] = number of candidates strictly before targets[q] in query q's (distance, id) order. */
  encodeRank(
    encoder: GPUCommandEncoder,
    scratch: Scratch,
    b: { table: DeviceEmbeddingTable; dist: GPUBuffer; targets: GPUBuffer; nq: number; ranks: GPUBuffer },
  ): void {
    const params = scratch.uniform('rank.params', Uint32Array.of(b.nq, b.table.vocabSize, 0, 0));
    const group = this.runtime.bindGroup(this.rank, [b.dist, b.table.candidate, b.targets, b.ranks, params]);
    this.runtime.dispatch(encoder, this.rank, group, this.runtime.rowGrid(b.nq));
  }
}
