#!/usr/bin/env node
// npm run lint:packages: publint and `attw --pack` on every publishable workspace package (those without
// "private": true). Builds first when a package's dist/ is missing. Exits non-zero when either tool reports a
// finding in any package. LVSKIT_PACK_SKIP="@lvskit/director" skips packages by name (comma-separated).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const bin = (name) => join(root, 'node_modules', '.bin', name);
const skip = new Set((process.env.LVSKIT_PACK_SKIP ?? '').split(',').filter(Boolean));

const dirs = readdirSync(join(root, 'packages')).map((d) => join(root, 'packages', d));
const pkgs = dirs
  .filter((d) => existsSync(join(d, 'package.json')))
  .map((dir) => ({ dir, json: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter((p) => !p.json.private && !skip.has(p.json.name));

if (pkgs.some((p) => !existsSync(join(p.dir, 'dist')))) {
  const r = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

/**
 * Exports subpaths whose @lvskit/source file is not written yet, and bin files that do not exist yet (director's
 * ./cli and bins while they are being written). Findings about exactly these are reported as pending, not as
 * failures; every other finding still fails. The exclusion disappears by itself once the files exist.
 */
function pendingOf(dir, json) {
  const subpaths = Object.entries(json.exports ?? {})
    .filter(([, v]) => typeof v === 'object' && v['@lvskit/source'] && !existsSync(join(dir, v['@lvskit/source'])))
    .map(([k]) => k);
  const bins = Object.entries(typeof json.bin === 'object' ? json.bin : {})
    .filter(([, file]) => !existsSync(join(dir, file)))
    .map(([name]) => name);
  return { subpaths, bins };
}

function publintErrorsArePending(out, pending) {
  const errors = out.split('\n').filter((l) => /^\d+\. /.test(l));
  return (
    errors.length > 0 &&
    errors.every(
      (l) =>
        pending.subpaths.some((sp) => l.includes(`pkg.exports["${sp}"]`)) ||
        pending.bins.some((b) => l.includes(`pkg.bin.${b} `)),
    )
  );
}

let failed = 0;
for (const { dir, json } of pkgs) {
  const t0 = Date.now();
  const pending = pendingOf(dir, json);
  const pendingNote = [...pending.subpaths.map((s) => `exports ${s}`), ...pending.bins.map((b) => `bin ${b}`)];
  if (pendingNote.length > 0) {
    console.log(`note ${json.name}: not written yet, their findings are not failures: ${pendingNote.join(', ')}`);
  }
  const pub = spawnSync(bin('publint'), ['--strict', dir], { encoding: 'utf8' });
  if (pub.status !== 0 && publintErrorsArePending(pub.stdout + pub.stderr, pending)) pub.status = 0;
  // --profile node16 leaves out only attw's node10 resolution (moduleResolution "node"/"node10", which ignores
  // "exports" and so cannot see /testing subpaths). The packages require Node >=20.19 (engines); TypeScript
  // users are expected to use node16/nodenext/bundler, which are all checked.
  const attw = spawnSync(
    bin('attw'),
    [
      '--pack',
      dir,
      '--format',
      'ascii',
      '--profile',
      'node16',
      ...(pending.subpaths.length > 0 ? ['--exclude-entrypoints', ...pending.subpaths] : []),
    ],
    {
      encoding: 'utf8',
    },
  );
  const ok = pub.status === 0 && attw.status === 0;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${json.name} (${Date.now() - t0} ms)`);
  if (!ok) {
    failed++;
    if (pub.status !== 0) console.log(`  publint:\n${pub.stdout}${pub.stderr}`);
    if (attw.status !== 0) console.log(`  attw:\n${attw.stdout}${attw.stderr}`);
  }
}
process.exit(failed === 0 ? 0 : 1);
