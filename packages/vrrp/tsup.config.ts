import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', testing: 'src/testing.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // raw-transport.ts loads raw-socket with createRequire(import.meta.url); CJS needs the shim.
  shims: true,
  tsconfig: 'tsconfig.json',
});
