// Token embedding lookup plus positions (and token types):
//   out[r, c] = scale·table[ids[r], c] + positions[r mod seqLen, c] (+ typeTable[typeIds[r], c])
// positions is a learned table (BERT) or a sinusoidal one the caller precomputes (USE-Lite, scale = 2).
// Ids past the table are clamped to its last row so a bad id can never read out of bounds; callers
// validate ids, this is only a guard. Reference: src/transformer/kernels/embeddingReference.ts.
//
// Bindings: 0 ids        u32 [rows]
//           1 table      f32 [vocab, hidden]
//           2 positions  f32 [≥ seqLen, hidden]
//           3 typeIds    u32 [rows]              read when TOKEN_TYPES (else any 16-byte buffer)
//           4 typeTable  f32 [typeVocab, hidden] read when TOKEN_TYPES (else any 16-byte buffer)
//           5 out        f32 [rows, hidden]
//           6 params     uniform { rows, hidden, seqLen, vocab, typeVocab, scale: f32 }
// Dispatch: one workgroup of 64 per row, rows folded into y past 65535 (GpuRuntime.rowGrid).

override TOKEN_TYPES: bool = false;

struct Params { rows: u32, hidden: u32, seqLen: u32, vocab: u32, typeVocab: u32, scale: f32, pad0: u32, pad1: u32 }

@group(0) @binding(0) var<storage, read> ids: array<u32>;
@group(0) @binding(1) var<storage, read> table: array<f32>;
@group(0) @binding(2) var<storage, read> positions: array<f32>;
@group(0) @binding(3) var<storage, read> typeIds: array<u32>;
@group(0) @binding(4) var<storage, read> typeTable: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
@group(0) @binding(6) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = wid.y * nwg.x + wid.x;
  if (row >= params.rows) { return; }
  let hidden = params.hidden;
  let word = min(ids[row], params.vocab - 1u) * hidden;
  let pos = (row % params.seqLen) * hidden;
  var tokenType = 0u;
  if (TOKEN_TYPES) { tokenType = min(typeIds[row], params.typeVocab - 1u) * hidden; }
  for (var c = lid; c < hidden; c += 64u) {
    var v = params.scale * table[word + c] + positions[pos + c];
    if (TOKEN_TYPES) { v += typeTable[tokenType + c]; }
    out[row * hidden + c] = v;
  }
}
