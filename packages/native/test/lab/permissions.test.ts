/**
 * Without CAP_NET_RAW / CAP_NET_ADMIN / CAP_SYS_ADMIN every privileged call fails with the coded
 * `NATIVE_PERMISSION`, never a bare Error: a child process runs with all capabilities dropped
 * (`setpriv --bounding-set=-all --inh-caps=-all`) and reports the code of each attempt. Reading interface
 * facts needs no privilege and still works.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { buildSegmentLab, requireLab } from '@lvskit/netlab';
import { describe, expect, it } from 'vitest';

const canRun = requireLab();

describe.runIf(canRun)('native: without capabilities', () => {
  it('reports NATIVE_PERMISSION for packet sockets, netlink changes and entering a namespace', async () => {
    const setpriv = spawnSync('setpriv', ['--help'], { encoding: 'utf8' });
    if (setpriv.status !== 0) throw new Error('setpriv (util-linux) is required for this test');
    // A real namespace to try to enter, so the failure is the missing privilege, not a missing name.
    const { lab, hosts } = await buildSegmentLab({ hosts: ['a'] });
    try {
      const root = join(import.meta.dirname, '..', '..', '..', '..');
      const script = join(import.meta.dirname, '..', 'fixtures', 'try-privileged.ts');
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
          script,
          hosts.a.ns,
        ],
        { cwd: root, encoding: 'utf8', timeout: 60_000 },
      );
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toEqual({
        interfaceInfo: 'ok',
        packetSocket: 'NATIVE_PERMISSION',
        addAddress: 'NATIVE_PERMISSION',
        enterNetns: 'NATIVE_PERMISSION',
      });
    } finally {
      await lab.destroy();
    }
  });
});
