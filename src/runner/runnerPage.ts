// The page behind `npm run experiment`: scripts/experiment.ts opens it in headless Chromium and calls
// window.raptRunner.run. It uses the same engine worker and experiment code as the app. A spec with several
// seeds or a `vary` list runs as a sweep (experiments/sweep.ts): one result per run, one after another.
// Kinds: privatize (η statistics and attacks), train (one condition), compare (the conditions table).

import { appVersion } from '../appVersion';
import { loadCorpus, runPrivatizeExperiment } from '../experiments/privatizeExperiment';
import { parseExperimentSpec, type PrivatizeExperimentSpec, type TrainExperimentSpec } from '../experiments/schema';
import { loadTrainingData, runCompareExperiment, runTrainExperiment, type TrainingProgress } from '../experiments/trainingExperiment';
import { expandSweep } from '../experiments/sweep';
import { fetchJson } from '../model/fetchWithProgress';
import { startEngine } from '../worker/engineClient';

export type RunnerOutcome = { ok: true; result: unknown } | { ok: false; error: { name: string; message: string } };

declare global {
  interface Window {
    raptRunner: { run(spec: unknown, files: Record<string, string>): Promise<RunnerOutcome> };
  }
}

const assetBase = `${import.meta.env.BASE_URL}generated/`;

window.raptRunner = {
  async run(rawSpec, files) {
    const { engine, terminate } = startEngine();
    try {
      const spec = parseExperimentSpec(rawSpec);
      const readFile = async (path: string) => {
        const text = files[path];
        if (text === undefined) throw new Error(`The runner was not given the file ${path}.`);
        return text;
      };
      const fetchAsset = (path: string) => fetchJson(`${assetBase}${path}`, () => {});
      const planned = expandSweep(spec);
      const results: unknown[] = [];
      if (spec.kind !== 'privatize') {
        const data = await loadTrainingData(spec, readFile, fetchAsset);
        for (const [i, run] of planned.entries()) {
          const prefix = planned.length > 1 ? `run ${i + 1} of ${planned.length}: ` : '';
          let lastLogged = -1;
          const log = (p: TrainingProgress) => {
            const pct = Math.floor(p.overall * 100);
            if (p.evaluation) console.log(`[progress] ${prefix}${p.cell}: step ${p.evaluation.step} dev accuracy ${(100 * p.evaluation.accuracy).toFixed(2)}%`);
            if (pct >= lastLogged + 2) {
              lastLogged = pct;
              const speed = p.examplesPerSecond ? ` ${p.examplesPerSecond.toFixed(1)} ex/s` : '';
              console.log(`[progress] ${prefix}${pct}% ${p.cell} ${p.phase} step ${p.step}/${p.totalSteps}${speed}`);
            }
          };
          results.push(
            run.spec.kind === 'compare'
              ? await runCompareExperiment(engine, run.spec, data, appVersion, log)
              : await runTrainExperiment(engine, run.spec as TrainExperimentSpec, data, appVersion, log),
          );
        }
        return { ok: true, result: planned.length === 1 ? results[0] : { sweep: spec, runs: results } };
      }
      const corpus = await loadCorpus(spec.corpus, readFile, fetchAsset);
      for (const [i, run] of planned.entries()) {
        let lastLogged = -1;
        const prefix = planned.length > 1 ? `run ${i + 1} of ${planned.length} (${run.label}): ` : '';
        results.push(
          await runPrivatizeExperiment(engine, run.spec as PrivatizeExperimentSpec, corpus, appVersion, (p) => {
            const pct = Math.floor(p.fraction * 100);
            if (pct >= lastLogged + 5) {
              lastLogged = pct;
              console.log(`[progress] ${prefix}${pct}% ${p.stage}`);
            }
          }),
        );
      }
      // One run: its result, as before sweeps existed. Several: the sweep's spec and every run's result.
      return { ok: true, result: planned.length === 1 ? results[0] : { sweep: spec, runs: results } };
    } catch (e) {
      const err = e as Error;
      return { ok: false, error: { name: err.name ?? 'Error', message: err.message ?? String(e) } };
    } finally {
      terminate();
    }
  },
};
