// `npm run bench [-- --quick] [-- --out path.json]`: privatisation throughput on this machine's WebGPU
// adapter (the bundled USE-Lite table and a BERT-sized random table) next to the plain TypeScript
// reference, plus each kernel alone. Runs src/bench/benchPage.ts in headless Chromium (scripts/
// browserSession.ts), prints a table to stdout and writes the full results as JSON to
// bench-results/bench-<timestamp>.json (or --out) and bench-results/latest.json. Progress goes to stderr.
// It reports numbers only: there are no thresholds, and it is not part of `npm test`.
// Exit codes: 0 done, 1 the benchmark failed, 2 bad arguments.

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatResults } from '../src/bench/report';
import type { BenchOutcome } from '../src/bench/types';
import { openPage } from './browserSession';

const usage = 'usage: npm run bench -- [--quick] [--out results.json]';
const root = new URL('..', import.meta.url).pathname;

function fail(code: number, message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(code);
}

function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

async function main() {
  let args;
  try {
    args = parseArgs({ options: { quick: { type: 'boolean' }, out: { type: 'string' }, help: { type: 'boolean' } } }).values;
  } catch (e) {
    fail(2, `${(e as Error).message}\n${usage}`);
  }
  if (args.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
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
    outcome = await session.page.evaluate((options) => window.raptBench.run(options), { quick: Boolean(args.quick) });
    if (outcome.ok) {
      outcome.result.browserVersion = `${session.browser.browserType().name()} ${session.browser.version()}`;
      const cpu = cpus();
      outcome.result.host = { platform: platform(), cpus: cpu.length, cpuModel: cpu[0]?.model ?? '?', loadAverageStart, loadAverageEnd: loadavg(), loadSamples };
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
