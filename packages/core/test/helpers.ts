/**
 * Shared test helpers: a director on a fake clock with a simulated packet port, built from a plain
 * service list. Test-only.
 */
import { type CompiledIpvsConfig, compileConfig, Ipvs, type IpvsConfigInput } from '../src/director.js';
import { FakeClock, SimulatedPacketPort } from '../src/testing/index.js';

export interface Rig {
  clock: FakeClock;
  port: SimulatedPacketPort;
  director: Ipvs;
}

export async function rig(input: IpvsConfigInput, start = 1_000_000): Promise<Rig> {
  const clock = new FakeClock(start);
  const port = new SimulatedPacketPort(clock);
  const config: CompiledIpvsConfig = compileConfig(input);
  const director = new Ipvs(config, { clock, packets: port });
  await director.start();
  return { clock, port, director };
}
