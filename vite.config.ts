import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };
function gitCommit(): string {
  try {
    return execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return 'unknown';
  }
}

// One config for the app (index.html), the headless runner page (runner.html) and vitest.
export default defineConfig({
  plugins: [svelte()],
  define: {
    __APP_VERSION__: JSON.stringify(pkg.version),
    __APP_COMMIT__: JSON.stringify(gitCommit()),
  },
  worker: { format: 'es' },
  // Test-only oracle and benchmark peers; pre-bundled up front so vitest's browser mode does not reload mid-run to add it.
  optimizeDeps: { include: ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-webgpu', '@jax-js/jax'] },
  build: {
    target: 'es2022',
    rollupOptions: { input: { main: 'index.html', runner: 'runner.html', bench: 'bench.html' } },
  },
  preview: { port: 4173 },
});
