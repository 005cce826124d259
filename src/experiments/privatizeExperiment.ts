// Runs a `privatize` experiment through the engine: load the corpus, sample sentences with the seed, sweep
// η, and return one JSON-ready result. The explorer's corpus mode and the headless runner both call this.

import { parseTable, selectTexts, detectFormat, type BadRow } from '../data/tabular';
import { PhiloxStream } from '../privacy/random/philox';
import { StreamPurpose } from '../privacy/random/streams';
import type { AdapterReport } from '../gpu/device';
import type { ModelInfo } from '../model/loadedModel';
import type { EtaStatistics } from '../privacy/statistics/etaSweep';
import type { Engine } from '../worker/engineClient';
import { callback } from '../worker/engineClient';
import type { SweepProgress } from '../worker/engineApi';
import { SpecError, type CorpusSpec, type PrivatizeExperimentSpec } from './schema';

export interface CorpusTexts {
  name: string;
  texts: string[];
  badRows: BadRow[];
}

export interface PrivatizeExperimentResult {
  spec: PrivatizeExperimentSpec;
  environment: { adapter: AdapterReport; userAgent: string; appVersion: string };
  model: ModelInfo;
  corpus: { name: string; sentences: number; sampled: number; badRows: number; firstBadRows: BadRow[] };
  statistics: EtaStatistics[];
  seconds: number;
}

/** Reads the texts of a corpus. `readFile` supplies file contents (the runner reads them in Node). */
export async function loadCorpus(corpus: CorpusSpec, readFile: (path: string) => Promise<string>, fetchAsset: (path: string) => Promise<unknown>): Promise<CorpusTexts> {
  if (corpus.kind === 'inline') return { name: 'inline texts', texts: corpus.texts, badRows: [] };
  if (corpus.kind === 'bundled') {
    const data = (await fetchAsset('data/imdb-sentences.json')) as { name: string; items: { text: string }[] };
    return { name: data.name, texts: data.items.map((i) => i.text), badRows: [] };
  }
  const format = corpus.format ?? detectFormat(corpus.path);
  if (!format) throw new SpecError(`Cannot tell the format of ${corpus.path}; set corpus.format to csv, tsv, jsonl or text.`);
  const table = parseTable(await readFile(corpus.path), format);
  const selected = selectTexts(table, { textColumn: format === 'text' ? 'text' : corpus.textColumn });
  return { name: corpus.path, texts: selected.texts, badRows: selected.badRows };
}

/** A seeded sample of `size` sentences (in corpus order, so results read naturally). */
export function sampleSentences(texts: string[], size: number, seed: number): string[] {
  if (texts.length <= size) return texts;
  const picked = new PhiloxStream(seed, StreamPurpose.corpusSample).shuffle([...texts.keys()]).slice(0, size);
  return picked.sort((a, b) => a - b).map((i) => texts[i]);
}

export async function runPrivatizeExperiment(
  engine: Engine,
  spec: PrivatizeExperimentSpec,
  corpus: CorpusTexts,
  appVersion: string,
  onProgress?: (p: SweepProgress) => void,
  onEta?: (s: EtaStatistics, i: number) => void,
): Promise<PrivatizeExperimentResult> {
  const started = performance.now();
  const adapter = await engine.init();
  const model = await engine.loadModel(spec.model.id);
  const texts = sampleSentences(corpus.texts, spec.sampleSize, spec.seed);
  const bayes = spec.attacks.bayes.enabled ? spec.attacks.bayes : undefined;
  const statistics = await engine.sweepEta(
    { texts, etas: spec.etas, seed: spec.seed, draws: spec.draws, ...(bayes ? { bayes: { candidates: bayes.candidates, draws: bayes.draws, observations: bayes.observations } } : {}) },
    onProgress ? callback(onProgress) : undefined,
    onEta ? callback(onEta) : undefined,
  );
  return {
    spec,
    environment: { adapter, userAgent: navigator.userAgent, appVersion },
    model,
    corpus: { name: corpus.name, sentences: corpus.texts.length, sampled: texts.length, badRows: corpus.badRows.length, firstBadRows: corpus.badRows.slice(0, 10) },
    statistics,
    seconds: (performance.now() - started) / 1000,
  };
}
