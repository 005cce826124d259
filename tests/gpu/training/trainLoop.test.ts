// The service-side loop on a tiny random encoder: learning a separable task, determinism, and a resume
// from a checkpoint that ends exactly where an uninterrupted run ends.
import { describe, expect, it } from 'vitest';
import { UseLiteEncoder } from '../../../src/model/useLite/useLiteEncoder';
import { CancelledError } from '../../../src/privacy/privatize';
import { toService } from '../../../src/rapt/serviceSide';
import { privatizeLabelledExamples } from '../../../src/rapt/userSide';
import { tinyUseLiteWeights } from '../../../src/training/reference/tinyUseLite';
import { trainLoop } from '../../../src/training/trainLoop';
import type { TrainCheckpoint, TrainSettings } from '../../../src/training/trainTypes';
import { UseLiteTrainer, type TrainerShape } from '../../../src/training/useLiteTrainer';
import { initialHeads } from '../../../src/training/trainCondition';
import { testRuntime } from '../gpuTestRuntime';

const w = tinyUseLiteWeights(5);
// Label = which of two tokens fills most of the text: separable from mean-pooled states even on random weights.
const texts = Array.from({ length: 48 }, (_, i) => {
  const main = i % 2 ? 7 : 30;
  return { text: [main, 10 + ((i * 3) % 17), main, main].join(' '), label: i % 2 };
});
const tokenize = (t: string) => t.split(' ').map(Number);
const clean = async (split: 'train' | 'dev', examples: typeof texts, m: number) =>
  toService(
    await privatizeLabelledExamples(async () => ({ ids: new Uint32Array(0) }), tokenize, examples, {
      eta: Infinity, seed: 1, split, maxTokens: 8, plain: m ? { kind: 'fixed', tokens: [3, 4] } : { kind: 'none' },
    }),
  );

const settings: TrainSettings = { epochs: 4, batchSize: 8, lr: 0.05, promptLr: 0.05, warmupFraction: 0.1, weightDecay: 0, maxGradNorm: 1, maxTokens: 8, evalsPerEpoch: 1, initialEvaluation: true };

async function setup(m: number) {
  const rt = await testRuntime();
  const encoder = await UseLiteEncoder.create(rt, w);
  const shape: TrainerShape = { promptLength: 2, plainLength: m, classes: 2, reconstructionWidth: 4, targetVocab: 40, lambda: 1 };
  const prompt = Float32Array.from({ length: 2 * w.embeddingDim }, (_, i) => Math.sin(i));
  const trainer = await UseLiteTrainer.create(rt, w, encoder.deviceWeights, shape, { prompt, ...initialHeads(3, 16, shape) });
  return { trainer, encoder, train: await clean('train', texts.slice(0, 32), m), dev: await clean('dev', texts.slice(32), m) };
}

describe('trainLoop', () => {
  it('learns a separable task (loss down, accuracy up), reports points and evaluations, and is deterministic', async () => {
    const results = [];
    for (let r = 0; r < 2; r++) {
      const { trainer, encoder, train, dev } = await setup(2);
      const events: string[] = [];
      const result = await trainLoop({ trainer, train, dev, seed: 9, settings, onProgress: (p) => { if (p.evaluation) events.push(`eval@${p.evaluation.step}`); } });
      results.push(result);
      expect(events).toEqual(['eval@0', 'eval@4', 'eval@8', 'eval@12', 'eval@16']);
      expect(result.steps).toBe(16);
      expect(result.history.at(-1)!.step).toBe(16);
      expect(result.history.every((h) => h.lossRec !== null && h.recAccuracy !== null)).toBe(true);
      trainer.destroy();
      encoder.destroy();
    }
    const [a, b] = results;
    expect(a.evals).toEqual(b.evals);
    expect(a.history.map((h) => [h.lossTask, h.lossRec, h.gradNorm])).toEqual(b.history.map((h) => [h.lossTask, h.lossRec, h.gradNorm]));
    expect(a.evals[0].accuracy).toBe(0.5);
    expect(a.evals.at(-1)!.loss).toBeLessThan(a.evals[0].loss);
    expect(a.accuracy).toBeGreaterThan(0.8);
    expect(a.history.at(-1)!.lossRec!).toBeLessThan(a.history[0].lossRec!);
  });

  it('resumes from a checkpoint to exactly the uninterrupted result; cancel stops with CancelledError', async () => {
    const full = await setup(0);
    const straight = await trainLoop({ trainer: full.trainer, train: full.train, dev: full.dev, seed: 4, settings });
    const straightParams = await full.trainer.readParams();
    full.trainer.destroy();
    full.encoder.destroy();

    const first = await setup(0);
    const checkpoints: TrainCheckpoint[] = [];
    let steps = 0;
    await expect(
      trainLoop({
        trainer: first.trainer, train: first.train, dev: first.dev, seed: 4, settings,
        onCheckpoint: (c) => { checkpoints.push(c); },
        onProgress: (p) => { steps = p.step; },
        cancelled: () => steps >= 9,
      }),
    ).rejects.toBeInstanceOf(CancelledError);
    first.trainer.destroy();
    first.encoder.destroy();
    const last = checkpoints.at(-1)!;
    expect(last.step).toBe(8);

    // A new page: a fresh trainer, the same data and seed, and the stored checkpoint.
    const second = await setup(0);
    const resumed = await trainLoop({ trainer: second.trainer, train: second.train, dev: second.dev, seed: 4, settings, resume: structuredClone(last) });
    expect(resumed.evals).toEqual(straight.evals);
    expect(resumed.history.map((h) => h.lossTask)).toEqual(straight.history.map((h) => h.lossTask));
    const params = await second.trainer.readParams();
    expect([...params.prompt]).toEqual([...straightParams.prompt]);
    expect([...params.taskW]).toEqual([...straightParams.taskW]);
    second.trainer.destroy();
    second.encoder.destroy();
  });
});
