// The page behind `npm run experiment`: scripts/experiment.ts opens it in headless Chromium and calls
// window.raptRunner.run. It uses the same engine worker and experiment code as the app. A spec with several
// seeds or a `vary` list runs as a sweep (experiments/sweep.ts): one result per run, one after another.

import { appVersion } from '../appVersion';
import { loadCorpus, runPrivatizeExperiment } from '../experiments/privatizeExperiment';
import { parseExperimentSpec } from '../experiments/schema';
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
      const corpus = await loadCorpus(
        spec.corpus,
        async (path) => {
          const text = files[path];
          if (text === undefined) throw new Error(`The runner was not given the file ${path}.`);
          return text;
        },
        (path) => fetchJson(`${assetBase}${path}`, () => {}),
      );
      const planned = expandSweep(spec);
      const results: unknown[] = [];
      for (const [i, run] of planned.entries()) {
        let lastLogged = -1;
        const prefix = planned.length > 1 ? `run ${i + 1} of ${planned.length} (${run.label}): ` : '';
        results.push(
          await runPrivatizeExperiment(engine, run.spec, corpus, appVersion, (p) => {
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
