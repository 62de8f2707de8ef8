import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default', './test/harness/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          // Needs no Trino: the contract suite on the in-memory fake, and the checks of the
          // helpers in test/support that the integration tests lean on.
          include: ['test/unit/**/*.test.ts', 'test/contract/in-memory-query-engine.test.ts', 'test/support/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/contract/trino-query-engine.test.ts', 'test/integration/**/*.test.ts'],
          // One real Trino for the whole run (TRINO_URL, trino:up, a container, or a local server).
          globalSetup: ['test/harness/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // The integration files share one Trino on a 2-core machine; running them one at a
          // time keeps the cancellation checks on system.runtime.queries unambiguous.
          fileParallelism: false,
        },
      },
    ],
  },
});
