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
import type { SweepProgress, SweepTextsRequest } from '../worker/engineApi';
import { SpecError, type CorpusSpec, type PrivatizeExperimentSpec } from './schema';
import { singleSeed } from './sweep';

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

/** The engine request for a single-seed run over `etas` (all of the spec's, or the ones a resumed run still needs). */
export function sweepRequest(spec: PrivatizeExperimentSpec, texts: string[], etas: number[] = spec.etas): SweepTextsRequest {
  const bayes = spec.attacks.bayes;
  return {
    texts,
    etas,
    seed: singleSeed(spec),
    draws: spec.draws,
    ...(bayes.enabled ? { bayes: { candidates: bayes.candidates, draws: bayes.draws, observations: bayes.observations } } : {}),
  };
}

/** Runs a single-seed spec from start to end (the headless runner); the workspace's runs go through storage/runExecutor. */
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
  const texts = sampleSentences(corpus.texts, spec.sampleSize, singleSeed(spec));
  const statistics = await engine.sweepEta(
    sweepRequest(spec, texts),
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
