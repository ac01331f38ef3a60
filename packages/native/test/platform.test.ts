/**
 * Off Linux the package installs and imports cleanly and every call reports NATIVE_UNSUPPORTED: the
 * install script skips the build (run here with `process.platform` overridden before it starts), and the
 * loader refuses before touching the addon.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

const platform = Object.getOwnPropertyDescriptor(process, 'platform')!;
afterEach(() => {
  Object.defineProperty(process, 'platform', platform);
  vi.resetModules();
});

describe('native: non-Linux platforms', () => {
  it('install script skips the build and succeeds', () => {
    const pretend = "data:text/javascript,Object.defineProperty(process,'platform',{value:'darwin'})";
    const r = spawnSync(
      process.execPath,
      ['--import', pretend, join(import.meta.dirname, '..', 'scripts', 'install.mjs')],
      {
        encoding: 'utf8',
        // No node-gyp reachable: if the script tried to build, it would fail.
        env: { PATH: '/nonexistent' },
      },
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/no build on darwin/);
  });

  it('imports without loading, then throws NATIVE_UNSUPPORTED on use', async () => {
    vi.resetModules();
    Object.defineProperty(process, 'platform', { value: 'darwin' });
    const mod = await import('../src/index.js');
    expect(mod.nativeUnavailableReason()).toMatch(/only on Linux/);
    expect(() => mod.interfaceInfo('lo')).toThrow(expect.objectContaining({ code: 'NATIVE_UNSUPPORTED' }));
    expect(() => mod.PacketSocket.open({ ifname: 'lo' })).toThrow(
      expect.objectContaining({ code: 'NATIVE_UNSUPPORTED' }),
    );
  });
});
