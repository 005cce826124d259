// Opens a page of the built app in headless Chromium with WebGPU, for the headless runner and the
// benchmark: builds the app when the build is missing or older than the sources, serves dist/ with
// `vite preview` on a free port, and forwards the page's console to stderr.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build, preview } from 'vite';
import { chromium, type Browser, type Page } from 'playwright';
import { chromiumArgs, chromiumPath } from './chromium';

const root = new URL('..', import.meta.url).pathname;

function newestMtime(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(s.mtimeMs, ...readdirSync(path).map((f) => newestMtime(join(path, f))));
}

/** Builds dist/ unless it is newer than every input. */
export async function ensureBuild(): Promise<void> {
  const marker = join(root, 'dist', 'runner.html');
  const inputs = ['src', 'shaders', 'index.html', 'runner.html', 'bench.html', 'vite.config.ts', 'package.json', 'scripts/build-assets.ts'];
  const newest = Math.max(...inputs.map((p) => join(root, p)).filter(existsSync).map(newestMtime));
  const generated = join(root, 'public', 'generated', 'models', 'use-lite', 'manifest.json');
  if (existsSync(marker) && existsSync(generated) && statSync(marker).mtimeMs > newest) return;
  process.stderr.write('building the app (dist/ is missing or older than the sources)…\n');
  const { execFileSync } = await import('node:child_process');
  execFileSync(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'build-assets.ts')], { stdio: 'inherit', cwd: root });
  await build({ root, logLevel: 'warn' });
}

export interface BrowserSession {
  page: Page;
  browser: Browser;
  close(): Promise<void>;
}

export async function openPage(pagePath: string, onConsole: (text: string) => void): Promise<BrowserSession> {
  await ensureBuild();
  const server = await preview({ root, preview: { port: 0, strictPort: false, open: false }, logLevel: 'silent' });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('vite preview did not report a URL');
  if (!existsSync(chromiumPath)) {
    throw new Error(`No Chromium at ${chromiumPath}. Install it (apt-get install chromium) or set RAPT_CHROMIUM to a Chrome/Chromium binary.`);
  }
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
  const page = await browser.newPage();
  page.on('console', (m) => onConsole(m.text()));
  page.on('pageerror', (e) => onConsole(`page error: ${e.message}`));
  await page.goto(new URL(pagePath, url).href);
  return {
    page,
    browser,
    async close() {
      await browser.close();
      await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
    },
  };
}
