// `npm test`: every check, in order — type check (svelte-check over .svelte and .ts), unit tests (Node) and
// GPU tests (Chromium + WebGPU) with vitest, a production build, and end-to-end tests with Playwright against
// it. Ends with the line `N passed, N failed` (counts from vitest's and Playwright's JSON reports; the type
// check counts as one) and exits non-zero if anything failed.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { chromiumPath } from './chromium';

const root = new URL('..', import.meta.url).pathname;
const reports = join(root, 'reports');
rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });

let passed = 0;
let failed = 0;
const problems: string[] = [];

function run(label: string, command: string, args: string[], env: Record<string, string> = {}): boolean {
  process.stdout.write(`\n── ${label}: ${command} ${args.join(' ')}\n`);
  const r = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  const ok = r.status === 0;
  if (!ok) problems.push(`${label} exited with ${r.status ?? r.signal}`);
  return ok;
}

function readJson(path: string): Record<string, unknown> | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

if (!existsSync(chromiumPath)) {
  process.stdout.write(`\nNo Chromium at ${chromiumPath}: GPU and end-to-end tests need one (apt-get install chromium, or set RAPT_CHROMIUM).\n`);
}

const npx = 'npx';
run('assets', npx, ['tsx', 'scripts/build-assets.ts']);

if (run('type check', npx, ['svelte-check', '--tsconfig', './tsconfig.json', '--fail-on-warnings', '--output', 'human'])) passed++;
else failed++;

const vitestJson = join(reports, 'vitest.json');
run('unit + GPU tests', npx, ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`]);
const v = readJson(vitestJson);
if (v) {
  passed += Number(v.numPassedTests ?? 0);
  failed += Number(v.numFailedTests ?? 0);
  // A test file that fails to load has no tests; count it as a failure so it cannot hide.
  const suites = (v.testResults as { status: string; assertionResults: unknown[]; name: string }[]) ?? [];
  for (const s of suites) if (s.status === 'failed' && s.assertionResults.length === 0) failed++, problems.push(`could not run ${s.name}`);
} else {
  failed++;
  problems.push('vitest wrote no report');
}

/** A port nothing listens on, so the e2e server never collides with a dev server. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 4173));
    });
  });
}

if (run('build', npx, ['vite', 'build', '--logLevel', 'warn'])) {
  const e2eJson = join(reports, 'e2e.json');
  run('end-to-end tests', npx, ['playwright', 'test'], { RAPT_E2E_JSON: e2eJson, RAPT_E2E_PORT: String(await freePort()) });
  const e = readJson(e2eJson);
  const stats = e?.stats as { expected?: number; unexpected?: number; flaky?: number } | undefined;
  if (stats) {
    passed += (stats.expected ?? 0) + (stats.flaky ?? 0);
    failed += stats.unexpected ?? 0;
    const errors = (e?.errors as unknown[]) ?? [];
    if (errors.length > 0) failed++, problems.push('Playwright reported errors outside tests');
  } else {
    failed++;
    problems.push('Playwright wrote no report');
  }
} else {
  failed++;
}

if (problems.length > 0) process.stdout.write(`\nProblems:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exit(failed > 0 || problems.length > 0 ? 1 : 0);
