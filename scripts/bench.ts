// `npm run bench [-- --quick] [-- --only privatize|matmul|forward|train] [-- --out path.json]`, on this
// machine's WebGPU adapter, in four sections (all by default):
//   privatize  privatisation throughput (the bundled USE-Lite table and a BERT-sized random table) next to
//              the plain TypeScript reference, plus each kernel alone
//   matmul     our matmul kernel against jax-js and TF.js's webgpu backend at 1024³ and 4096×768·768×768
//   forward    encoder throughput: USE-Lite (ours, TF.js graph, jax-js) and a BERT-base-shaped random model
//              (ours, jax-js), with where our GPU time goes per kernel
//   train      one prompt-tuning / RAPT training step (forward, backward, clip, AdamW) at the demo's
//              settings: our UseLiteTrainer against the same step in jax-js and TF.js, from identical
//              parameters, with the first step's losses compared and our forward-only time beside it
// Runs src/bench/benchPage.ts in headless Chromium (scripts/browserSession.ts), prints tables to stdout and
// writes the full results as JSON to bench-results/bench-<timestamp>.json (or --out) and
// bench-results/latest.json. Progress goes to stderr. It reports numbers only: there are no thresholds,
// and it is not part of `npm test`.
// Exit codes: 0 done, 1 the benchmark failed, 2 bad arguments.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatResults } from '../src/bench/report';
import { BENCH_SECTIONS, type BenchOutcome, type BenchSection } from '../src/bench/types';
import { openPage } from './browserSession';

const usage = `usage: npm run bench -- [--quick] [--only ${BENCH_SECTIONS.join('|')}] [--out results.json]`;
/** The peers the page loads, whose installed versions the results name. */
const PEER_PACKAGES = ['@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-converter', '@jax-js/jax'];
const root = new URL('..', import.meta.url).pathname;

function fail(code: number, message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(code);
}

function installedVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

async function main() {
  let args;
  try {
    args = parseArgs({ options: { quick: { type: 'boolean' }, only: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean' } } }).values;
  } catch (e) {
    fail(2, `${(e as Error).message}\n${usage}`);
  }
  if (args.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const only = args.only as BenchSection | undefined;
  if (only !== undefined && !BENCH_SECTIONS.includes(only)) fail(2, `--only must be one of ${BENCH_SECTIONS.join(', ')}, not '${only}'\n${usage}`);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const resultsDir = join(root, 'bench-results');
  const out = args.out ? resolve(args.out) : join(resultsDir, `bench-${stamp}.json`);

  // The software adapter runs on the CPU, so anything else running competes with it: sample the load.
  const loadAverageStart = loadavg();
  const loadSamples: [string, number][] = [[new Date().toISOString(), loadAverageStart[0]]];
  const sampler = setInterval(() => loadSamples.push([new Date().toISOString(), loadavg()[0]]), 5000);
  const session = await openPage('bench.html', (text) => process.stderr.write(`${text}\n`));
  let outcome: BenchOutcome;
  try {
    await session.page.waitForFunction(() => 'raptBench' in window);
    outcome = await session.page.evaluate((options) => window.raptBench.run(options), { quick: Boolean(args.quick), only });
    if (outcome.ok) {
      outcome.result.browserVersion = `${session.browser.browserType().name()} ${session.browser.version()}`;
      const cpu = cpus();
      outcome.result.host = { platform: platform(), cpus: cpu.length, cpuModel: cpu[0]?.model ?? '?', loadAverageStart, loadAverageEnd: loadavg(), loadSamples };
      outcome.result.peers.versions = Object.fromEntries(PEER_PACKAGES.map((name) => [name, installedVersion(name)]));
    }
  } finally {
    clearInterval(sampler);
    await session.close();
  }
  if (!outcome.ok) fail(1, `${outcome.error.name}: ${outcome.error.message}${outcome.error.stack ? `\n${outcome.error.stack}` : ''}`);

  writeJson(out, outcome.result);
  const latest = join(resultsDir, 'latest.json');
  if (resolve(latest) !== out) writeJson(latest, outcome.result);
  process.stdout.write(formatResults(outcome.result));
  process.stdout.write(`\nresults: ${out}${resolve(latest) !== out ? ` (and ${latest})` : ''}\n`);
}

main().catch((e: unknown) => fail(1, e instanceof Error ? (e.stack ?? e.message) : String(e)));
