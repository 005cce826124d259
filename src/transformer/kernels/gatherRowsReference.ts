// Row gather: the reference for shaders/transformer/gatherRows.wgsl (exact: it only copies).

export function gatherRowsReference(x: Float32Array, index: Uint32Array, cols: number): Float32Array {
  const sourceRows = x.length / cols;
  const out = new Float32Array(index.length * cols);
  index.forEach((src, i) => out.set(x.subarray(Math.min(src, sourceRows - 1) * cols, (Math.min(src, sourceRows - 1) + 1) * cols), i * cols));
  return out;
}
