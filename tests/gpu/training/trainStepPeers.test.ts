// The benchmark's training-step peers (src/bench/training: jax-js jit + valueAndGrad, TF.js webgpu
// variableGrads) against the independent PyTorch step of ../shared/fixtures/rapt-train-step.json: the
// first step's losses and prompt gradient (f32 values), the head gradients' norms, and the AdamW update
// against an f64 reference applied to the peer's own gradients. One batch of the fixture's 4 sentences
// (≤ 53 rows) per case, so it stays affordable on SwiftShader.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fixtureJson from '../../../../shared/fixtures/rapt-train-step.json';
import { parseWeightsManifest, readWeightsSync } from '../../../src/model/formats/tfjsWeights';
import { useLiteWeights, type UseLiteWeights } from '../../../src/model/useLite/useLiteWeights';
import { createJaxTrainStep } from '../../../src/bench/training/jaxTrainStep';
import { createTfTrainStep } from '../../../src/bench/training/tfjsTrainStep';
import {
  adamWReference,
  formulaTrainables,
  makeTrainBatch,
  trainableList,
  trainStepOptions,
  type Trainables,
  type TrainStepOptions,
  type TrainStepPeer,
} from '../../../src/bench/training/trainStepSetup';
import { openJax, openTf } from '../../../src/bench/peers';

interface FixtureCase {
  task_logits: number[][];
  loss_task: number;
  loss_rec: number;
  grad_prompt: number[][];
  grad_prompt_norm: number;
  grad_head_weight_norm: number;
  grad_W2_norm?: number;
  grad_W1_norm?: number;
}
const fixture = fixtureJson as unknown as {
  text_ids: number[][];
  labels: number[];
  prompt_init_ids: number[];
  plain_tokens: number[];
  pt_f32: FixtureCase;
  rapt_f32: FixtureCase;
};

const base = '/generated/models/use-lite/';

async function loadWeights(): Promise<UseLiteWeights> {
  const modelJson = (await (await fetch(`${base}model.json`)).json()) as { weightsManifest: unknown };
  const manifest = parseWeightsManifest(modelJson);
  const shards = await Promise.all(manifest.groups.flatMap((g) => g.paths.map((p) => fetch(`${base}${p}`).then((r) => r.arrayBuffer()))));
  return useLiteWeights(readWeightsSync(manifest, shards));
}

const norm = (x: ArrayLike<number>) => Math.sqrt(Array.from(x).reduce((s, v) => s + v * v, 0));
const rel = (got: number, want: number) => Math.abs(got - want) / Math.abs(want);

function caseSetup(w: UseLiteWeights, rapt: boolean) {
  const opts = trainStepOptions({ promptTokens: fixture.prompt_init_ids.length, plainTokens: rapt ? fixture.plain_tokens.length : 0, classes: 2, reconVocab: 8000, reconRank: 128, lambda: 1 });
  const batch = makeTrainBatch(
    fixture.text_ids.map((text, b) => ({ text, label: fixture.labels[b], plain: rapt ? fixture.plain_tokens : undefined })),
    opts,
    w.vocabSize,
  );
  return { opts, batch, init: formulaTrainables(w, opts, fixture.prompt_init_ids), want: rapt ? fixture.rapt_f32 : fixture.pt_f32 };
}

type Make = (opts: TrainStepOptions, init: Trainables) => Promise<TrainStepPeer>;

let weights: UseLiteWeights;
beforeAll(async () => {
  weights = await loadWeights();
});

const peers: [string, Make][] = [
  ['jax-js', async (opts, init) => createJaxTrainStep((await openJax()).jax, { opts, weights, init })],
  ['TF.js', async (opts, init) => createTfTrainStep((await openTf()).tf, { opts, weights, init })],
];

describe.each(peers)('%s training step', (name, make) => {
  const live: TrainStepPeer[] = [];
  afterAll(() => live.forEach((p) => p.dispose()));

  it.each([
    ['prompt tuning', false],
    ['RAPT', true],
  ] as const)('reproduces the fixture on %s and applies clipped AdamW', async (label, rapt) => {
    const { opts, batch, init, want } = caseSetup(weights, rapt);
    const peer = await make(opts, init);
    live.push(peer);

    const t0 = performance.now();
    const { lossTask, lossRec, grads } = await peer.lossAndGrads(batch);
    const t1 = performance.now();
    const gp = grads.prompt;
    const wantGp = Float64Array.from(want.grad_prompt.flat());
    let maxAbs = 0;
    for (let i = 0; i < gp.length; i++) maxAbs = Math.max(maxAbs, Math.abs(gp[i] - wantGp[i]));
    const gpScale = Math.max(...Array.from(wantGp, Math.abs));
    const report = {
      lossTask: [lossTask, want.loss_task, rel(lossTask, want.loss_task)],
      lossRec: [lossRec, want.loss_rec, rapt ? rel(lossRec, want.loss_rec) : Math.abs(lossRec)],
      gradPromptNorm: [norm(gp), want.grad_prompt_norm, rel(norm(gp), want.grad_prompt_norm)],
      gradPromptMaxAbsOverMax: maxAbs / gpScale,
      gradHeadNorm: rel(norm(grads.taskWeight), want.grad_head_weight_norm),
      gradW2Norm: grads.rec ? rel(norm(grads.rec.w2), want.grad_W2_norm!) : null,
      gradW1Norm: grads.rec ? rel(norm(grads.rec.w1), want.grad_W1_norm!) : null,
      gradsMs: Math.round(t1 - t0),
    };
    console.log(`${name} ${label}: ${JSON.stringify(report)}`);
    expect(rel(lossTask, want.loss_task)).toBeLessThan(1e-5);
    if (rapt) expect(rel(lossRec, want.loss_rec)).toBeLessThan(1e-5);
    else expect(lossRec).toBe(0);
    expect(rel(norm(gp), want.grad_prompt_norm)).toBeLessThan(1e-4);
    expect(maxAbs / gpScale).toBeLessThan(1e-4);
    expect(rel(norm(grads.taskWeight), want.grad_head_weight_norm)).toBeLessThan(1e-5);
    if (rapt) {
      expect(rel(norm(grads.rec!.w2), want.grad_W2_norm!)).toBeLessThan(1e-4);
      expect(rel(norm(grads.rec!.w1), want.grad_W1_norm!)).toBeLessThan(1e-4);
    }

    // One step: the same losses (the trainables are still the initial ones), then AdamW on the gradients
    // above, in f64, equals what the peer stored.
    const t2 = performance.now();
    const losses = await peer.step(batch);
    console.log(`${name} ${label}: step ${Math.round(performance.now() - t2)} ms`);
    expect(rel(losses.lossTask, lossTask)).toBeLessThan(1e-6);
    expect(Math.abs(losses.lossRec - lossRec)).toBeLessThanOrEqual(1e-6 * Math.max(1, lossRec));
    const params = trainableList(init).map(([, x]) => Float64Array.from(x));
    const moments = { m: params.map((p) => new Float64Array(p.length)), v: params.map((p) => new Float64Array(p.length)) };
    const { clipScale } = adamWReference(params, trainableList(grads).map(([, g]) => g), moments, 1, opts.adamW);
    const after = trainableList(await peer.read());
    let maxStepErr = 0;
    after.forEach(([, got], k) => {
      for (let i = 0; i < got.length; i++) maxStepErr = Math.max(maxStepErr, Math.abs(got[i] - params[k][i]));
    });
    console.log(`${name} ${label}: clip scale ${clipScale.toFixed(4)}, max |Δ param| vs f64 AdamW ${maxStepErr.toExponential(2)} (lr ${opts.adamW.lr})`);
    // The first AdamW step moves each parameter by ≈ lr·sign(g); 1 % of lr allows for f32 rounding and
    // for gradients near zero, where m̂/(√v̂ + eps) is sensitive to the gradient's last bits.
    expect(maxStepErr).toBeLessThan(0.01 * opts.adamW.lr);
    expect(peer.steps).toBe(1);
  });
});

describe('prompt initialisation convention', () => {
  it('P_j = 2·E[id] reproduces the fixture; P_j = E[id] does not', async () => {
    const { opts, batch, init, want } = caseSetup(weights, false);
    const halved = { ...init, prompt: init.prompt.map((v) => v / 2) };
    const peer = createTfTrainStep((await openTf()).tf, { opts, weights, init: halved });
    const { lossTask } = await peer.lossAndGrads(batch);
    peer.dispose();
    console.log(`P = E[id]: loss_task ${lossTask} vs fixture ${want.loss_task} (rel ${rel(lossTask, want.loss_task).toExponential(2)})`);
    expect(rel(lossTask, want.loss_task)).toBeGreaterThan(1e-4);
  });
});
