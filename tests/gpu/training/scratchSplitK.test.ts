import { it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
it('splitK unpatched', async () => {
  await tf.setBackend('webgpu'); await tf.ready();
  const M = 32, K = 8000, Nn = 128;
  const a = new Float32Array(M * K).map((_, i) => Math.sin(i * 0.37));
  const b = new Float32Array(Nn * K).map((_, i) => Math.cos(i * 0.11));
  const ref = new Float64Array(M * Nn);
  for (let i = 0; i < M; i++) for (let j = 0; j < Nn; j++) { let s = 0; for (let k = 0; k < K; k++) s += a[i * K + k] * b[j * K + k]; ref[i * Nn + j] = s; }
  for (const [flag, kk] of [[-1, K], [1, K], [-1, 2000], [-1, 4000]] as const) {
    tf.env().set('WEBGPU_THRESHOLD_TO_INCREASE_WORKGROUPS_FOR_MATMUL', flag);
    const out = tf.matMul(tf.tensor2d(a, [M, K]).slice([0, 0], [M, kk]), tf.tensor2d(b, [Nn, K]).slice([0, 0], [Nn, kk]), false, true);
    const got = await out.data();
    let err = 0;
    for (let i = 0; i < M; i++) for (let j = 0; j < Nn; j++) { let s = 0; for (let k = 0; k < kk; k++) s += a[i * K + k] * b[j * K + k]; err = Math.max(err, Math.abs(got[i * Nn + j] - s)); }
    console.log(`threshold ${flag} K ${kk}: max err ${err}`);
  }
  const ta = tf.tensor2d(a, [M, K]);
  const tb = tf.tensor2d(b, [K, Nn].reverse() as [number, number]);
  void ref; void ta; void tb;
});
