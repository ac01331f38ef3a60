/**
 * The sysfs link monitor over a fake `/sys/class/net` directory. `flags` holds `dev->flags` only and never
 * IFF_RUNNING (0x40): a live veth with carrier reads 0x1003, which the old monitor called down (issue #11
 * item 13). Running comes from `operstate` (`up`, or `unknown` as `netif_oper_up` counts it), else `carrier`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSysfsLinkMonitor } from '../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'lvskit-vrrp-sysfs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function link(name: string, files: Record<string, string>): void {
  mkdirSync(join(root, name), { recursive: true });
  for (const [f, v] of Object.entries(files)) writeFileSync(join(root, name, f), `${v}\n`);
}

describe('createSysfsLinkMonitor', () => {
  const mon = createSysfsLinkMonitor({ root });
  it.each([
    ['a live veth (flags 0x1003, operstate up)', 'veth0', { flags: '0x1003', operstate: 'up', carrier: '1' }, true],
    ['carrier lost (operstate down)', 'veth1', { flags: '0x1003', operstate: 'down', carrier: '0' }, false],
    ['peer gone (lowerlayerdown)', 'veth2', { flags: '0x1003', operstate: 'lowerlayerdown' }, false],
    ['admin down (no IFF_UP)', 'veth3', { flags: '0x1002', operstate: 'down' }, false],
    ['operstate unknown (dummy, lo) counts as running', 'dummy0', { flags: '0x83', operstate: 'unknown' }, true],
    ['no operstate: carrier 1', 'old0', { flags: '0x1003', carrier: '1' }, true],
    ['no operstate: carrier 0', 'old1', { flags: '0x1003', carrier: '0' }, false],
    ['dormant', 'wl0', { flags: '0x1003', operstate: 'dormant' }, false],
  ])('%s', async (_what, name, files, up) => {
    link(name, files);
    expect(await mon.isUp(name)).toBe(up);
  });
  it('an interface that does not exist, or a name with a path in it, is down', async () => {
    link('veth9', { flags: '0x1003', operstate: 'up' });
    expect(await mon.isUp('nope0')).toBe(false);
    expect(await mon.isUp('../veth9')).toBe(false);
  });
});
