#!/usr/bin/env node
// Runs the vitest projects in order — `unit` (parallel files), then `lab` (serial: network namespaces and
// real daemons) — and ends with one plain closing line, `tests: N passed, N failed, N skipped`, that CI reads.
// Exits non-zero when any project fails or when no test ran at all.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'lvskit-tests-'));
// Tests that skip for a missing prerequisite record their one line here (netlab noteSkip).
const skipLog = join(dir, 'skips.log');
process.env.LVSKIT_SKIP_LOG = skipLog;
const extra = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
let status = 0;
for (const project of ['unit', 'lab']) {
  const out = join(dir, `${project}.json`);
  const r = spawnSync(
    'npx',
    [
      'vitest',
      'run',
      '--project',
      project,
      '--passWithNoTests',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${out}`,
      ...extra,
    ],
    { stdio: 'inherit' },
  );
  if (r.status !== 0) status = r.status ?? 1;
  try {
    const j = JSON.parse(readFileSync(out, 'utf8'));
    passed += j.numPassedTests ?? 0;
    failed += j.numFailedTests ?? 0;
    // A file that failed to load or a hook that threw has no failed test of its own: count it once.
    if (r.status !== 0 && !(j.numFailedTests > 0)) failed += Math.max(1, j.numFailedTestSuites ?? 0);
    skipped += (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
  } catch {
    if (r.status !== 0) failed += 1;
  }
}
let skipLines = [];
try {
  skipLines = [
    ...new Set(
      readFileSync(skipLog, 'utf8')
        .split('\n')
        .filter((l) => l !== ''),
    ),
  ];
} catch {
  // nothing skipped for a missing prerequisite
}
rmSync(dir, { recursive: true, force: true });
if (skipLines.length > 0) {
  // Every Debian package the skip lines name: `(Debian: a b)`, `(Debian package a)`, `(Debian packages a b)`.
  const packages = new Set();
  for (const l of skipLines)
    for (const m of l.matchAll(/\(Debian(?::| packages?)\s+([^)]+)\)/g))
      for (const p of m[1].split(/[\s,]+/)) if (/^[a-z0-9][a-z0-9+.-]*$/.test(p)) packages.add(p);
  console.log(`skipped for a missing prerequisite (${skipLines.length} reasons):`);
  for (const l of skipLines) console.log(`  ${l}`);
  if (packages.size > 0) console.log(`to run them all: apt-get install -y ${[...packages].sort().join(' ')}`);
}
if (passed + failed === 0) {
  console.error('no test ran');
  status = 1;
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(status);
