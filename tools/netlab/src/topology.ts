/**
 * Ready-made lab layouts: hosts on one L2 segment, and the two-segment layout (client segment and server
 * segment with the director(s) routing between them, as NAT needs). Addresses are assigned in order from
 * the given subnets; nothing here runs a command except through {@link Lab}.
 */
import { LvsError } from '@lvskit/base';
import { hostAddress } from './address.js';
import { createLab, type Lab, type LabHost, type LabOptions, type LabSegment } from './lab.js';
import { progress } from './progress.js';

/** On a terminal, the builders show what they are building on one line of stderr (`src/progress.ts`). */
const LABEL = 'netlab: building the lab';

/** Options of {@link buildSegmentLab}. */
export interface SegmentLabOptions<N extends string> {
  /** Host names, in address order. */
  readonly hosts: readonly N[];
  /** IPv4 subnet inside 198.18.0.0/15; host i gets address i + 1. Default `198.18.0.0/24`. */
  readonly subnet?: string;
  /** Hosts that route (`ip_forward=1`). */
  readonly forwarding?: readonly N[];
  /** Segment name. Default `lan`. */
  readonly segment?: string;
  /** Keep IPv6 on in the hosts. Default true. */
  readonly ipv6?: boolean;
}

/** A lab of hosts on one segment. */
export interface SegmentLab<N extends string> {
  /** The lab (destroy it when done). */
  readonly lab: Lab;
  /** The one segment. */
  readonly segment: LabSegment;
  /** Hosts by name; each has `eth0` on the segment. */
  readonly hosts: Readonly<Record<N, LabHost>>;
  /** Each host's address on `eth0`, without prefix length. */
  readonly ip: Readonly<Record<N, string>>;
  /** Prefix length of the subnet. */
  readonly prefixLength: number;
}

function plain(cidr: string): string {
  return cidr.split('/')[0] ?? cidr;
}

async function guarded<T>(lab: Lab, build: () => Promise<T>): Promise<T> {
  try {
    return await build();
  } catch (err) {
    await lab.destroy();
    throw err;
  }
}

/**
 * Builds `hosts` on one L2 segment (a bridge in its own namespace), `eth0` in each. On a terminal it shows
 * its progress on stderr.
 * @example const { lab, hosts, ip } = await buildSegmentLab({ hosts: ['client', 'director', 'rs1'] });
 */
export async function buildSegmentLab<const N extends string>(
  options: SegmentLabOptions<N>,
  labOptions: LabOptions = {},
): Promise<SegmentLab<N>> {
  const subnet = options.subnet ?? '198.18.0.0/24';
  const addresses = options.hosts.map((_, i) => hostAddress(subnet, i + 1));
  if (new Set(options.hosts).size !== options.hosts.length) {
    throw new LvsError('NETLAB_BAD_NAME', 'netlab: host names must be unique');
  }
  const p = progress(LABEL, { total: 2 + options.hosts.length });
  p.step('sweeping stale labs');
  const lab = await createLab(labOptions).catch((err) => {
    p.done();
    throw err;
  });
  return guarded(lab, async () => {
    p.step(`segment ${options.segment ?? 'lan'}`);
    const segment = await lab.addSegment(options.segment ?? 'lan');
    const hosts = {} as Record<N, LabHost>;
    const ip = {} as Record<N, string>;
    for (const [i, name] of options.hosts.entries()) {
      p.step(`host ${name}`);
      const cidr = addresses[i]!;
      const host = await lab.addHost(name, {
        forwarding: options.forwarding?.includes(name) ?? false,
        ...(options.ipv6 === undefined ? {} : { ipv6: options.ipv6 }),
      });
      await lab.connect(host, segment, { ifname: 'eth0', addresses: [cidr] });
      hosts[name] = host;
      ip[name] = plain(cidr);
    }
    return { lab, segment, hosts, ip, prefixLength: Number(subnet.split('/')[1] ?? 32) };
  }).finally(() => p.done());
}

/** Options of {@link buildTwoSegmentLab}. */
export interface TwoSegmentLabOptions<C extends string, D extends string, S extends string> {
  /** Client host names (client segment, `eth0`). */
  readonly clients: readonly C[];
  /** Director/router names (`eth0` on the client segment, `eth1` on the server segment, forwarding on). */
  readonly directors: readonly D[];
  /** Real-server host names (server segment, `eth0`). */
  readonly servers: readonly S[];
  /** Default `198.18.1.0/24`: directors get .1, .2, …; clients .10, .11, … */
  readonly clientSubnet?: string;
  /** Default `198.18.2.0/24`: directors get .1, .2, …; servers .10, .11, … */
  readonly serverSubnet?: string;
  /** Keep IPv6 on in the hosts. Default true. */
  readonly ipv6?: boolean;
}

/** The two-segment layout. */
export interface TwoSegmentLab<C extends string, D extends string, S extends string> {
  /** The lab (destroy it when done). */
  readonly lab: Lab;
  /** Segment of the clients and the directors' `eth0`. */
  readonly clientSegment: LabSegment;
  /** Segment of the real servers and the directors' `eth1`. */
  readonly serverSegment: LabSegment;
  /** Every host by name. */
  readonly hosts: Readonly<Record<C | D | S, LabHost>>;
  /** Addresses on the client segment (clients and directors), without prefix length. */
  readonly clientSideIp: Readonly<Record<C | D, string>>;
  /** Addresses on the server segment (directors and servers), without prefix length. */
  readonly serverSideIp: Readonly<Record<D | S, string>>;
}

/**
 * Builds clients and real servers on two segments with the director(s) between. Clients route the server
 * subnet via the first director; real servers use the first director as default gateway, so NAT replies
 * pass back through it. Directors forward (`ip_forward=1`). On a terminal it shows its progress on stderr.
 */
export async function buildTwoSegmentLab<const C extends string, const D extends string, const S extends string>(
  options: TwoSegmentLabOptions<C, D, S>,
  labOptions: LabOptions = {},
): Promise<TwoSegmentLab<C, D, S>> {
  const clientSubnet = options.clientSubnet ?? '198.18.1.0/24';
  const serverSubnet = options.serverSubnet ?? '198.18.2.0/24';
  const all: string[] = [...options.clients, ...options.directors, ...options.servers];
  if (new Set(all).size !== all.length) throw new LvsError('NETLAB_BAD_NAME', 'netlab: host names must be unique');
  if (options.directors.length === 0 || options.directors.length > 9) {
    throw new LvsError('INVALID_ARGUMENT', 'netlab: between 1 and 9 directors');
  }
  const dirClient = options.directors.map((_, i) => hostAddress(clientSubnet, i + 1));
  const dirServer = options.directors.map((_, i) => hostAddress(serverSubnet, i + 1));
  const clientAddr = options.clients.map((_, i) => hostAddress(clientSubnet, i + 10));
  const serverAddr = options.servers.map((_, i) => hostAddress(serverSubnet, i + 10));
  const ipv6 = options.ipv6 === undefined ? {} : { ipv6: options.ipv6 };
  const p = progress(LABEL, { total: 2 + all.length });
  p.step('sweeping stale labs');
  const lab = await createLab(labOptions).catch((err) => {
    p.done();
    throw err;
  });
  return guarded(lab, async () => {
    p.step('segments clients and servers');
    const clientSegment = await lab.addSegment('clients');
    const serverSegment = await lab.addSegment('servers');
    const hosts = {} as Record<C | D | S, LabHost>;
    const clientSideIp = {} as Record<C | D, string>;
    const serverSideIp = {} as Record<D | S, string>;
    for (const [i, name] of options.directors.entries()) {
      p.step(`director ${name}`);
      const h = await lab.addHost(name, { forwarding: true, ...ipv6 });
      await lab.connect(h, clientSegment, { ifname: 'eth0', addresses: [dirClient[i]!] });
      await lab.connect(h, serverSegment, { ifname: 'eth1', addresses: [dirServer[i]!] });
      hosts[name] = h;
      clientSideIp[name] = plain(dirClient[i]!);
      serverSideIp[name] = plain(dirServer[i]!);
    }
    const gwClient = plain(dirClient[0]!);
    const gwServer = plain(dirServer[0]!);
    for (const [i, name] of options.clients.entries()) {
      p.step(`client ${name}`);
      const h = await lab.addHost(name, ipv6);
      await lab.connect(h, clientSegment, { ifname: 'eth0', addresses: [clientAddr[i]!] });
      await lab.addRoute(h, serverSubnet, gwClient);
      hosts[name] = h;
      clientSideIp[name] = plain(clientAddr[i]!);
    }
    for (const [i, name] of options.servers.entries()) {
      p.step(`real server ${name}`);
      const h = await lab.addHost(name, ipv6);
      await lab.connect(h, serverSegment, { ifname: 'eth0', addresses: [serverAddr[i]!] });
      await lab.addRoute(h, 'default', gwServer);
      hosts[name] = h;
      serverSideIp[name] = plain(serverAddr[i]!);
    }
    return { lab, clientSegment, serverSegment, hosts, clientSideIp, serverSideIp };
  }).finally(() => p.done());
}
