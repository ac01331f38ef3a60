/**
 * requireLab() where namespaces cannot be built (a child process with every capability dropped, so
 * `ip netns add` fails): under CI=true it throws NETLAB_UNAVAILABLE so the test fails; elsewhere it returns
 * false and prints the reason, so the test is skipped visibly. Here, as root, it returns true.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labUnavailableReason, requireLab } from '../src/index.js';

const canRun = requireLab();

function runUnprivileged(ci: boolean): { stdout: string; stderr: string } {
  const root = join(import.meta.dirname, '..', '..', '..');
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.CI;
  // Its skip line is the point of the test, not a prerequisite this run lacks.
  delete env.LVSKIT_SKIP_LOG;
  if (ci) env.CI = 'true';
  const r = spawnSync(
    'setpriv',
    [
      '--bounding-set=-all',
      '--inh-caps=-all',
      '--',
      process.execPath,
      '--conditions=@lvskit/source',
      '--import',
      'tsx',
      join(import.meta.dirname, 'fixtures', 'require-lab.ts'),
    ],
    { cwd: root, env, encoding: 'utf8', timeout: 60_000 },
  );
  return { stdout: r.stdout, stderr: r.stderr };
}

describe.runIf(canRun)('netlab: requireLab', () => {
  it('is true here, with no reason', () => {
    expect(labUnavailableReason()).toBeUndefined();
  });

  it('without privileges: throws NETLAB_UNAVAILABLE under CI=true, else returns false with a printed reason', () => {
    const ci = runUnprivileged(true);
    expect(JSON.parse(ci.stdout)).toEqual({ error: 'NETLAB_UNAVAILABLE' });
    const local = runUnprivileged(false);
    expect(JSON.parse(local.stdout)).toEqual({ canRun: false });
    expect(local.stderr).toMatch(/netlab: skipping lab test: .*ip netns add/);
  });
});
