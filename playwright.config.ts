import { defineConfig } from '@playwright/test';
import { chromiumArgs, chromiumPath } from './scripts/chromium.ts';

// End-to-end tests against the production build served by `vite preview` (npm run build first; scripts/test.ts
// does). Chromium comes from the system (RAPT_CHROMIUM to override), never from `playwright install`.
export default defineConfig({
  testDir: 'tests/e2e',
  timeout: 180_000,
  expect: { timeout: 60_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: process.env.RAPT_E2E_JSON ? [['list'], ['json', { outputFile: process.env.RAPT_E2E_JSON }]] : 'list',
  use: {
    baseURL: 'http://localhost:4173',
    launchOptions: { executablePath: chromiumPath, args: chromiumArgs },
    trace: 'off',
  },
  webServer: {
    command: 'npx vite preview --port 4173 --strictPort',
    url: 'http://localhost:4173',
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
  },
});
