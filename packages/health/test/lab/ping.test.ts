/**
 * PING_CHECK over raw sockets inside a network lab (tools/netlab: namespaces with a per-run prefix,
 * 198.18.0.0/15 and 2001:2::/48 addresses, guaranteed teardown): the checker runs in one namespace and
 * pings another over IPv4 and IPv6; an address nobody holds times out; a host whose link is down fails.
 */
import { join } from 'node:path';
import { buildSegmentLab, requireLab } from '@lvskit/netlab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const canRun = requireLab();
const probe = join(import.meta.dirname, 'ping-probe.ts');

describe.runIf(canRun)('PING_CHECK in a lab', () => {
  let lab: Awaited<ReturnType<typeof buildSegmentLab<'checker' | 'rs'>>>;
  beforeAll(async () => {
    lab = await buildSegmentLab({ hosts: ['checker', 'rs'] });
    await lab.lab.addAddress(lab.hosts.checker, 'eth0', '2001:2:0:5::1/64');
    await lab.lab.addAddress(lab.hosts.rs, 'eth0', '2001:2:0:5::2/64');
  });
  afterAll(async () => {
    await lab?.lab.destroy();
  });

  const ping = async (host: string, ms = 1500) => {
    const r = await lab.lab.exec(
      lab.hosts.checker,
      ['node', '--conditions=@lvskit/source', '--import', 'tsx', probe, host, String(ms)],
      { timeoutMs: 20_000 },
    );
    return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { ok: boolean; message: string };
  };

  it('echo reply over IPv4 and IPv6 is up', async () => {
    expect(await ping(lab.ip.rs)).toMatchObject({ ok: true });
    expect(await ping('2001:2:0:5::2')).toMatchObject({ ok: true });
  });

  it('no reply is down (an address nobody holds, then the real server link down)', async () => {
    expect((await ping('198.18.0.99', 800)).ok).toBe(false);
    await lab.lab.exec(lab.hosts.rs, ['ip', 'link', 'set', 'eth0', 'down']);
    expect((await ping(lab.ip.rs, 800)).ok).toBe(false);
  });
});
