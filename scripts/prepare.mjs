#!/usr/bin/env node
// Root `prepare` (npm runs it after a plain `npm install`): builds the workspace packages whose dist/ is missing
// or older than their src/, so that code outside the repo's scripts can import @lvskit/* without
// --conditions=@lvskit/source. A fresh dist/ costs nothing (a few stat calls); a full build is ~90 s on the
// 2-core VM. LVSKIT_SKIP_PREPARE=1 skips it (.ci/run sets it because it runs `npm run build` right after).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

if (process.env.LVSKIT_SKIP_PREPARE === '1') process.exit(0);
const root = new URL('..', import.meta.url).pathname;

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const stale = [];
for (const d of readdirSync(join(root, 'packages')).sort()) {
  const dir = join(root, 'packages', d);
  if (!existsSync(join(dir, 'package.json'))) continue;
  const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (!json.scripts?.build) continue;
  const marker = join(dir, 'dist', 'index.js');
  if (!existsSync(marker) || statSync(marker).mtimeMs < newest(join(dir, 'src'))) stale.push(json.name);
}
if (stale.length === 0) process.exit(0);
console.log(`lvskit prepare: building ${stale.join(', ')}`);
const r = spawnSync('npm', ['run', 'build', ...stale.flatMap((n) => ['-w', n])], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
