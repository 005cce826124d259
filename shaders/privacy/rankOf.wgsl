// Rank of a target row among a query's neighbours: the number of candidate rows strictly before the
// target in (distance, index) order. The explorer uses it with query = E[output] and target = original:
// "the original is the output's rank-th nearest neighbour" (0 when the token did not change).
//
// Bindings: dist      array<f32> [nq, V]
//           candidate array<u32> [V]
//           targets   array<u32> [nq]
//           ranks     array<u32> [nq]
//           params    uniform { nq, V }
// Dispatch: one workgroup of 64 per query; grid (x, y) with query = y·num_workgroups.x + x.

struct Params { nq: u32, vocab: u32, pad0: u32, pad1: u32 }

@group(0) @binding(0) var<storage, read> dist: array<f32>;
@group(0) @binding(1) var<storage, read> candidate: array<u32>;
@group(0) @binding(2) var<storage, read> targets: array<u32>;
@group(0) @binding(3) var<storage, read_write> ranks: array<u32>;
@group(0) @binding(4) var<uniform> params: Params;

const WG: u32 = 64u;
var<workgroup> counts: array<u32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let q = wid.y * nwg.x + wid.x;
  let live = q < params.nq;
  let qq = select(0u, q, live);
  let base = qq * params.vocab;
  let t = targets[qq];
  let dt = dist[base + t];
  var c = 0u;
  for (var i = lid; i < params.vocab; i += WG) {
    let di = dist[base + i];
    if (candidate[i] != 0u && (di < dt || (di == dt && i < t))) { c++; }
  }
  counts[lid] = c;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (lid < stride) { counts[lid] += counts[lid + stride]; }
    workgroupBarrier();
  }
  if (live && lid == 0u) { ranks[qq] = counts[0]; }
}
