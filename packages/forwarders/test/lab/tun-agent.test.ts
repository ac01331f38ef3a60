/**
 * LVS-TUN end to end on a real server: applyTunRealServer puts the VIP on lo and picks the kernel's tunl0 when
 * the ipip module exists, else (this machine's kernel) the user-space decapsulation agent runs; a client process sends a
 * UDP datagram for VIP:9999 encapsulated by our rewriteTunnel; the echo server on the real server answers
 * straight back to the client from the VIP. A datagram from a source that is not an allowed director is not
 * delivered.
 */
import { fileURLToPath } from 'node:url';
import { buildSegmentLab, requireLab } from '@lvskit/netlab';
import { describe, expect, it } from 'vitest';
import { applyTunRealServer } from '../../src/index.js';

const canRun = requireLab();
const VIP = '198.18.0.100';
const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const tsx = [process.execPath, '--conditions=@lvskit/source', '--import', 'tsx'];

describe.runIf(canRun)('lab: IPIP decapsulation agent (LVS-TUN real server without the ipip module)', () => {
  it('delivers encapsulated traffic for the VIP; the reply goes straight to the client from the VIP', async () => {
    const { lab, hosts, ip } = await buildSegmentLab({ hosts: ['client', 'rs1', 'other'] });
    try {
      const setup = await applyTunRealServer({ vips: [VIP], netns: hosts.rs1.ns });
      const agent =
        setup.mode === 'user-space'
          ? lab.spawn(hosts.rs1, [
              ...tsx,
              here('../../src/realserver/tun-agent-cli.ts'),
              '--vip',
              VIP,
              '--director',
              ip.client,
            ])
          : undefined;
      if (agent) await agent.waitForOutput(/ready/);
      const echo = lab.spawn(hosts.rs1, [process.execPath, here('./udp-echo.mjs'), VIP, '9999']);
      await echo.waitForOutput(/listening/);

      const client = await lab.exec(
        hosts.client,
        [...tsx, here('./tun-client.ts'), ip.client, VIP, '9999', ip.rs1, ip.client],
        { check: false, timeoutMs: 30_000 },
      );
      expect(client.stdout.trim()).toBe(`reply from ${VIP}:9999 echo: hello through IPIP`);

      if (agent) {
        // From a host that is not an allowed director: the agent drops it, nothing answers.
        const other = await lab.exec(
          hosts.other,
          [...tsx, here('./tun-client.ts'), ip.other, VIP, '9999', ip.rs1, ip.other],
          { check: false, timeoutMs: 30_000 },
        );
        expect(other.stdout.trim()).toBe('timeout');
        await agent.stop();
        // delivered 1, FOREIGN_SOURCE 1, nothing else.
        expect(agent.output()).toMatch(/counters 1 0 1 0 0 0/);
      }
      await setup.undo();
    } finally {
      await lab.destroy();
    }
  });
});
