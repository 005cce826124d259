import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// One config for the app, the headless runner page and vitest (tests/vitest.config.ts extends it).
export default defineConfig({
  plugins: [svelte()],
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    rollupOptions: {
      input: { main: 'index.html', runner: 'runner.html' },
    },
  },
  server: { port: 5173, strictPort: false },
  preview: { port: 4173 },
});
