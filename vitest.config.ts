/**
 * Two projects: `unit` runs files in parallel and needs no privileges; `lab` holds every test that builds
 * network namespaces or starts real daemons, and runs its files one at a time (a single fork).
 * Workspace packages resolve to their TypeScript sources through the `@lvskit/source` export condition.
 */
import { defineConfig } from 'vitest/config';

const conditions = ['@lvskit/source', 'node', 'import', 'module', 'default'];
const labGlobs = ['packages/*/test/lab/**/*.test.ts', 'tools/*/test/**/*.test.ts'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@lvskit/source'] } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: [...labGlobs, '**/node_modules/**'],
          typecheck: { enabled: true, include: ['packages/*/test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
        },
      },
      {
        extends: true,
        test: {
          name: 'lab',
          include: labGlobs,
          pool: 'forks',
          // One fork runs every lab file in turn: lab tests never overlap.
          poolOptions: { forks: { singleFork: true } },
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
