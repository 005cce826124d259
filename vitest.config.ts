import { defineConfig, mergeConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import viteConfig from './vite.config.ts';
import { chromiumPath, chromiumArgs } from './scripts/chromium.ts';

// Two projects: `unit` runs pure TypeScript in Node; `gpu` runs WGSL kernels against their references in
// Chromium with WebGPU (SwiftShader here), so shapes in tests/gpu stay small.
export default mergeConfig(
  viteConfig,
  defineConfig({
    // The GPU tests import the shared fixtures (../shared/fixtures) as JSON; the app never does.
    server: { fs: { allow: ['.', '../shared/fixtures'] } },
    test: {
      projects: [
        {
          extends: true,
          test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], environment: 'node', testTimeout: 60_000 },
        },
        {
          extends: true,
          test: {
            name: 'gpu',
            include: ['tests/gpu/**/*.test.ts'],
            testTimeout: 240_000,
            hookTimeout: 120_000,
            browser: {
              enabled: true,
              headless: true,
              provider: playwright({ launchOptions: { executablePath: chromiumPath, args: chromiumArgs } }),
              instances: [{ browser: 'chromium' }],
            },
          },
        },
      ],
    },
  }),
);
