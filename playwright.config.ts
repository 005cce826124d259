import { defineConfig } from '@playwright/test';
import { chromiumArgs, chromiumPath } from './scripts/chromium.ts';

// End-to-end tests against the production build served by `vite preview` (npm run build first; scripts/test.ts
// does). Chromium comes from the system (RAPT_CHROMIUM to override), never from `playwright install`.
// scripts/test.ts picks a free port (RAPT_E2E_PORT) so a dev server left on 4173 cannot break a run.
const port = Number(process.env.RAPT_E2E_PORT ?? 4173);

export default defineConfig({
  testDir: 'tests/e2e',
  timeout: 180_000,
  expect: { timeout: 60_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: process.env.RAPT_E2E_JSON ? [['list'], ['json', { outputFile: process.env.RAPT_E2E_JSON }]] : 'list',
  use: {
    baseURL: `http://localhost:${port}`,
    launchOptions: { executablePath: chromiumPath, args: chromiumArgs },
    trace: 'off',
  },
  webServer: {
    command: `npx vite preview --port ${port} --strictPort`,
    url: `http://localhost:${port}`,
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
  },
});
