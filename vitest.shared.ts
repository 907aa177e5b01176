import { defineConfig } from 'vitest/config';

// Workspace packages resolve through the `source` export condition so tests run against
// `src` without a build. Vite replaces its default conditions when any are given, so the
// defaults are repeated after `source` — except `module`: tests run in Node, and `module`
// picks bundler-only builds (the AWS SDK's `dist-es`, with extensionless imports Node cannot
// load) over the `node` ones.
const conditions = ['source', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['source'] } },
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
