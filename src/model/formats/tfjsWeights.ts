/**
 * Reader for the weights of a TF.js graph model: the `weightsManifest` of `model.json` and its binary
 * shards. Within a manifest group, the group's shards concatenated in `paths` order hold the tensors back
 * to back in `weights` order, little-endian, with no padding — so a tensor may start at any byte and run
 * across shard boundaries (USE-Lite's `module/Embeddings_en` spans shards 5-7; docs/bundled-model.md).
 *
 * Supported: float32 and int32 tensors, plus TF.js's uint8/uint16 weight quantization
 * (`quantization: {dtype, min, scale}`), dequantized on read as `q * scale + min` (rounded for int32, as
 * TF.js does). float16 quantization and the bool/string/complex64 dtypes are refused with an error.
 */

export type WeightDtype = 'float32' | 'int32';

export type WeightTensor =
  | { name: string; shape: number[]; dtype: 'float32'; data: Float32Array }
  | { name: string; shape: number[]; dtype: 'int32'; data: Int32Array };

export interface WeightQuantization {
  dtype: 'uint8' | 'uint16';
  min: number;
  scale: number;
}

export interface WeightSpec {
  name: string;
  shape: number[];
  /** Dtype of the tensor as used by the model (after dequantization). */
  dtype: WeightDtype;
  quantization?: WeightQuantization;
  /** Index of the manifest group whose shards hold this tensor. */
  group: number;
  /** Byte offset of the tensor within its group's concatenated shards. */
  byteOffset: number;
  byteLength: number;
}

export interface WeightsGroup {
  /** Shard paths, relative to model.json, in concatenation order. */
  paths: string[];
  /** Bytes the group's shards must hold together: the sum of its tensors' sizes. */
  byteLength: number;
}

export interface WeightsManifest {
  groups: WeightsGroup[];
  /** Every tensor, in manifest order. */
  weights: WeightSpec[];
}

/** Shard contents; a Node `Buffer` (a view into a larger pool) is accepted as is. */
export type ShardBytes = ArrayBuffer | Uint8Array;

export interface ReadWeightsOptions {
  /** Decode only these tensors; every name must be in the manifest. Default: all of them. */
  only?: readonly string[];
}

export class WeightsFormatError extends Error {
  override name = 'WeightsFormatError';
}

const BYTES_PER_ELEMENT: Record<WeightDtype | WeightQuantization['dtype'], number> = {
  float32: 4,
  int32: 4,
  uint8: 1,
  uint16: 2,
};

/** Typed arrays use the host's byte order; shards are little-endian, so a big-endian host must swap. */
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Validates `modelJson.weightsManifest` and works out where every tensor lies in its group's bytes. */
export function parseWeightsManifest(modelJson: unknown): WeightsManifest {
  if (!isRecord(modelJson)) {
    throw new WeightsFormatError('model.json must be a JSON object; is this a TF.js graph model?');
  }
  const rawGroups = modelJson.weightsManifest;
  if (!Array.isArray(rawGroups)) {
    throw new WeightsFormatError(
      'model.json has no `weightsManifest` array; is this a TF.js graph model saved with its weights?',
    );
  }
  const groups: WeightsGroup[] = [];
  const weights: WeightSpec[] = [];
  const seenNames = new Set<string>();
  rawGroups.forEach((rawGroup: unknown, group) => {
    const where = `weightsManifest[${group}]`;
    if (!isRecord(rawGroup)) throw new WeightsFormatError(`${where} must be an object with \`paths\` and \`weights\`.`);
    const { paths, weights: rawWeights } = rawGroup;
    if (!Array.isArray(paths) || paths.length === 0 || !paths.every((path) => typeof path === 'string' && path !== '')) {
      throw new WeightsFormatError(`${where}.paths must be a non-empty array of shard file names.`);
    }
    if (!Array.isArray(rawWeights)) throw new WeightsFormatError(`${where}.weights must be an array.`);
    let byteOffset = 0;
    rawWeights.forEach((rawWeight: unknown, index) => {
      const spec = parseWeightSpec(rawWeight, `${where}.weights[${index}]`, group, byteOffset);
      if (seenNames.has(spec.name)) {
        throw new WeightsFormatError(`Tensor "${spec.name}" appears twice in the weights manifest.`);
      }
      seenNames.add(spec.name);
      weights.push(spec);
      byteOffset += spec.byteLength;
    });
    groups.push({ paths: paths as string[], byteLength: byteOffset });
  });
  return { groups, weights };
}

/**
 * Decodes tensors from shards given either as buffers for every path of every group, in manifest order,
 * or as a loader called once per shard path — and then only for the groups holding requested tensors.
 */
export async function readWeights(
  manifest: WeightsManifest,
  shards: ShardBytes[] | ((path: string) => Promise<ShardBytes>),
  options: ReadWeightsOptions = {},
): Promise<Map<string, WeightTensor>> {
  if (Array.isArray(shards)) return readWeightsSync(manifest, shards, options);
  const specs = selectSpecs(manifest, options.only);
  const neededGroups = new Set(specs.map((spec) => spec.group));
  const groupShards = new Map<number, ShardBytes[]>();
  await Promise.all(
    [...neededGroups].map(async (group) => {
      groupShards.set(group, await Promise.all(manifest.groups[group].paths.map((path) => shards(path))));
    }),
  );
  return decodeSpecs(manifest, specs, groupShards);
}

/**
 * Synchronous form of {@link readWeights} for shards already in memory (all paths, manifest order).
 * Every group's size is checked, not only those holding requested tensors, so bad files fail early.
 */
export function readWeightsSync(
  manifest: WeightsManifest,
  shards: ShardBytes[],
  options: ReadWeightsOptions = {},
): Map<string, WeightTensor> {
  const allPaths = manifest.groups.flatMap((group) => group.paths);
  if (shards.length !== allPaths.length) {
    throw new WeightsFormatError(
      `Expected ${allPaths.length} shard buffers (${summarisePaths(allPaths)}) but got ${shards.length}.`,
    );
  }
  const groupShards = new Map<number, ShardBytes[]>();
  let next = 0;
  manifest.groups.forEach((group, index) => {
    groupShards.set(index, shards.slice(next, next + group.paths.length));
    next += group.paths.length;
  });
  return decodeSpecs(manifest, selectSpecs(manifest, options.only), groupShards);
}

function parseWeightSpec(raw: unknown, where: string, group: number, byteOffset: number): WeightSpec {
  if (!isRecord(raw)) throw new WeightsFormatError(`${where} must be an object with name, shape and dtype.`);
  const { name, shape, dtype, quantization } = raw;
  if (typeof name !== 'string' || name === '') throw new WeightsFormatError(`${where}.name must be a non-empty string.`);
  const label = `Tensor "${name}" (${where})`;
  if (!Array.isArray(shape)) throw new WeightsFormatError(`${label}: shape must be an array of dimensions.`);
  for (const dim of shape as unknown[]) {
    if (typeof dim !== 'number' || !Number.isInteger(dim) || dim < 0) {
      throw new WeightsFormatError(
        `${label}: shape [${shape.join(', ')}] has dimension ${String(dim)}; every dimension must be a non-negative integer.`,
      );
    }
  }
  const dims = shape as number[];
  if (dtype !== 'float32' && dtype !== 'int32') {
    throw new WeightsFormatError(
      `${label}: dtype ${JSON.stringify(dtype)} is not supported; only float32 and int32 tensors can be read.`,
    );
  }
  const elementCount = dims.reduce((product, dim) => product * dim, 1);
  const parsedQuantization = quantization === undefined ? undefined : parseQuantization(quantization, label);
  const byteLength = elementCount * BYTES_PER_ELEMENT[parsedQuantization?.dtype ?? dtype];
  if (!Number.isSafeInteger(byteLength)) {
    throw new WeightsFormatError(`${label}: shape [${dims.join(', ')}] is too large to load.`);
  }
  const spec: WeightSpec = { name, shape: [...dims], dtype, group, byteOffset, byteLength };
  if (parsedQuantization) spec.quantization = parsedQuantization;
  return spec;
}

function parseQuantization(raw: unknown, label: string): WeightQuantization {
  if (!isRecord(raw)) throw new WeightsFormatError(`${label}: quantization must be an object.`);
  const { dtype, min, scale } = raw;
  if (dtype !== 'uint8' && dtype !== 'uint16') {
    throw new WeightsFormatError(
      `${label}: quantization dtype ${JSON.stringify(dtype)} is not supported; only uint8 and uint16 ` +
        'quantization can be read (re-export the model without float16 quantization).',
    );
  }
  if (typeof min !== 'number' || !Number.isFinite(min) || typeof scale !== 'number' || !Number.isFinite(scale)) {
    throw new WeightsFormatError(`${label}: ${dtype} quantization needs finite numeric \`min\` and \`scale\`.`);
  }
  return { dtype, min, scale };
}

function selectSpecs(manifest: WeightsManifest, only: readonly string[] | undefined): WeightSpec[] {
  if (only === undefined) return manifest.weights;
  const byName = new Map(manifest.weights.map((spec) => [spec.name, spec]));
  return only.map((name) => {
    const spec = byName.get(name);
    if (!spec) {
      throw new WeightsFormatError(
        `Tensor "${name}" is not in the weights manifest (${manifest.weights.length} tensors); ` +
          'check the name against model.json or use a model exported with it.',
      );
    }
    return spec;
  });
}

function decodeSpecs(
  manifest: WeightsManifest,
  specs: WeightSpec[],
  groupShards: Map<number, ShardBytes[]>,
): Map<string, WeightTensor> {
  for (const [group, shards] of groupShards) checkGroupSize(manifest.groups[group], group, shards);
  const tensors = new Map<string, WeightTensor>();
  for (const spec of specs) {
    const bytes = copyRange(groupShards.get(spec.group) ?? [], spec.byteOffset, spec.byteLength);
    tensors.set(spec.name, decodeTensor(spec, bytes));
  }
  return tensors;
}

function checkGroupSize(group: WeightsGroup, index: number, shards: ShardBytes[]): void {
  const actual = shards.reduce((total, shard) => total + shard.byteLength, 0);
  if (actual !== group.byteLength) {
    const sizes = shards.map((shard, k) => `${group.paths[k]}: ${shard.byteLength}`).join(', ');
    throw new WeightsFormatError(
      `Weights group ${index} should hold ${group.byteLength} bytes (the sum of its tensor sizes) but its ` +
        `shards hold ${actual} bytes (${sizes}); a shard is truncated, missing or from another model — ` +
        'reinstall or re-download the model files.',
    );
  }
}

/** Copies `[offset, offset + length)` of the concatenated shards into a fresh, aligned buffer. */
function copyRange(shards: ShardBytes[], offset: number, length: number): ArrayBuffer {
  const target = new Uint8Array(length);
  let shardStart = 0;
  let written = 0;
  for (const shard of shards) {
    const shardEnd = shardStart + shard.byteLength;
    if (written < length && shardEnd > offset + written) {
      const bytes = shard instanceof Uint8Array ? shard : new Uint8Array(shard);
      const from = offset + written - shardStart;
      const take = Math.min(shard.byteLength - from, length - written);
      target.set(bytes.subarray(from, from + take), written);
      written += take;
    }
    shardStart = shardEnd;
  }
  return target.buffer;
}

function decodeTensor(spec: WeightSpec, bytes: ArrayBuffer): WeightTensor {
  const { name, quantization } = spec;
  const shape = [...spec.shape];
  if (quantization) {
    const stored = quantization.dtype === 'uint8' ? new Uint8Array(bytes) : littleEndianUint16(bytes);
    if (spec.dtype === 'float32') {
      const data = new Float32Array(stored.length);
      for (let i = 0; i < stored.length; i++) data[i] = stored[i] * quantization.scale + quantization.min;
      return { name, shape, dtype: 'float32', data };
    }
    const data = new Int32Array(stored.length);
    for (let i = 0; i < stored.length; i++) data[i] = Math.round(stored[i] * quantization.scale + quantization.min);
    return { name, shape, dtype: 'int32', data };
  }
  if (!HOST_IS_LITTLE_ENDIAN) swapBytes(bytes, 4);
  return spec.dtype === 'float32'
    ? { name, shape, dtype: 'float32', data: new Float32Array(bytes) }
    : { name, shape, dtype: 'int32', data: new Int32Array(bytes) };
}

function littleEndianUint16(bytes: ArrayBuffer): Uint16Array {
  if (!HOST_IS_LITTLE_ENDIAN) swapBytes(bytes, 2);
  return new Uint16Array(bytes);
}

function swapBytes(buffer: ArrayBuffer, width: number): void {
  const bytes = new Uint8Array(buffer);
  for (let i = 0; i < bytes.length; i += width) bytes.subarray(i, i + width).reverse();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function summarisePaths(paths: string[]): string {
  return paths.length <= 3 ? paths.join(', ') : `${paths[0]} … ${paths[paths.length - 1]}`;
}
