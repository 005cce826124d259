// Headless runner: `npm run experiment -- --config spec.json --out results.json`.
// Validates the spec (src/experiments/schema.ts), reads any local corpus file it names (paths relative to
// the working directory), runs the experiment in headless Chromium through the same engine code as the app,
// and writes the result as JSON (a spec with several seeds or a `vary` list is a sweep: {sweep, runs: [...]}).
// Exit codes: 0 done, 1 the experiment failed, 2 bad arguments, spec or file.

import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseExperimentSpec, SpecError } from '../src/experiments/schema';
import { openPage } from './browserSession';

function fail(code: number, message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(code);
}

async function main() {
  let args;
  try {
    args = parseArgs({ options: { config: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean' } } }).values;
  } catch (e) {
    fail(2, `${(e as Error).message}\nusage: npm run experiment -- --config spec.json --out results.json`);
  }
  if (args.help || !args.config || !args.out) fail(2, 'usage: npm run experiment -- --config spec.json --out results.json');

  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(resolve(args.config), 'utf8'));
  } catch (e) {
    fail(2, `cannot read the spec ${args.config}: ${(e as Error).message}`);
  }
  let spec;
  try {
    spec = parseExperimentSpec(raw);
  } catch (e) {
    if (e instanceof SpecError) fail(2, `${args.config}: ${e.message}`);
    throw e;
  }
  const files: Record<string, string> = {};
  if (spec.corpus.kind === 'file') {
    try {
      files[spec.corpus.path] = readFileSync(resolve(spec.corpus.path), 'utf8');
    } catch (e) {
      fail(2, `cannot read the corpus file ${spec.corpus.path}: ${(e as Error).message}`);
    }
  }

  const session = await openPage('runner.html', (text) => process.stderr.write(`${text}\n`));
  try {
    await session.page.waitForFunction(() => 'raptRunner' in window);
    const outcome = await session.page.evaluate(([s, f]) => window.raptRunner.run(s, f), [raw, files] as const);
    if (!outcome.ok) fail(outcome.error.name === 'SpecError' || outcome.error.name === 'DatasetError' ? 2 : 1, `${outcome.error.name}: ${outcome.error.message}`);
    writeFileSync(resolve(args.out), `${JSON.stringify(outcome.result, null, 2)}\n`);
    type RunResult = { spec: { seeds: number[] }; statistics: { eta: number; pUnchanged: { value: number }; attacks: { bayes: { value: number } | null } }[]; seconds: number };
    const result = outcome.result as RunResult | { runs: RunResult[] };
    const runs = 'runs' in result ? result.runs : [result];
    const seconds = runs.reduce((t, r) => t + r.seconds, 0).toFixed(1);
    process.stderr.write(`wrote ${args.out} (${runs.length === 1 ? '' : `${runs.length} runs × `}${runs[0].statistics.length} η values, ${seconds} s)\n`);
    for (const r of runs) {
      if (runs.length > 1) process.stderr.write(`  seed ${r.spec.seeds[0]} (${r.seconds.toFixed(1)} s)\n`);
      for (const s of r.statistics) {
        process.stderr.write(`  η=${s.eta}: P(unchanged)=${s.pUnchanged.value.toFixed(3)}${s.attacks.bayes ? ` Bayes attack=${s.attacks.bayes.value.toFixed(3)}` : ''}\n`);
      }
    }
  } finally {
    await session.close();
  }
}

main().catch((e: unknown) => fail(1, e instanceof Error ? (e.stack ?? e.message) : String(e)));
