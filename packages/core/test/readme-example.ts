/**
 * The complete builder example shown in packages/core/README.md (between the markers), run by
 * readme.test.ts; the test also checks that the README shows exactly this code.
 */
// README:start
import { ipvs, runIpvsadm } from '@lvskit/core';
import { FakeClock, SimulatedPacketPort } from '@lvskit/core/testing';

export async function example() {
  const clock = new FakeClock();
  const packets = new SimulatedPacketPort(clock); // production: a forwarders datapath port

  const lvs = await ipvs()
    .service('web', {
      protocol: 'tcp',
      address: '198.18.0.10',
      port: 80,
      scheduler: 'wlc',
      persistence: { timeout: 300, netmask: '255.255.255.0' },
    })
    .realServer('web', { address: '198.18.1.1', method: 'masq', weight: 1 })
    .realServer('web', { address: '198.18.1.2', method: 'masq', weight: 2, upperThreshold: 1000 })
    .service('dns', { protocol: 'udp', address: '198.18.0.10', port: 53, scheduler: 'rr', onePacket: true })
    .realServer('dns', { address: '198.18.2.1', method: 'route' })
    .timeouts({ tcp: 900, tcpfin: 120, udp: 300 })
    .start({ clock, packets });

  lvs.on('realServerOverloaded', (e) => console.log(`${e.address} overloaded: ${e.overloaded}`));

  // A client connects; the engine decides every packet.
  const first = packets.connect('198.19.0.7', 40000, '198.18.0.10', 80);
  // Same /24, persistent service: the same real server.
  const second = packets.connect('198.19.0.99', 40001, '198.18.0.10', 80);

  // Run-time changes are validated first and applied atomically; connections and stats stay.
  lvs.addRealServer('web', { address: '198.18.1.3', method: 'masq' });
  lvs.editRealServer('web', { address: '198.18.1.1' }, { weight: 0 }); // quiesce

  // What an operator sees.
  const listing = runIpvsadm(lvs.ipvsadm, '-Ln').stdout;
  await lvs.stop();
  return { first, second, listing };
}
// README:end
