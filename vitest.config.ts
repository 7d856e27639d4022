import { defineConfig } from 'vitest/config';

// One runner for the whole repo: every package's test/**/*.test.ts.
// Packages import each other through their built dist/ (npm test builds first).
export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The JSON report lets .ci/run print a plain 'N passed, N failed' line.
    reporters: ['default', ['json', { outputFile: '.tmp/vitest-results.json' }]],
  },
});
