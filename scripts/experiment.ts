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
  const paths =
    spec.kind === 'privatize'
      ? spec.corpus.kind === 'file' ? [spec.corpus.path] : []
      : [spec.data.train, spec.data.dev].flatMap((d) => (d?.kind === 'file' ? [d.path] : []));
  for (const path of paths) {
    try {
      files[path] = readFileSync(resolve(path), 'utf8');
    } catch (e) {
      fail(2, `cannot read the data file ${path}: ${(e as Error).message}`);
    }
  }

  const session = await openPage('runner.html', (text) => process.stderr.write(`${text}\n`));
  try {
    await session.page.waitForFunction(() => 'raptRunner' in window);
    const outcome = await session.page.evaluate(([s, f]) => window.raptRunner.run(s, f), [raw, files] as const);
    if (!outcome.ok) fail(outcome.error.name === 'SpecError' || outcome.error.name === 'DatasetError' ? 2 : 1, `${outcome.error.name}: ${outcome.error.message}`);
    writeFileSync(resolve(args.out), `${JSON.stringify(outcome.result, null, 2)}\n`);
    process.stderr.write(`wrote ${args.out}\n${summarise(outcome.result)}`);
  } finally {
    await session.close();
  }
}

/** A few lines for the terminal: the η table of a privatize run, the accuracy table of training runs. */
function summarise(result: unknown): string {
  const r = result as { kind?: string; runs?: unknown[] };
  if (r.runs) return r.runs.map(summarise).join('');
  if (r.kind === 'compare') {
    const c = result as { table: { condition: string; eta: number | null; mean: number; std: number; accuracies: number[]; changedFraction: number }[]; seconds: number };
    const lines = c.table.map((row) => `  ${row.condition.padEnd(20)} η=${String(row.eta ?? '∞').padEnd(6)} accuracy ${(100 * row.mean).toFixed(1)} ± ${(100 * row.std).toFixed(1)} % (${row.accuracies.map((a) => (100 * a).toFixed(1)).join(', ')}) changed ${(100 * row.changedFraction).toFixed(0)}%`);
    return `${lines.join('\n')}\n  ${c.seconds.toFixed(0)} s\n`;
  }
  if (r.kind === 'train') {
    const t = result as { result: { condition: string; eta: number | null; seed: number; accuracy: number; steps: number; seconds: { train: number } }; seconds: number };
    return `  ${t.result.condition} η=${t.result.eta ?? '∞'} seed ${t.result.seed}: accuracy ${(100 * t.result.accuracy).toFixed(2)} % after ${t.result.steps} steps (${t.seconds.toFixed(0)} s)\n`;
  }
  const p = result as { statistics: { eta: number; pUnchanged: { value: number }; attacks: { bayes: { value: number } | null } }[]; seconds: number };
  return `${p.statistics.map((s) => `  η=${s.eta}: P(unchanged)=${s.pUnchanged.value.toFixed(3)}${s.attacks.bayes ? ` Bayes attack=${s.attacks.bayes.value.toFixed(3)}` : ''}\n`).join('')}  ${p.seconds.toFixed(1)} s\n`;
}

main().catch((e: unknown) => fail(1, e instanceof Error ? (e.stack ?? e.message) : String(e)));
