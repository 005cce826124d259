// Top-K nearest candidate rows per query from a distance matrix, in increasing (distance, index) order.
// Ties are broken by the lower vocabulary id, so the result is deterministic whatever the dispatch order.
// K rounds; round r finds the lexicographic minimum among candidates strictly greater than the pair
// chosen in round r − 1 (no per-thread heaps, one small reduction per round).
// Rows that are not candidates (control/unknown/spare ids, src/model/candidates.ts) are never returned.
// With passThrough = 1, a query whose source token is itself not a candidate returns that token unchanged
// in slot 0 (control tokens are structure, not private content; see src/privacy/privatize.ts).
//
// Bindings: dist      array<f32>       [nq, V]
//           candidate array<u32>       [V]       1 if the row may be an output
//           rows      array<vec4<u32>> [nq]      .x = source token id (used only with passThrough)
//           outIds    array<u32>       [nq, K]
//           outDist   array<f32>       [nq, K]   squared distance (+inf when fewer than K candidates)
//           params    uniform { nq, V, K, passThrough }
// Dispatch: one workgroup of 64 per query; grid (x, y) with query = y·num_workgroups.x + x.

struct Params { nq: u32, vocab: u32, k: u32, passThrough: u32 }

@group(0) @binding(0) var<storage, read> dist: array<f32>;
@group(0) @binding(1) var<storage, read> candidate: array<u32>;
@group(0) @binding(2) var<storage, read> rows: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read_write> outIds: array<u32>;
@group(0) @binding(4) var<storage, read_write> outDist: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

const WG: u32 = 64u;
const NONE: u32 = 0xffffffffu;
const INF: f32 = 3.0e38;

var<workgroup> bestD: array<f32, 64>;
var<workgroup> bestK: array<u32, 64>;

// (da, ka) < (db, kb) in lexicographic order.
fn before(da: f32, ka: u32, db: f32, kb: u32) -> bool {
  return da < db || (da == db && ka < kb);
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let q = wid.y * nwg.x + wid.x;
  let live = q < params.nq;
  let qq = select(0u, q, live);
  let base = qq * params.vocab;
  let source = rows[qq].x;
  let passThrough = params.passThrough == 1u && candidate[source] == 0u;

  var prevD = -1.0;
  var prevK = NONE;
  for (var r = 0u; r < params.k; r++) {
    var d = INF;
    var k = NONE;
    for (var i = lid; i < params.vocab; i += WG) {
      if (candidate[i] == 0u) { continue; }
      let di = dist[base + i];
      let afterPrev = prevK == NONE || before(prevD, prevK, di, i);
      if (afterPrev && before(di, i, d, k)) { d = di; k = i; }
    }
    bestD[lid] = d;
    bestK[lid] = k;
    workgroupBarrier();
    for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
      if (lid < stride && before(bestD[lid + stride], bestK[lid + stride], bestD[lid], bestK[lid])) {
        bestD[lid] = bestD[lid + stride];
        bestK[lid] = bestK[lid + stride];
      }
      workgroupBarrier();
    }
    prevD = bestD[0];
    prevK = bestK[0];
    workgroupBarrier();
    if (live && lid == 0u) {
      let slot = qq * params.k + r;
      if (passThrough && r == 0u) {
        outIds[slot] = source;
        outDist[slot] = dist[base + source];
      } else {
        outIds[slot] = prevK;
        outDist[slot] = select(prevD, INF, prevK == NONE);
      }
    }
  }
}
