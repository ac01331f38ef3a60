/**
 * The director's configuration model: virtual services (protocol + VIP:port, or firewall mark), their
 * scheduler, persistence and one-packet options, real servers and the sorry server, plus validation
 * that collects every issue before anything is applied and normalizes input into plain frozen data.
 * Owns config shapes and their rules (ipvsadm.c / ip_vs_ctl.c); must never touch runtime state.
 */
import { describe, type Family, formatEndpoint, type IssueList, isUnicast, parseAddress } from '@lvskit/base';
import { isSchedulerName, type SchedulerFlag, type SchedulerName } from '@lvskit/schedulers';
import type { PacketSummary } from './packet.js';

/** Transport protocol of an address-keyed virtual service. */
export type ServiceProtocol = 'tcp' | 'udp' | 'sctp';
/** Forwarding method, in LVS terms: NAT (`-m`), direct routing (`-g`, ipvsadm's default), IP tunnel (`-i`). */
export type ForwardingMethod = 'masq' | 'route' | 'tunnel';

/** ipvsadm's persistence default `IPVS_SVC_PERSISTENT_TIMEOUT (6*60)` (libipvs.h; the man page's "300" is wrong). */
export const DEFAULT_PERSISTENCE_TIMEOUT = 360;
/** ipvsadm `MAX_TIMEOUT (86400*31)`. */
export const MAX_PERSISTENCE_TIMEOUT = 86400 * 31;
/** Largest threshold ipvsadm accepts (INT_MAX). */
export const MAX_THRESHOLD = 0x7fffffff;

/** Persistence (`ipvsadm -p [timeout] -M netmask`). `true` means all defaults. */
export interface PersistenceConfig {
  /** Seconds, 1..2678400; default 360. */
  readonly timeout?: number;
  /**
   * Client granularity: IPv4 dotted mask (`255.255.255.0`) or prefix length 1..32; IPv6 prefix length
   * 1..128. Default: one client address (/32, /128).
   */
  readonly netmask?: string | number;
}

/** A real server (`ipvsadm -a`). */
export interface RealServerConfig {
  /** IPv4 or IPv6 address (the service's family; only `tunnel` may differ). */
  readonly address: string;
  /**
   * Port; default the service's port (fwmark services: 0 = the packet's own port). Route and tunnel
   * cannot change the port on an address service.
   */
  readonly port?: number;
  /** Default `route`, as ipvsadm's `-g`. */
  readonly method?: ForwardingMethod;
  /** 0..65535, default 1. 0 quiesces the server (no new connections). */
  readonly weight?: number;
  /** Upper connection threshold (`-x`), 0 = none. */
  readonly upperThreshold?: number;
  /** Lower connection threshold (`-y`), 0 = none. */
  readonly lowerThreshold?: number;
}

/** What every virtual service has. */
interface ServiceCommon<N extends SchedulerName> {
  /** Scheduler; default `wlc` (ipvsadm `DEF_SCHED`). */
  readonly scheduler?: N;
  /** Scheduler flags (`-b`), those scheduler `N` accepts. */
  readonly flags?: readonly SchedulerFlag<N>[];
  /** Persistence; absent = not persistent. */
  readonly persistence?: PersistenceConfig | true;
  /** Real servers, in the order `ipvsadm -a` would add them (the last one is the head of the kernel list). */
  readonly realServers?: readonly RealServerConfig[];
  /** Used for a new connection when no real server can take it (keepalived `sorry_server`). */
  readonly sorryServer?: RealServerConfig;
}

/** A virtual service keyed by protocol and VIP:port. */
export interface AddressServiceConfig<N extends SchedulerName = SchedulerName> extends ServiceCommon<N> {
  /** Transport protocol. */
  readonly protocol: ServiceProtocol;
  /** Virtual IP address. */
  readonly address: string;
  /** Virtual port; 0 = every port (needs persistence). */
  readonly port: number;
  /** One-packet scheduling (`-o`): UDP only. */
  readonly onePacket?: boolean;
}

/** A virtual service keyed by firewall mark; a classifier marks packets as iptables MARK would. */
export interface FwmarkServiceConfig<N extends SchedulerName = SchedulerName> extends ServiceCommon<N> {
  /** Mark 1..4294967295. */
  readonly fwmark: number;
  /** Family of the packets it takes; default 4. */
  readonly family?: Family;
  /** One-packet scheduling (`-o`). */
  readonly onePacket?: boolean;
}

/** A virtual service. */
export type ServiceConfig<N extends SchedulerName = SchedulerName> = AddressServiceConfig<N> | FwmarkServiceConfig<N>;

/** Connection timeouts in seconds (`ipvsadm --set tcp tcpfin udp`). */
export interface TimeoutConfig {
  /** TCP ESTABLISHED; default 900. */
  readonly tcp?: number;
  /** TCP FIN_WAIT; default 120. */
  readonly tcpfin?: number;
  /** UDP; default 300. */
  readonly udp?: number;
}

/** Kernel sysctls the engine honours (net.ipv4.vs.*), with the kernel's defaults. */
export interface EngineSwitches {
  /** `expire_nodest_conn` (default false). */
  readonly expireNodestConn?: boolean;
  /** `expire_quiescent_template` (default false). */
  readonly expireQuiescentTemplate?: boolean;
  /** `conn_reuse_mode` 0..3 (default 1). */
  readonly connReuseMode?: 0 | 1 | 2 | 3;
  /** `sloppy_tcp` (default false): schedule on any TCP packet, not only SYN. */
  readonly sloppyTcp?: boolean;
  /** `secure_tcp` always on (mode 3): use the kernel's `tcp_states_dos` table (default false). */
  readonly secureTcp?: boolean;
  /**
   * `drop_packet` always on (mode 3) with `am_droprate` = this value: one of every N new-connection
   * packets is dropped (`ip_vs_todrop`). 0 (default) = off.
   */
  readonly dropPacketRate?: number;
}

/** Maps an inbound packet to a firewall mark (0 = none), as an iptables `MARK` rule set would. */
export type PacketClassifier = (packet: Readonly<PacketSummary>) => number;

/** Options of the director as a whole. */
export interface IpvsOptions {
  /** Timeouts. */
  readonly timeouts?: TimeoutConfig;
  /** Connection table capacity (connections + templates); default 262,144 (about 32 MB, preallocated). */
  readonly maxConnections?: number;
  /** Kernel switches. */
  readonly switches?: EngineSwitches;
  /** Firewall-mark classifier for fwmark services. */
  readonly classifier?: PacketClassifier;
  /**
   * The director's own addresses: a real server on one of them is served locally (`IP_VS_CONN_F_LOCALNODE`,
   * ipvsadm "Local") whatever method it was given, as the kernel does for `RTN_LOCAL` addresses.
   */
  readonly localAddresses?: readonly string[];
}

/** A real server after validation. */
export interface NormalizedRealServer {
  /** Address text as given. */
  readonly address: string;
  /** Family. */
  readonly family: Family;
  /** 16 bytes, network order. */
  readonly bytes: Uint8Array;
  /** Port (0 only for fwmark services: the packet's port). */
  readonly port: number;
  /** Method. */
  readonly method: ForwardingMethod;
  /** Weight. */
  readonly weight: number;
  /** Upper threshold, 0 = none. */
  readonly upperThreshold: number;
  /** Lower threshold, 0 = none. */
  readonly lowerThreshold: number;
}

/** A virtual service after validation. */
export interface NormalizedService {
  /** Name in the director (builder name, or the canonical key for services added by ipvsadm). */
  readonly name: string;
  /** Canonical identity, e.g. `tcp|198.18.0.1|80` or `fwmark|4|1`. */
  readonly key: string;
  /** `address` or `fwmark`. */
  readonly kind: 'address' | 'fwmark';
  /** Protocol (fwmark services report `tcp`, as ipvsadm sets). */
  readonly protocol: ServiceProtocol;
  /** Family. */
  readonly family: Family;
  /** Virtual address text (`''` for fwmark). */
  readonly address: string;
  /** 16 bytes (zero for fwmark). */
  readonly bytes: Uint8Array;
  /** Virtual port (0 for fwmark). */
  readonly port: number;
  /** Firewall mark (0 for address services). */
  readonly fwmark: number;
  /** Scheduler. */
  readonly scheduler: SchedulerName;
  /** Scheduler flags. */
  readonly flags: readonly string[];
  /** Persistent? */
  readonly persistent: boolean;
  /** Persistence timeout, seconds (360 when not persistent, as ipvsadm fills it). */
  readonly timeout: number;
  /** IPv4: mask as unsigned 32-bit host order; IPv6: prefix length. */
  readonly netmask: number;
  /** One-packet scheduling. */
  readonly onePacket: boolean;
  /** Real servers in add order. */
  readonly realServers: readonly NormalizedRealServer[];
  /** Sorry server. */
  readonly sorryServer: NormalizedRealServer | undefined;
}

const isInt = (v: unknown, lo: number, hi: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;

function parseAddr(v: unknown): { family: Family; bytes: Uint8Array } | undefined {
  if (typeof v !== 'string') return undefined;
  try {
    return parseAddress(v);
  } catch {
    return undefined;
  }
}

/** Canonical key of an address service. */
export function addressServiceKey(protocol: ServiceProtocol, family: Family, bytes: Uint8Array, port: number): string {
  let a = '';
  const n = family === 4 ? 4 : 16;
  for (let i = 0; i < n; i++) a += (bytes[i] ?? 0).toString(16).padStart(2, '0');
  return `${protocol}|${a}|${port}`;
}

/** Canonical key of a fwmark service. */
export function fwmarkServiceKey(family: Family, fwmark: number): string {
  return `fwmark|${family}|${fwmark >>> 0}`;
}

const SCHED_FLAGS: Readonly<Record<string, readonly string[]>> = {
  sh: ['sh-fallback', 'sh-port'],
  mh: ['mh-fallback', 'mh-port'],
};

/** Flags a scheduler accepts besides the generic ones; own properties only (`toString` is no scheduler). */
function schedulerFlags(scheduler: unknown): readonly string[] {
  return typeof scheduler === 'string' && Object.hasOwn(SCHED_FLAGS, scheduler) ? (SCHED_FLAGS[scheduler] ?? []) : [];
}

/** Keys a real server takes. */
const REAL_SERVER_KEYS: ReadonlySet<string> = new Set([
  'address',
  'port',
  'method',
  'weight',
  'upperThreshold',
  'lowerThreshold',
]);
const COMMON_SERVICE_KEYS = ['scheduler', 'flags', 'persistence', 'realServers', 'sorryServer', 'onePacket'];
/** Keys an address service takes. */
const ADDRESS_SERVICE_KEYS: ReadonlySet<string> = new Set(['protocol', 'address', 'port', ...COMMON_SERVICE_KEYS]);
/** Keys a firewall-mark service takes. */
const FWMARK_SERVICE_KEYS: ReadonlySet<string> = new Set(['fwmark', 'family', ...COMMON_SERVICE_KEYS]);
const PERSISTENCE_KEYS: ReadonlySet<string> = new Set(['timeout', 'netmask']);
const TIMEOUT_KEYS: ReadonlySet<string> = new Set(['tcp', 'tcpfin', 'udp']);

/** `value` when given, else `fallback`: `null` is a value (and then refused), never a default. */
const given = <T>(value: T | undefined, fallback: T): T => (value === undefined ? fallback : value);

function normalizeNetmask(v: unknown, family: Family, path: (string | number)[], issues: IssueList): number {
  if (v === undefined) return family === 4 ? 0xffffffff : 128;
  if (family === 6) {
    if (isInt(v, 1, 128)) return v;
    issues.add(
      path,
      'CORE_INVALID_NETMASK',
      `IPv6 persistence netmask must be a prefix length 1..128, got ${describe(v)}`,
    );
    return 128;
  }
  if (isInt(v, 1, 32)) return v === 32 ? 0xffffffff : ~(0xffffffff >>> v) >>> 0;
  const p = parseAddr(v);
  if (p && p.family === 4) {
    const b = p.bytes;
    return (((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0;
  }
  issues.add(
    path,
    'CORE_INVALID_NETMASK',
    `IPv4 persistence netmask must be a dotted mask or 1..32, got ${describe(v)}`,
  );
  return 0xffffffff;
}

/**
 * Validates one real server of a service; issues go to `issues`. Refused: unknown keys, `null` for any
 * field, addresses that are not unicast (the kernel's `ip_vs_new_dest` check), and tunnel real servers the
 * datapath cannot encapsulate (only IPv4 in IPv4 so far).
 * @returns the normalized server, or undefined when it has issues
 */
export function normalizeRealServer(
  input: RealServerConfig,
  service: { kind: 'address' | 'fwmark'; family: Family; port: number },
  path: (string | number)[],
  issues: IssueList,
): NormalizedRealServer | undefined {
  const before = issues.issues.length;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    issues.add(path, 'CORE_INVALID_OPTION', `a real server must be an object, got ${describe(input)}`);
    return undefined;
  }
  checkKeys(input, REAL_SERVER_KEYS, path, issues);
  const addr = parseAddr(input.address);
  if (!addr) issues.add([...path, 'address'], 'CORE_INVALID_ADDRESS', `not an IP address: ${describe(input.address)}`);
  else if (!isUnicast(addr.family === 4 ? addr.bytes.subarray(0, 4) : addr.bytes))
    // ip_vs_ctl.c ip_vs_new_dest: the unspecified, broadcast and multicast addresses are no real servers.
    issues.add(
      [...path, 'address'],
      'CORE_INVALID_ADDRESS',
      `real server address ${input.address} is not a unicast address (unspecified, broadcast or multicast)`,
    );
  const method = given<unknown>(input.method, 'route');
  const methodOk = method === 'masq' || method === 'route' || method === 'tunnel';
  if (!methodOk)
    issues.add(
      [...path, 'method'],
      'CORE_INVALID_METHOD',
      `forwarding method must be masq, route or tunnel, got ${describe(method)}`,
    );
  if (addr && method === 'tunnel' && (addr.family !== 4 || service.family !== 4))
    // The datapath encapsulates IPv4 in IPv4 only (RFC 2003; forwarders rewriteTunnel): it would drop every
    // packet of an IPv6 or cross-family tunnel real server, so it is refused here until it can (issue 11 item 12).
    issues.add(
      [...path, 'method'],
      'CORE_UNSUPPORTED_TUNNEL',
      `tunnel real server ${input.address} of an IPv${service.family} service: the datapath tunnels IPv4 in IPv4 only`,
    );
  else if (addr && addr.family !== service.family && method !== 'tunnel')
    issues.add(
      [...path, 'address'],
      'CORE_FAMILY_MISMATCH',
      `real server ${input.address} is IPv${addr.family} but the service is IPv${service.family}`,
    );
  let port = given<unknown>(input.port, service.port);
  if (!isInt(port, 0, 65535)) {
    issues.add([...path, 'port'], 'CORE_INVALID_PORT', `port must be an integer 0..65535, got ${describe(port)}`);
    port = 0;
  } else if (service.kind === 'address' && (method === 'route' || method === 'tunnel') && port !== service.port) {
    // ipvsadm.c forces the service port for -g/-i on address services: DR and TUN cannot rewrite ports.
    issues.add(
      [...path, 'port'],
      'CORE_INVALID_PORT',
      `${method} cannot change the port: real server port ${port} differs from the service port ${service.port}`,
    );
  }
  const weight = given<unknown>(input.weight, 1);
  if (!isInt(weight, 0, 65535))
    issues.add(
      [...path, 'weight'],
      'CORE_INVALID_WEIGHT',
      `weight must be an integer 0..65535, got ${describe(weight)}`,
    );
  const upper = given<unknown>(input.upperThreshold, 0);
  const lower = given<unknown>(input.lowerThreshold, 0);
  if (!isInt(upper, 0, MAX_THRESHOLD))
    issues.add(
      [...path, 'upperThreshold'],
      'CORE_INVALID_THRESHOLD',
      `upper threshold must be an integer 0..${MAX_THRESHOLD}, got ${describe(upper)}`,
    );
  if (!isInt(lower, 0, MAX_THRESHOLD))
    issues.add(
      [...path, 'lowerThreshold'],
      'CORE_INVALID_THRESHOLD',
      `lower threshold must be an integer 0..${MAX_THRESHOLD}, got ${describe(lower)}`,
    );
  // ip_vs_ctl.c ip_vs_add_dest / ip_vs_edit_dest: l_threshold > u_threshold → -ERANGE.
  if (isInt(upper, 0, MAX_THRESHOLD) && isInt(lower, 0, MAX_THRESHOLD) && lower > upper)
    issues.add(
      [...path, 'lowerThreshold'],
      'CORE_THRESHOLD_RANGE',
      `lower threshold ${lower} is above upper threshold ${upper}`,
    );
  if (issues.issues.length !== before || !addr || !methodOk) return undefined;
  return Object.freeze({
    address: input.address,
    family: addr.family,
    bytes: addr.bytes,
    port: port as number,
    method,
    weight: weight as number,
    upperThreshold: upper as number,
    lowerThreshold: lower as number,
  });
}

/**
 * Validates one service (with its real servers); issues go to `issues`. Unknown keys and `null` values are
 * issues naming the key and the value.
 * @returns the normalized service, or undefined when it has issues
 */
export function normalizeService(
  name: string,
  input: ServiceConfig,
  path: (string | number)[],
  issues: IssueList,
): NormalizedService | undefined {
  const before = issues.issues.length;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    issues.add(path, 'CORE_INVALID_OPTION', `a service must be an object, got ${describe(input)}`);
    return undefined;
  }
  let kind: 'address' | 'fwmark';
  let family: Family = 4;
  let bytes: Uint8Array = new Uint8Array(16);
  let port = 0;
  let fwmark = 0;
  let protocol: ServiceProtocol = 'tcp';
  let address = '';
  if ('fwmark' in input) {
    kind = 'fwmark';
    checkKeys(input, FWMARK_SERVICE_KEYS, path, issues);
    if (!isInt(input.fwmark, 1, 0xffffffff))
      issues.add(
        [...path, 'fwmark'],
        'CORE_INVALID_FWMARK',
        `firewall mark must be an integer 1..4294967295, got ${describe(input.fwmark)}`,
      );
    else fwmark = input.fwmark;
    const f = given<unknown>(input.family, 4);
    if (f !== 4 && f !== 6)
      issues.add([...path, 'family'], 'CORE_INVALID_OPTION', `family must be 4 or 6, got ${describe(f)}`);
    else family = f;
  } else {
    kind = 'address';
    checkKeys(input, ADDRESS_SERVICE_KEYS, path, issues);
    const p = (input as AddressServiceConfig).protocol;
    if (p !== 'tcp' && p !== 'udp' && p !== 'sctp')
      issues.add(
        [...path, 'protocol'],
        'CORE_INVALID_PROTOCOL',
        `protocol must be tcp, udp or sctp, got ${describe(p)}`,
      );
    else protocol = p;
    const a = parseAddr(input.address);
    if (!a) issues.add([...path, 'address'], 'CORE_INVALID_ADDRESS', `not an IP address: ${describe(input.address)}`);
    else {
      family = a.family;
      bytes = a.bytes;
      address = input.address;
    }
    if (!isInt(input.port, 0, 65535))
      issues.add(
        [...path, 'port'],
        'CORE_INVALID_PORT',
        `port must be an integer 0..65535, got ${describe(input.port)}`,
      );
    else port = input.port;
  }
  const scheduler = given<unknown>(input.scheduler, 'wlc');
  if (!isSchedulerName(scheduler))
    issues.add([...path, 'scheduler'], 'CORE_INVALID_SCHEDULER', `unknown scheduler: ${describe(scheduler)}`);
  const flags = given<unknown>(input.flags, []);
  const accepted = schedulerFlags(scheduler);
  if (!Array.isArray(flags))
    issues.add([...path, 'flags'], 'CORE_INVALID_SCHED_FLAG', `flags must be an array, got ${describe(flags)}`);
  else
    flags.forEach((f: unknown, i: number) => {
      const ok = f === 'flag-1' || f === 'flag-2' || f === 'flag-3' || (typeof f === 'string' && accepted.includes(f));
      if (!ok)
        issues.add(
          [...path, 'flags', i],
          'CORE_INVALID_SCHED_FLAG',
          `scheduler flag ${describe(f)} is not accepted by ${typeof scheduler === 'string' ? scheduler : describe(scheduler)}`,
        );
    });
  const pers = input.persistence;
  const persistent = pers !== undefined;
  let timeout = DEFAULT_PERSISTENCE_TIMEOUT;
  let netmask = family === 4 ? 0xffffffff : 128;
  if (pers !== undefined && pers !== true) {
    if (typeof pers !== 'object' || pers === null || Array.isArray(pers))
      issues.add(
        [...path, 'persistence'],
        'CORE_INVALID_PERSISTENCE',
        `persistence must be true or an object, got ${describe(pers)}`,
      );
    else {
      checkKeys(pers, PERSISTENCE_KEYS, [...path, 'persistence'], issues);
      if (pers.timeout !== undefined) {
        if (!isInt(pers.timeout, 1, MAX_PERSISTENCE_TIMEOUT))
          issues.add(
            [...path, 'persistence', 'timeout'],
            'CORE_INVALID_PERSISTENCE',
            `persistence timeout must be an integer 1..${MAX_PERSISTENCE_TIMEOUT} seconds, got ${describe(pers.timeout)}`,
          );
        else timeout = pers.timeout;
      }
      netmask = normalizeNetmask(pers.netmask, family, [...path, 'persistence', 'netmask'], issues);
    }
  }
  if (kind === 'address' && port === 0 && isInt((input as AddressServiceConfig).port, 0, 0) && !persistent)
    issues.add([...path, 'port'], 'CORE_PORT_ZERO_NOT_PERSISTENT', 'Zero port specified for non-persistent service');
  const onePacket = given<unknown>(input.onePacket, false);
  if (typeof onePacket !== 'boolean')
    issues.add(
      [...path, 'onePacket'],
      'CORE_INVALID_OPTION',
      `onePacket must be a boolean, got ${describe(onePacket)}`,
    );
  else if (onePacket && kind === 'address' && protocol !== 'udp')
    issues.add(
      [...path, 'onePacket'],
      'CORE_ONE_PACKET_NOT_UDP',
      'One-Packet Scheduling is only for UDP virtual services',
    );
  const svcShape = { kind, family, port };
  const realServers: NormalizedRealServer[] = [];
  const seen = new Set<string>();
  const rsInput = given<unknown>(input.realServers, []);
  if (!Array.isArray(rsInput))
    issues.add(
      [...path, 'realServers'],
      'CORE_INVALID_OPTION',
      `realServers must be an array, got ${describe(rsInput)}`,
    );
  else
    rsInput.forEach((rs: RealServerConfig, i: number) => {
      const n = normalizeRealServer(rs, svcShape, [...path, 'realServers', i], issues);
      if (!n) return;
      const k = realServerKey(n.family, n.bytes, n.port);
      if (seen.has(k))
        issues.add(
          [...path, 'realServers', i],
          'CORE_DUPLICATE_REAL_SERVER',
          `real server ${formatEndpoint(n.address, n.port)} is listed twice`,
        );
      seen.add(k);
      realServers.push(n);
    });
  const sorryServer =
    input.sorryServer === undefined
      ? undefined
      : normalizeRealServer(input.sorryServer, svcShape, [...path, 'sorryServer'], issues);
  if (issues.issues.length !== before) return undefined;
  return Object.freeze({
    name,
    key: kind === 'fwmark' ? fwmarkServiceKey(family, fwmark) : addressServiceKey(protocol, family, bytes, port),
    kind,
    protocol,
    family,
    address,
    bytes,
    port,
    fwmark,
    scheduler: scheduler as SchedulerName,
    flags: Object.freeze([...(flags as string[])]),
    persistent,
    timeout,
    netmask,
    onePacket: onePacket === true,
    realServers: Object.freeze(realServers),
    sorryServer,
  });
}

/** Identity of a real server inside a service. */
export function realServerKey(family: Family, bytes: Uint8Array, port: number): string {
  let a = '';
  const n = family === 4 ? 4 : 16;
  for (let i = 0; i < n; i++) a += (bytes[i] ?? 0).toString(16).padStart(2, '0');
  return `${a}|${port}`;
}

/** Timeouts after validation, seconds. */
export interface NormalizedTimeouts {
  /** ESTABLISHED. */
  readonly tcp: number;
  /** FIN_WAIT. */
  readonly tcpfin: number;
  /** UDP. */
  readonly udp: number;
}

/** Largest timeout the kernel accepts (INT_MAX / HZ with HZ = 1000). */
export const MAX_CONN_TIMEOUT = Math.floor(0x7fffffff / 1000);

/**
 * Validates timeouts; 0 keeps the current value as `ipvsadm --set` does.
 */
export function normalizeTimeouts(
  input: TimeoutConfig | undefined,
  current: NormalizedTimeouts,
  path: (string | number)[],
  issues: IssueList,
): NormalizedTimeouts {
  const out = { ...current };
  if (input === undefined) return out;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    issues.add(path, 'CORE_INVALID_TIMEOUT', `timeouts must be an object { tcp, tcpfin, udp }, got ${describe(input)}`);
    return out;
  }
  checkKeys(input, TIMEOUT_KEYS, path, issues);
  for (const k of ['tcp', 'tcpfin', 'udp'] as const) {
    const v = input[k];
    if (v === undefined) continue;
    if (!isInt(v, 0, MAX_CONN_TIMEOUT))
      issues.add(
        [...path, k],
        'CORE_INVALID_TIMEOUT',
        `${k} timeout must be an integer 0..${MAX_CONN_TIMEOUT} seconds, got ${describe(v)}`,
      );
    else if (v !== 0) out[k] = v;
  }
  return out;
}

/**
 * Reports every own key of `input` that is not in `allowed` (a typo such as `wieght`, or another package's
 * option such as keepalived's `advert_int`), naming the key and its value.
 */
export function checkKeys(
  input: object,
  allowed: ReadonlySet<string>,
  path: readonly (string | number)[],
  issues: IssueList,
): void {
  for (const k of Object.keys(input))
    if (!allowed.has(k))
      issues.add(
        [...path, k],
        'CORE_UNKNOWN_KEY',
        `unknown key ${JSON.stringify(k)} (value ${describe((input as Record<string, unknown>)[k])}); expected one of ${[...allowed].join(', ')}`,
      );
}
