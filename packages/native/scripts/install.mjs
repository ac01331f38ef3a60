// npm `install` script of @lvskit/native: builds the addon with node-gyp on Linux, and only there (AF_PACKET
// and rtnetlink are Linux interfaces; elsewhere loading the package reports NATIVE_UNSUPPORTED instead of
// failing the whole install). Uses the node-gyp npm bundles, and Node's own headers when they are installed
// beside the running node (prefix/include/node), so no header download is needed. It must never download
// anything itself or build outside this package directory.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

if (process.platform !== 'linux') {
  console.log(
    `@lvskit/native: no build on ${process.platform} (Linux only); loading it will report NATIVE_UNSUPPORTED`,
  );
  process.exit(0);
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
