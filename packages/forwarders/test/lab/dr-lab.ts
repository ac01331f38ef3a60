/**
 * The DR lab the datapath lab tests share: client, director and two real servers on one segment, each real
 * server set up with the DR helper (VIP on lo, ARP sysctls) and answering HTTP with its name, and a datapath
 * for the director's eth0 that knows both real servers' MACs. Builds only; the caller destroys the lab. Also the
 * TUN real-server setup the TUN lab tests share.
 */
import { fileURLToPath } from 'node:url';
import { buildSegmentLab, type Lab, type LabHost } from '@lvskit/netlab';
import { applyDrRealServer, applyTunRealServer, createDatapath, type DatapathOptions } from '../../src/index.js';

/** The virtual IP the shared DR lab serves. */
export const VIP = '198.18.0.100';

/**
 * Builds the shared DR lab and a datapath (not yet opened) for its director; `datapathOptions` are passed on
 * (e.g. `{ filter: false }` to let every frame of the interface reach user space).
 */
export async function drLab(datapathOptions: Partial<DatapathOptions> = {}) {
  const built = await buildSegmentLab({ hosts: ['client', 'director', 'rs1', 'rs2'] });
  const { lab, hosts, ip } = built;
  for (const rs of [hosts.rs1, hosts.rs2]) {
    await applyDrRealServer({ vips: [VIP], netns: rs.ns });
    await lab.httpServer(rs, 80, rs.name);
  }
  // The client keeps the veth's checksum offload on; the datapath completes those checksums.
  const datapath = createDatapath({
    ifname: 'eth0',
    netns: hosts.director.ns,
    vips: [VIP],
    neighbours: { [ip.rs1]: hosts.rs1.interfaces.get('eth0')!.mac, [ip.rs2]: hosts.rs2.interfaces.get('eth0')!.mac },
    ...datapathOptions,
  });
  return { ...built, datapath };
}

/**
 * Sets `rs` up as a TUN real server for `vip` (applyTunRealServer) and, where the kernel has no ipip module,
 * starts the user-space IPIP agent there for packets from `directorIp`. Returns the setup (undo it when done).
 */
export async function tunRealServer(lab: Lab, rs: LabHost, vip: string, directorIp: string) {
  const setup = await applyTunRealServer({ vips: [vip], netns: rs.ns });
  if (setup.mode === 'user-space') {
    const agent = lab.spawn(rs, [
      process.execPath,
      '--conditions=@lvskit/source',
      '--import',
      'tsx',
      fileURLToPath(new URL('../../src/realserver/tun-agent-cli.ts', import.meta.url)),
      '--vip',
      vip,
      '--director',
      directorIp,
    ]);
    await agent.waitForOutput(/ready/);
  }
  return setup;
}
