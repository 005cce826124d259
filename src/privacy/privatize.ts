// Text-to-text privatisation M (rapt-method.md §2): each token w becomes the candidate token nearest to
// e_w + z, z ~ p(z) ∝ exp(−η‖z‖). Tokens that are not candidates themselves (unknown, control, spare ids)
// pass through unchanged: they are structure the model needs, carry no word identity, and could never be
// produced as outputs anyway.
//
// Work is chunked so the n × |V| distance matrix stays within one storage binding; each chunk is
//   dchiNoise → pairwiseDistances → nearestSelect
// in a single submit, and only the chosen ids (and radii) are read back.

import type { GpuRuntime } from '../gpu/runtime';
import { Exclusive } from '../gpu/exclusive';
import { Scratch } from '../gpu/scratch';
import { DchiNoiseKernel } from './dchiNoise';
import type { DeviceEmbeddingTable } from './deviceTable';
import { NearestNeighbourKernels } from './nearestNeighbours';
import { packTokenRows, type TokenRow } from './tokenRows';

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

export interface PrivatizeOptions {
  /** 1/η for every row, or per row. 0 = no noise. */
  invEta: number | Float32Array;
  seed: number;
  /** How many nearest candidates to return per row (1 = the privatised token). */
  k?: number;
  /** Called between chunks; return true to stop with CancelledError. */
  cancelled?: () => boolean;
  /** Called after each chunk with the number of rows done. */
  progress?: (done: number, total: number) => void;
}

export interface PrivatizeResult {
  /** n × k candidate ids; column 0 is M(w). */
  ids: Uint32Array;
  /** n × k squared distances from the noisy embedding. */
  dist2: Float32Array;
  /** The noise radius r per row. */
  radius: Float32Array;
}

/** Rows per chunk so the distance matrix fits a 64 MiB (or smaller, if the adapter says so) binding. */
const DISTANCE_BUDGET_BYTES = 64 * 2 ** 20;
const MAX_ROWS_PER_CHUNK = 4096;

export class Privatizer {
  private readonly scratch: Scratch;
  /** Chunks of concurrent calls (the explorer privatises while a sweep runs) take turns on the scratch buffers. */
  private readonly exclusive = new Exclusive();

  private constructor(
    private readonly runtime: GpuRuntime,
    readonly table: DeviceEmbeddingTable,
    private readonly noise: DchiNoiseKernel,
    private readonly nearest: NearestNeighbourKernels,
    private readonly maxChunkRows: number,
  ) {
    this.scratch = new Scratch(runtime, 'privatizer');
  }

  /** `maxChunkRows` lowers the chunk size (tests use it to cross chunk boundaries on small tables). */
  static async create(runtime: GpuRuntime, table: DeviceEmbeddingTable, maxChunkRows = MAX_ROWS_PER_CHUNK): Promise<Privatizer> {
    const [noise, nearest] = await Promise.all([DchiNoiseKernel.create(runtime), NearestNeighbourKernels.create(runtime)]);
    return new Privatizer(runtime, table, noise, nearest, maxChunkRows);
  }

  get chunkRows(): number {
    const budget = Math.min(DISTANCE_BUDGET_BYTES, this.runtime.maxBindingBytes);
    return Math.max(1, Math.min(this.maxChunkRows, Math.floor(budget / (this.table.vocabSize * 4))));
  }

  /** Privatises every row: column 0 of `ids` is M(w); later columns are the next-nearest candidates. */
  async privatize(rows: readonly TokenRow[], options: PrivatizeOptions): Promise<PrivatizeResult> {
    const k = options.k ?? 1;
    if (!Number.isInteger(k) || k < 1 || k > this.table.vocabSize) throw new RangeError(`k must be in 1..${this.table.vocabSize}`);
    const invEta = typeof options.invEta === 'number' ? new Float32Array(rows.length).fill(options.invEta) : options.invEta;
    if (invEta.length !== rows.length) throw new RangeError(`invEta has ${invEta.length} values for ${rows.length} rows`);
    for (const v of invEta) if (!(v >= 0 && Number.isFinite(v))) throw new RangeError(`1/η must be finite and ≥ 0, got ${v}`);
    return this.run(rows, invEta, options.seed, { kind: 'select', k, passThrough: true }, options);
  }

  /** The k nearest candidates of each table row `ids[i]` (itself first when it is a candidate). */
  async neighbours(ids: readonly number[], k: number): Promise<Uint32Array> {
    const rows = ids.map((id, i) => ({ id, example: i, position: 0, draw: 0 }));
    return (await this.run(rows, new Float32Array(rows.length), 0, { kind: 'select', k, passThrough: false }, {})).ids;
  }

  /** For each pair, the rank of `target` among the candidates nearest to row `query` (0 = nearest). */
  async ranks(pairs: readonly { query: number; target: number }[]): Promise<Uint32Array> {
    const rows = pairs.map((p, i) => ({ id: p.query, example: i, position: 0, draw: 0 }));
    const targets = Uint32Array.from(pairs, (p) => p.target);
    for (const t of targets) if (t >= this.table.vocabSize) throw new RangeError(`rank target ${t} is outside the vocabulary`);
    return (await this.run(rows, new Float32Array(rows.length), 0, { kind: 'rank', targets }, {})).ids;
  }

  /** The chunk loop shared by all three: noise (or plain lookup) → distances → select or rank. */
  private async run(
    rows: readonly TokenRow[],
    invEta: Float32Array,
    seed: number,
    mode: { kind: 'select'; k: number; passThrough: boolean } | { kind: 'rank'; targets: Uint32Array },
    hooks: Pick<PrivatizeOptions, 'cancelled' | 'progress'>,
  ): Promise<PrivatizeResult> {
    const n = rows.length;
    const k = mode.kind === 'select' ? mode.k : 1;
    const packed = packTokenRows(rows, this.table.vocabSize);
    const result: PrivatizeResult = { ids: new Uint32Array(n * k), dist2: new Float32Array(n * k), radius: new Float32Array(n) };
    const chunk = this.chunkRows;
    const t = this.table.host;
    for (let start = 0; start < n; start += chunk) {
      if (hooks.cancelled?.()) throw new CancelledError();
      const m = Math.min(chunk, n - start);
      await this.exclusive.run(async () => {
        const s = this.scratch;
        const rowsBuf = s.storage('rows', m * 16);
        const invEtaBuf = s.storage('invEta', m * 4);
        const noisy = s.storage('noisy', m * t.dimVec4 * 16);
        const radius = s.storage('radius', m * 4);
        const dist = s.storage('dist', m * t.vocabSize * 4);
        const outIds = s.storage('outIds', m * k * 4);
        const outDist = s.storage('outDist', m * k * 4);
        this.runtime.write(rowsBuf, packed.subarray(start * 4, (start + m) * 4));
        this.runtime.write(invEtaBuf, invEta.subarray(start, start + m));
        const targets = mode.kind === 'rank' ? s.storage('targets', m * 4) : null;
        if (targets && mode.kind === 'rank') this.runtime.write(targets, mode.targets.subarray(start, start + m));
        await this.runtime.submit(mode.kind === 'rank' ? 'ranking neighbours' : 'privatising tokens', (enc) => {
          this.noise.encode(enc, s, { table: this.table, rows: rowsBuf, invEta: invEtaBuf, out: noisy, radius, n: m, seed });
          this.nearest.encodeDistances(enc, s, this.table, noisy, m, dist);
          if (mode.kind === 'select') {
            this.nearest.encodeSelect(enc, s, { table: this.table, dist, rows: rowsBuf, nq: m, k, passThrough: mode.passThrough, outIds, outDist });
          } else if (targets) {
            this.nearest.encodeRank(enc, s, { table: this.table, dist, targets, nq: m, ranks: outIds });
          }
        });
        const [ids, d2, r] = await Promise.all([
          this.runtime.read(outIds, m * k * 4),
          mode.kind === 'select' ? this.runtime.read(outDist, m * k * 4) : null,
          this.runtime.read(radius, m * 4),
        ]);
        result.ids.set(new Uint32Array(ids), start * k);
        if (d2) result.dist2.set(new Float32Array(d2), start * k);
        result.radius.set(new Float32Array(r), start);
      });
      hooks.progress?.(start + m, n);
    }
    return result;
  }

  destroy(): void {
    this.scratch.destroy();
  }
}
