import { it } from 'vitest';
import { AttentionBackwardKernel } from '../../../src/training/kernels/attentionBackward';
import { AttentionKernel } from '../../../src/transformer/kernels/attention';
import { testRuntime } from '../gpuTestRuntime';
import { TestBuffers, randomArray, run } from '../transformer/kernelTestUtils';

it('times attention backward', async () => {
  const rt = await testRuntime();
  const fwd = await AttentionKernel.create(rt);
  const bwd = await AttentionBackwardKernel.create(rt);
  const bufs = new TestBuffers(rt);
  for (const [batch, S, H, D] of [[8, 128, 4, 64], [8, 128, 4, 128]]) {
    const qkv = bufs.upload(randomArray(1, batch * S * 3 * H * D));
    const dOut = bufs.upload(randomArray(2, batch * S * H * D));
    const lengths = bufs.upload(new Uint32Array(batch).fill(S));
    const out = bufs.output(batch * S * H * D);
    const scratch = AttentionBackwardKernel.scratchBytes(batch, H, S) / 4;
    const probs = bufs.output(scratch);
    const dScores = bufs.output(scratch);
    const dQkv = bufs.output(batch * S * 3 * H * D);
    const t: Record<string, number[]> = { fwd: [], scores: [], softmax: [], gradients: [], all: [] };
    for (let rep = 0; rep < 3; rep++) {
      let t0 = performance.now();
      await run(rt, [fwd.prepare({ qkv, lengths, out, batch, seqLen: S, heads: H, headDim: D, scale: 0.125 })]);
      await rt.device.queue.onSubmittedWorkDone();
      t.fwd.push(performance.now() - t0);
      for (const [n, i] of [['scores', 0], ['softmax', 1], ['gradients', 2]] as const) {
        const d = bwd.prepare({ qkv, lengths, dOut, probs, dScores, dQkv, batch, seqLen: S, heads: H, headDim: D, scale: 0.125 });
        t0 = performance.now();
        await run(rt, [d[i]]);
        await rt.device.queue.onSubmittedWorkDone();
        t[n].push(performance.now() - t0);
      }
      t0 = performance.now();
      await run(rt, bwd.prepare({ qkv, lengths, dOut, probs, dScores, dQkv, batch, seqLen: S, heads: H, headDim: D, scale: 0.125 }));
      await rt.device.queue.onSubmittedWorkDone();
      t.all.push(performance.now() - t0);
    }
    console.log(`TIME ${batch}x${S}x${H}x${D}`, JSON.stringify(Object.fromEntries(Object.entries(t).map(([x, v]) => [x, v.map(Math.round)]))));
  }
  bufs.destroy();
});
