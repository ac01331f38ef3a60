// npm `install` script of @lvskit/native: uses a matching prebuilt binary, else builds the addon with node-gyp on Linux, and only there (AF_PACKET
// and rtnetlink are Linux interfaces; elsewhere loading the package reports NATIVE_UNSUPPORTED instead of
// failing the whole install). Uses the node-gyp npm bundles, and Node's own headers when they are installed
// beside the running node (prefix/include/node), so no header download is needed. It must never download
// anything itself or build outside this package directory.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

if (process.platform !== 'linux') {
  console.log(
    `@lvskit/native: no build on ${process.platform} (Linux only); loading it will report NATIVE_UNSUPPORTED`,
  );
  process.exit(0);
}

// node-gyp-build semantics: a prebuilt binary shipped in prebuilds/<platform>-<arch>/ (the published tarball
// carries linux-x64, made by `prebuildify --napi --strip` in prepack) that loads here means nothing to build.
// In the workspace there are no prebuilds, so this falls through to the source build as before.
if (existsSync(new URL('../prebuilds', import.meta.url))) {
  try {
    const { createRequire } = await import('node:module');
    const require = createRequire(import.meta.url);
    const root = fileURLToPath(new URL('..', import.meta.url));
    const found = require('node-gyp-build').path(root);
    if (found.includes(`${sep}prebuilds${sep}`)) {
      require(found);
      console.log(`@lvskit/native: using the prebuilt ${found}`);
      process.exit(0);
    }
  } catch (err) {
    console.log(`@lvskit/native: no usable prebuild (${err.message.split('\n')[0]}); building from source`);
  }
}

const args = ['rebuild'];
const prefix = dirname(dirname(process.execPath));
if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) {
  args.push(`--nodedir=${prefix}`);
}
const bundled = process.env.npm_config_node_gyp;
const r =
  bundled && existsSync(bundled)
    ? spawnSync(process.execPath, [bundled, ...args], { stdio: 'inherit' })
    : spawnSync('node-gyp', args, { stdio: 'inherit', shell: false });
if (r.error) {
  console.error(`@lvskit/native: could not run node-gyp: ${r.error.message}`);
  process.exit(1);
}
process.exit(r.status ?? 1);
