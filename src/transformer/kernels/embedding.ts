// Binds and dispatches shaders/transformer/embedding.wgsl:
//   out[r, :] = scale·table[ids[r], :] + positions[r mod seqLen, :] (+ typeTable[typeIds[r], :])
// Reference: embeddingReference.ts.

import { packParams, prepareDispatch, type PreparedDispatch } from '../../gpu/preparedDispatch';
import type { Binding, GpuRuntime } from '../../gpu/runtime';
import { bindingBytes, requireBytes, requireDims, requireNoAlias } from './bindings';

export interface EmbeddingOptions {
  /** Add token-type embeddings (BERT's segment ids). */
  tokenTypes?: boolean;
}

export interface EmbeddingBindings {
  /** u32 [rows]; ids past the table are clamped to its last row (validate them before) */
  ids: Binding;
  /** f32 [vocab, hidden] */
  table: Binding;
  /** f32 [≥ seqLen, hidden]: learned, or a sinusoidal table precomputed by the caller */
  positions: Binding;
  /** u32 [rows]; exactly when created with tokenTypes */
  typeIds?: Binding;
  /** f32 [typeVocab, hidden]; exactly when created with tokenTypes */
  typeTable?: Binding;
  /** f32 [rows, hidden] */
  out: Binding;
  /** batch·seqLen */
  rows: number;
  seqLen: number;
  hidden: number;
  scale: number;
  /** Rows of table; defaults to as many as its binding holds. */
  vocab?: number;
  /** Rows of typeTable; defaults to as many as its binding holds. */
  typeVocab?: number;
}

export class EmbeddingKernel {
  private constructor(
    private readonly runtime: GpuRuntime,
    readonly tokenTypes: boolean,
    private readonly pipeline: GPUComputePipeline,
    private readonly unused: GPUBuffer,
  ) {}

  static async create(runtime: GpuRuntime, options: EmbeddingOptions = {}): Promise<EmbeddingKernel> {
    const tokenTypes = options.tokenTypes ?? false;
    const pipeline = await runtime.pipeline('transformer/embedding.wgsl', 'main', { TOKEN_TYPES: tokenTypes ? 1 : 0 });
    return new EmbeddingKernel(runtime, tokenTypes, pipeline, runtime.storage(16, 'embedding.unused'));
  }

  /** The uniform { rows, hidden, seqLen, vocab, typeVocab, scale } is appended as the last binding (6). */
  prepare(x: EmbeddingBindings): PreparedDispatch {
    const { rows, seqLen, hidden, scale } = x;
    const name = 'embedding';
    const vocab = x.vocab ?? Math.floor(bindingBytes(x.table) / (hidden * 4));
    requireDims(name, { rows, seqLen, hidden, vocab });
    if (!Number.isFinite(scale)) throw new RangeError(`embedding: scale must be finite, got ${scale}`);
    if ((x.typeIds !== undefined) !== this.tokenTypes || (x.typeTable !== undefined) !== this.tokenTypes) {
      throw new RangeError(`embedding: created with tokenTypes=${this.tokenTypes}; typeIds and typeTable must be given exactly then`);
    }
    requireBytes(name, 'ids', x.ids, rows * 4);
    requireBytes(name, 'table', x.table, vocab * hidden * 4);
    requireBytes(name, 'positions', x.positions, Math.min(seqLen, rows) * hidden * 4);
    requireBytes(name, 'out', x.out, rows * hidden * 4);
    requireNoAlias(name, x.out, { ids: x.ids, table: x.table, positions: x.positions, typeIds: x.typeIds, typeTable: x.typeTable });
    let typeVocab = 1;
    if (x.typeIds && x.typeTable) {
      typeVocab = x.typeVocab ?? Math.floor(bindingBytes(x.typeTable) / (hidden * 4));
      requireDims(name, { typeVocab });
      requireBytes(name, 'typeIds', x.typeIds, rows * 4);
      requireBytes(name, 'typeTable', x.typeTable, typeVocab * hidden * 4);
    }
    return prepareDispatch(
      this.runtime,
      `embedding ${rows}×${hidden}`,
      this.pipeline,
      [x.ids, x.table, x.positions, x.typeIds ?? this.unused, x.typeTable ?? this.unused, x.out],
      packParams([{ u32: rows }, { u32: hidden }, { u32: seqLen }, { u32: vocab }, { u32: typeVocab }, { f32: scale }]),
      this.runtime.rowGrid(rows),
    );
  }
}
