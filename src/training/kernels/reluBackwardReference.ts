// ReLU backward: the reference for shaders/training/reluBackward.wgsl (exact: it only selects).
//   dX[i] = dY[i] if y[i] > 0 else 0,  y = relu(z) the forward's output (the subgradient at 0 is 0)

export function reluBackwardReference(y: Float32Array, dY: Float32Array): Float32Array {
  if (y.length !== dY.length) throw new RangeError(`reluBackwardReference: y has ${y.length} elements, dY ${dY.length}`);
  return Float32Array.from(dY, (g, i) => (y[i] > 0 ? g : 0));
}
