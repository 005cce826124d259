// Row scatter-add in double precision: the reference for shaders/training/scatterAddRows.wgsl, and a
// double-precision gather (its forward) for the finite-difference check in tests/unit/training.
//   gather       out[r, :] = x[index[r], :]
//   scatter-add  dst[index[r], :] += src[r, :]   (the adjoint of gather: ⟨gather(x), g⟩ = ⟨x, scatterAdd(0, g)⟩)
// Indices ≥ dstRows are skipped, as the shader does. With repeated indices this reference adds all of
// them (the mathematical adjoint); the shader requires unique indices.

/** x [rows, width] gathered at index: [index.length, width]. Indices must be rows of x. */
export function gatherRowsReference64(x: ArrayLike<number>, index: ArrayLike<number>, width: number): Float64Array {
  const rows = x.length / width;
  const out = new Float64Array(index.length * width);
  for (let r = 0; r < index.length; r++) {
    if (index[r] >= rows) throw new RangeError(`gatherRowsReference64: index ${index[r]} past ${rows} rows`);
    for (let c = 0; c < width; c++) out[r * width + c] = x[index[r] * width + c];
  }
  return out;
}

/** dst [dstRows, width] plus src scattered to the index rows (a new array; dst is not modified). */
export function scatterAddRowsReference(src: ArrayLike<number>, index: ArrayLike<number>, dst: ArrayLike<number>, width: number): Float64Array {
  const out = Float64Array.from(dst);
  const dstRows = dst.length / width;
  for (let r = 0; r < index.length; r++) {
    if (index[r] >= dstRows) continue;
    for (let c = 0; c < width; c++) out[index[r] * width + c] += src[r * width + c];
  }
  return out;
}
