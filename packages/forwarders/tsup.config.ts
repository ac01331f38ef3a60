import { defineConfig } from 'tsup';

export default defineConfig({
  // `testing` is the fakes' entry (@lvskit/forwarders/testing); the IPIP agent's command line is shipped as the
  // `lvskit-ipip-agent` bin.
  entry: { index: 'src/index.ts', testing: 'src/testing.ts', 'tun-agent-cli': 'src/realserver/tun-agent-cli.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts', testing: 'src/testing.ts' } },
  clean: true,
  sourcemap: true,
  target: 'node20',
  tsconfig: 'tsconfig.json',
  // tun-agent.ts loads raw-socket with createRequire(import.meta.url): shim import.meta.url in the CJS build.
  shims: true,
});
