// Sentence vectors from token vectors, per batch entry b of a padded batch:
//   MODE_MEAN   out[b, c] = mean_{i < len[b]} x[b·seqLen + i, c]     (0 when len[b] = 0)
//   MODE_FIRST  out[b, c] = x[b·seqLen, c]                          (BERT's [CLS] vector)
// Lengths past seqLen are clamped to seqLen. Reference: src/transformer/kernels/meanPoolReference.ts.
//
// Bindings: 0 x       f32 [batch·seqLen, hidden]
//           1 lengths u32 [batch]   (read in MODE_MEAN; bind any 16-byte buffer for MODE_FIRST)
//           2 out     f32 [batch, hidden]
//           3 params  uniform { batch, seqLen, hidden }
// Dispatch: (ceil(hidden / 64), batch) workgroups of 64; one invocation per output element.

override FIRST_TOKEN: bool = false;

struct Params { batch: u32, seqLen: u32, hidden: u32, pad: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> lengths: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  let b = gid.y;
  let hidden = params.hidden;
  if (c >= hidden || b >= params.batch) { return; }
  let base = b * params.seqLen * hidden + c;
  if (FIRST_TOKEN) {
    out[b * hidden + c] = x[base];
    return;
  }
  let len = min(lengths[b], params.seqLen);
  var s = 0.0;
  for (var i = 0u; i < len; i++) { s += x[base + i * hidden]; }
  out[b * hidden + c] = select(0.0, s / f32(len), len > 0u);
}
