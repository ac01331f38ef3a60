/**
 * STYLE rule 8's second half: golden rows replayed as real frames through the running datapath (core's
 * director + createDatapath on the director's veth). The lab's MACs are set to the tables' fixture MACs, a
 * native packet socket injects the row's input frame on one side and another captures what the datapath
 * sends on the other side, and the captured frame must equal the row's expected output byte for byte. These
 * rows declare nothing variable (the TUN row has DF, hence outer ID 0), so nothing is masked.
 * The engine creates connections as IPVS does (a TCP connection starts with a SYN: ip_vs_proto_tcp.c
 * tcp_conn_schedule), so a row carrying a non-SYN segment is preceded by its connection's SYN.
 */
import { ipvs } from '@lvskit/core';
import { PacketSocket } from '@lvskit/native';
import { buildSegmentLab, type LabHost, requireLab } from '@lvskit/netlab';
import { describe, expect, it } from 'vitest';
import { createDatapath } from '../../src/index.js';
import { eth4, ipv4, tcp } from '../golden/builder.js';
import { drRows } from '../golden/dr.rows.js';
import { CLIENT, DIP, MAC_CLIENT, MAC_DIRECTOR, MAC_RS, RIP, VIP } from '../golden/fixtures.js';
import { natRows } from '../golden/nat.rows.js';
import type { GoldenRow } from '../golden/table.js';
import { tunRows } from '../golden/tun.rows.js';

const canRun = requireLab();

function row(rows: GoldenRow[], name: string): GoldenRow & { output: Uint8Array } {
  const r = rows.find((x) => x.name === name);
  if (r?.output === undefined) throw new Error(`golden row not found or without output: ${name}`);
  return r as GoldenRow & { output: Uint8Array };
}

const DR_SYN = row(drRows, 'TCP SYN, kernel DR: MACs change and TTL 64 → 63 with the header checksum recomputed');
const NAT_IN = row(natRows, 'TCP request with port mapping: VIP:80 → RIP:8080, TTL − 1, IPv4 and TCP checksums');
const NAT_REPLY = row(natRows, 'TCP reply: RIP:8080 → VIP:80 towards the client-side router');
const TUN_DF = row(tunRows, 'TCP with DF: outer DF, ID 0, TOS and TTL copied from the (decremented) inner header');
// The connection-opening SYN for the rows above (client 40000 → VIP:80), from the same builder.
const SYN = eth4(
  MAC_DIRECTOR,
  MAC_CLIENT,
  ipv4({ src: CLIENT, dst: VIP, df: true }, tcp({ sport: 40000, dport: 80, seq: 0x01020303, flags: 0x02 })),
);

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

function inject(sock: PacketSocket, frame: Uint8Array): void {
  sock.tx.buffer.set(frame, sock.tx.offsets[0]!);
  sock.tx.lengths[0] = frame.length;
  expect(sock.send(1)).toBe(1);
}

/** Drops whatever is queued on `sock`. */
function drain(sock: PacketSocket): void {
  while (sock.receive() > 0);
}

/** The next IPv4 frame the director (source MAC_DIRECTOR) sends that `sock` sees, within 2 s. */
async function captureFromDirector(sock: PacketSocket): Promise<Uint8Array | undefined> {
  const dirMac = Uint8Array.from(MAC_DIRECTOR.split(':').map((h) => Number.parseInt(h, 16)));
  const until = Date.now() + 2000;
  while (Date.now() < until) {
    const n = sock.receive();
    for (let i = 0; i < n; i++) {
      const off = sock.rx.offsets[i]!;
      const f = sock.rx.buffer.subarray(off, off + sock.rx.lengths[i]!);
      if (dirMac.every((b, k) => f[6 + k] === b)) return Uint8Array.from(f);
    }
    if (n === 0) await new Promise((r) => setTimeout(r, 5));
  }
  return undefined;
}

describe.runIf(canRun)('lab: golden rows replayed through the running datapath', () => {
  it('DR SYN, NAT request and reply, TUN with DF come out exactly as their golden rows say', async () => {
    const { lab, hosts } = await buildSegmentLab({ hosts: ['client', 'director', 'rs1'], ipv6: false });
    try {
      const macs: [LabHost, string][] = [
        [hosts.client, MAC_CLIENT],
        [hosts.director, MAC_DIRECTOR],
        [hosts.rs1, MAC_RS],
      ];
      for (const [h, m] of macs) await lab.exec(h, ['ip', 'link', 'set', 'dev', 'eth0', 'address', m]);
      const clientSock = PacketSocket.open({ ifname: 'eth0', netns: hosts.client.ns, protocol: 0x0800, batchSize: 16 });
      const rsSock = PacketSocket.open({ ifname: 'eth0', netns: hosts.rs1.ns, protocol: 0x0800, batchSize: 16 });
      /** Runs `body` with a fresh director whose one real server is RIP by `method` (port 8080 for masq). */
      const withDirector = async (method: 'route' | 'masq' | 'tunnel', body: () => Promise<void>) => {
        const datapath = createDatapath({
          ifname: 'eth0',
          netns: hosts.director.ns,
          vips: [VIP],
          address: DIP,
          neighbours: { [RIP]: MAC_RS, [CLIENT]: MAC_CLIENT },
        });
        const lvs = await ipvs()
          .service('web', { protocol: 'tcp', address: VIP, port: 80, scheduler: 'rr' })
          .realServer('web', { address: RIP, method, ...(method === 'masq' ? { port: 8080 } : {}) })
          .start({ packets: datapath });
        try {
          await body();
        } finally {
          await lvs.stop();
        }
      };
      /** Injects `input` through `from` and returns what the director sent, as seen by `to`. */
      const through = async (from: PacketSocket, to: PacketSocket, input: Uint8Array) => {
        drain(to);
        inject(from, input);
        const out = await captureFromDirector(to);
        expect(out, 'the datapath forwarded nothing').toBeDefined();
        return hex(out!);
      };
      try {
        await withDirector('route', async () => {
          expect(await through(clientSock, rsSock, DR_SYN.input)).toBe(hex(DR_SYN.output));
        });
        await withDirector('masq', async () => {
          await through(clientSock, rsSock, SYN);
          expect(await through(rsSock, clientSock, NAT_REPLY.input)).toBe(hex(NAT_REPLY.output));
          expect(await through(clientSock, rsSock, NAT_IN.input)).toBe(hex(NAT_IN.output));
        });
        await withDirector('tunnel', async () => {
          await through(clientSock, rsSock, SYN);
          expect(await through(clientSock, rsSock, TUN_DF.input)).toBe(hex(TUN_DF.output));
        });
      } finally {
        clientSock.close();
        rsSock.close();
      }
    } finally {
      await lab.destroy();
    }
  }, 60_000);
});
