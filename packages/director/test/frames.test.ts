/**
 * Two whole directors with the real datapath over memory interfaces (TestNetwork `frames`): serving gated by
 * VRRP, checked on frames, without root. The MASTER answers ARP for the VIP and forwards a client's SYN to a
 * real server (DR: the frame leaves with the real server's MAC); the BACKUP answers nothing and forwards
 * nothing. After a failover the roles swap, frame for frame.
 */
import { encodeArpRequest, formatMac, parseIp, parseMac } from '@lvskit/base';
import { describe, expect, it } from 'vitest';
import { eth4, ipv4, tcp } from '../../forwarders/test/golden/builder.js';
import { defineConfig } from '../src/index.js';
import { TestNetwork } from '../src/testing/index.js';

const VIP = '198.18.0.100';
const RS = '198.18.1.1';
const RS_MAC = '02:00:00:00:01:01';
const CLIENT = '198.18.2.1';
const CLIENT_MAC = '02:00:00:00:02:01';

const config = (priority: number) =>
  defineConfig({
    interfaces: [{ name: 'eth0' }],
    vips: { web: VIP },
    neighbours: { [RS]: RS_MAC, [CLIENT]: CLIENT_MAC },
    services: [{ name: 'http', vip: 'web', port: 80, method: 'route', realServers: [{ address: RS }] }],
    vrrp: { instances: [{ name: 'VI_1', interface: 'eth0', virtualRouterId: 51, priority, vips: ['web'] }] },
  });

function arpRequest(): Uint8Array {
  const f = new Uint8Array(60);
  encodeArpRequest(f, 0, parseMac(CLIENT_MAC), parseIp(CLIENT), parseIp(VIP));
  return f;
}

function syn(dstMac: string, sport: number): Uint8Array {
  return eth4(dstMac, CLIENT_MAC, ipv4({ src: CLIENT, dst: VIP, ttl: 64 }, tcp({ sport, dport: 80, flags: 0x02 })));
}

/** ARP replies for the VIP among sent frames. */
const arpReplies = (frames: readonly { bytes: Uint8Array }[]) =>
  frames.filter((f) => f.bytes[12] === 0x08 && f.bytes[13] === 0x06 && f.bytes[21] === 2).length;
/** Frames sent to the real server's MAC. */
const toRealServer = (frames: readonly { bytes: Uint8Array }[]) =>
  frames.filter((f) => formatMac(f.bytes.subarray(0, 6)) === RS_MAC).length;

describe('two directors on memory interfaces', () => {
  it('only the MASTER answers ARP for the VIP and forwards; after a failover only the new MASTER does', async () => {
    const net = new TestNetwork();
    const a = net.director(config(150), { address: '198.18.0.1', frames: true });
    const b = net.director(config(100), { address: '198.18.0.2', frames: true });
    await a.start();
    await b.start();
    await net.advance(5_000);
    const lanA = net.frames.get('198.18.0.1')!.get('eth0')!;
    const lanB = net.frames.get('198.18.0.2')!.get('eth0')!;
    const macA = formatMac(lanA.mac);
    const macB = formatMac(lanB.mac);
    lanA.takeSent();
    lanB.takeSent();

    expect(arpReplies(lanA.receive(arpRequest()))).toBe(1);
    expect(arpReplies(lanB.receive(arpRequest()))).toBe(0);
    expect(toRealServer(lanA.receive(syn(macA, 40_001)))).toBe(1);
    expect(toRealServer(lanB.receive(syn(macB, 40_002)))).toBe(0);
    expect(b.datapath!.counterValues().NOT_SERVING ?? b.datapath!.drops[27]).toBeGreaterThan(0);

    net.partition('198.18.0.1', true);
    await net.advance(5_000);
    expect(b.router('VI_1')!.state).toBe('MASTER');
    // a is still MASTER in its own eyes (frozen link); b now answers and forwards.
    lanB.takeSent();
    expect(arpReplies(lanB.receive(arpRequest()))).toBe(1);
    expect(toRealServer(lanB.receive(syn(macB, 40_003)))).toBe(1);
    net.partition('198.18.0.1', false);
    await net.advance(5_000);
    // a preempts back: b stops answering and forwarding.
    expect(a.router('VI_1')!.state).toBe('MASTER');
    expect(b.router('VI_1')!.state).toBe('BACKUP');
    lanB.takeSent();
    expect(arpReplies(lanB.receive(arpRequest()))).toBe(0);
    expect(toRealServer(lanB.receive(syn(macB, 40_004)))).toBe(0);
    await a.stop();
    await b.stop();
  });
});
