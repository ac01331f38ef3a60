import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // import.meta.url locates the addon; the CJS build needs tsup's shim for it.
  shims: true,
  tsconfig: 'tsconfig.json',
});
