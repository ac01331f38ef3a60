/**
 * Builders for ipvsadm test data: snapshot entries written as plain objects (so formatter tests do not
 * depend on IpvsTable) with every field defaulted as a fresh kernel entry would be.
 */
import type {
  IpvsServerEntry,
  IpvsServiceEntry,
  IpvsServiceKey,
  IpvsSnapshot,
  IpvsStats,
} from '../../src/ipvsadm/index.js';

export const zeroStats: IpvsStats = {
  conns: 0,
  inpkts: 0,
  outpkts: 0,
  inbytes: 0,
  outbytes: 0,
  cps: 0,
  inpps: 0,
  outpps: 0,
  inbps: 0,
  outbps: 0,
};

export function tcp(address: string, port: number, family: 4 | 6 = 4): IpvsServiceKey {
  return { kind: 'address', protocol: 'tcp', family, address, port };
}

export function service(key: IpvsServiceKey, patch: Partial<IpvsServiceEntry> = {}): IpvsServiceEntry {
  return {
    key,
    scheduler: 'wlc',
    schedFlags: [],
    persistent: false,
    timeout: 0,
    netmask: key.family === 6 ? 128 : 0xffffffff,
    pe: '',
    onePacket: false,
    servers: [],
    stats: zeroStats,
    ...patch,
  };
}

export function server(address: string, port: number, patch: Partial<IpvsServerEntry> = {}): IpvsServerEntry {
  return {
    family: address.includes(':') ? 6 : 4,
    address,
    port,
    forwarding: 'route',
    tunnel: { type: 'ipip', port: 0, checksum: 'nocsum' },
    weight: 1,
    upperThreshold: 0,
    lowerThreshold: 0,
    activeConns: 0,
    inactiveConns: 0,
    persistentConns: 0,
    stats: zeroStats,
    ...patch,
  };
}

export function snapshot(services: IpvsServiceEntry[], patch: Partial<IpvsSnapshot> = {}): IpvsSnapshot {
  return {
    info: { version: [1, 2, 1], connTableSize: 4096 },
    services,
    connections: [],
    timeouts: { tcp: 900, tcpfin: 120, udp: 300 },
    daemons: [],
    ...patch,
  };
}

/** The two title lines of the default list (ipvsadm.c `print_title`, copied from its format string). */
export const TITLE =
  'Prot LocalAddress:Port Scheduler Flags\n' +
  '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n';

export const BANNER = 'IP Virtual Server version 1.2.1 (size=4096)\n';
