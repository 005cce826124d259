// Squared L2 distances between query vectors and every embedding row — the hot loop of nearest-neighbour
// decoding (rapt-method.md §2, step 2: argmin_k ‖E_k − (e_w + z)‖).
//   out[q, k] = Σ_i (E[k, i] − Q[q, i])²
// Computed from differences, not as ‖E‖² − 2E·Q + ‖Q‖²: the expansion cancels catastrophically when the
// query sits on a row (η → ∞ must return the input token exactly) and costs about the same here.
//
// Register blocking, no workgroup memory and no barriers (barriers are expensive on SwiftShader, see
// environment.md): each thread owns a 4 × 4 block (4 queries × 4 rows) and streams vec4 lanes of both.
//
// Bindings: queries array<vec4<f32>> [nq, dimVec4]
//           table   array<vec4<f32>> [V, dimVec4]
//           out     array<f32>       [nq, V]
//           params  uniform { nq, V, dimVec4 }
// Dispatch: (ceil(V / 32), ceil(nq / 32)) workgroups of 8 × 8 threads.

struct Params { nq: u32, vocab: u32, dimVec4: u32, pad: u32 }

@group(0) @binding(0) var<storage, read> queries: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> table: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let k0 = gid.x * 4u;
  let q0 = gid.y * 4u;
  if (k0 >= params.vocab || q0 >= params.nq) { return; }
  let dv = params.dimVec4;
  // Clamp reads of the ragged edge to the last row; those results are never written.
  let lastK = params.vocab - 1u;
  let lastQ = params.nq - 1u;
  let kb = vec4<u32>(min(k0, lastK), min(k0 + 1u, lastK), min(k0 + 2u, lastK), min(k0 + 3u, lastK)) * dv;
  let qb = vec4<u32>(min(q0, lastQ), min(q0 + 1u, lastQ), min(q0 + 2u, lastQ), min(q0 + 3u, lastQ)) * dv;

  var acc0 = vec4<f32>(0.0); // query q0 against rows k0..k0+3
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var i = 0u; i < dv; i++) {
    let e0 = table[kb.x + i];
    let e1 = table[kb.y + i];
    let e2 = table[kb.z + i];
    let e3 = table[kb.w + i];
    let x0 = queries[qb.x + i];
    let x1 = queries[qb.y + i];
    let x2 = queries[qb.z + i];
    let x3 = queries[qb.w + i];
    var d: vec4<f32>;
    d = e0 - x0; acc0.x += dot(d, d);
    d = e1 - x0; acc0.y += dot(d, d);
    d = e2 - x0; acc0.z += dot(d, d);
    d = e3 - x0; acc0.w += dot(d, d);
    d = e0 - x1; acc1.x += dot(d, d);
    d = e1 - x1; acc1.y += dot(d, d);
    d = e2 - x1; acc1.z += dot(d, d);
    d = e3 - x1; acc1.w += dot(d, d);
    d = e0 - x2; acc2.x += dot(d, d);
    d = e1 - x2; acc2.y += dot(d, d);
    d = e2 - x2; acc2.z += dot(d, d);
    d = e3 - x2; acc2.w += dot(d, d);
    d = e0 - x3; acc3.x += dot(d, d);
    d = e1 - x3; acc3.y += dot(d, d);
    d = e2 - x3; acc3.z += dot(d, d);
    d = e3 - x3; acc3.w += dot(d, d);
  }
  let accs = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
  for (var a = 0u; a < 4u; a++) {
    let q = q0 + a;
    if (q >= params.nq) { break; }
    let rowBase = q * params.vocab;
    for (var b = 0u; b < 4u; b++) {
      let k = k0 + b;
      if (k < params.vocab) { out[rowBase + k] = accs[a][b]; }
    }
  }
}
