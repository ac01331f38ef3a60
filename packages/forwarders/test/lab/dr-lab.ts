/**
 * The DR lab the datapath lab tests share: client, director and two real servers on one segment, each real
 * server set up with the DR helper (VIP on lo, ARP sysctls) and answering HTTP with its name, and a datapath
 * for the director's eth0 that knows both real servers' MACs. Builds only; the caller destroys the lab.
 */
import { buildSegmentLab } from '@lvskit/netlab';
import { applyDrRealServer, createDatapath } from '../../src/index.js';

/** The virtual IP the shared DR lab serves. */
export const VIP = '198.18.0.100';

/** Builds the shared DR lab and a datapath (not yet opened) for its director. */
export async function drLab() {
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
  });
  return { ...built, datapath };
}
