// The page behind `npm run experiment`: scripts/experiment.ts opens it in headless Chromium and calls
// window.raptRunner.run. It uses the same engine worker and experiment code as the app.

import { appVersion } from '../appVersion';
import { loadCorpus, runPrivatizeExperiment } from '../experiments/privatizeExperiment';
import { parseExperimentSpec } from '../experiments/schema';
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
      let lastLogged = -1;
      const result = await runPrivatizeExperiment(engine, spec, corpus, appVersion, (p) => {
        const pct = Math.floor(p.fraction * 100);
        if (pct >= lastLogged + 5) {
          lastLogged = pct;
          console.log(`[progress] ${pct}% ${p.stage}`);
        }
      });
      return { ok: true, result };
    } catch (e) {
      const err = e as Error;
      return { ok: false, error: { name: err.name ?? 'Error', message: err.message ?? String(e) } };
    } finally {
      terminate();
    }
  },
};
