// Global-norm gradient clipping (Pascanu et al. 2013; torch.nn.utils.clip_grad_norm_), in two steps so that
// the trainer never reads the norm back (docs/training-design.md):
//   sumSquares  partials[slot] = Σ_{i < count} x[i]²          one dispatch per gradient buffer, own slot
//   clipScale   out[0] = norm = sqrt(Σ_{s < slots} partials[s])
//               out[1] = maxNorm > 0 ? min(1, maxNorm / (norm + 1e-6)) : 1
// AdamWKernel multiplies every gradient by out[1]. The 1e-6 is PyTorch's: it keeps the scale finite for a
// zero gradient. maxNorm ≤ 0 disables clipping but still reports the norm.
// No float atomics: sumSquares is ONE workgroup of 256 (invocation i adds x[i]², x[i + 256]², … then a tree
// of halvings), so a gradient of 1M floats costs 4096 loads per invocation — fine next to the matmuls that
// produced it, and deterministic. Rounding: ≤ (count/256 + 8)·2^-24 relative (all terms are ≥ 0).
// x² overflows f32 past |x| ≈ 1.8e19; such a gradient gives norm = inf and scale 0 on devices that keep
// infinities (WGSL lets them assume there are none, so the result is then unspecified).
// A single workgroup per buffer keeps ClipScale trivial; if it ever shows in a profile, split a buffer into
// chunks with one slot each — clipScale already sums any number of slots.
// clipScale adds a handful of partials: one invocation.
// Reference: src/training/kernels/globalNormReference.ts.
//
// Entry point sumSquares: 0 x         f32 [count]
//                         1 partials  f32 [> slot], written at slot only; must not alias x
//                         2 params    uniform { count, slot }
//   Dispatch: one workgroup of 256.
// Entry point clipScale:  0 partials  f32 [slots]
//                         1 out       f32 [2], written: (norm, scale); must not alias partials
//                         2 params    uniform { slots, maxNorm: f32 }
//   Dispatch: one workgroup of 1.

const WG: u32 = 256u;

struct SumParams { count: u32, slot: u32, pad0: u32, pad1: u32 }
struct ClipParams { slots: u32, maxNorm: f32, pad0: u32, pad1: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> partialsOut: array<f32>;
@group(0) @binding(2) var<uniform> sumParams: SumParams;

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(256)
fn sumSquares(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var i = lid; i < sumParams.count; i += WG) {
    let v = x[i];
    s += v * v;
  }
  partial[lid] = s;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (lid < stride) { partial[lid] += partial[lid + stride]; }
    workgroupBarrier();
  }
  if (lid == 0u) { partialsOut[sumParams.slot] = partial[0]; }
}

@group(0) @binding(0) var<storage, read> partialsIn: array<f32>;
@group(0) @binding(1) var<storage, read_write> clipOut: array<f32>;
@group(0) @binding(2) var<uniform> clipParams: ClipParams;

@compute @workgroup_size(1)
fn clipScale() {
  var s = 0.0;
  for (var i = 0u; i < clipParams.slots; i++) { s += partialsIn[i]; }
  let norm = sqrt(s);
  var scale = 1.0;
  if (clipParams.maxNorm > 0.0) { scale = min(1.0, clipParams.maxNorm / (norm + 1e-6)); }
  clipOut[0] = norm;
  clipOut[1] = scale;
}
