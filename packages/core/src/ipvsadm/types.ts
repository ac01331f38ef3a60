/**
 * Plain-data types of the ipvsadm compatibility layer: what `ipvsadm -L` lists (services, real servers,
 * connection entries, timeouts, sync daemons), the parsed-command union, and {@link IpvsadmTarget}, the narrow
 * port an ipvsadm command line is executed against (the Ipvs implements it; `IpvsTable` is the
 * in-memory reference). This file owns only shapes and constants; it must never hold behaviour, import
 * runtime code from the rest of core, or depend on how a target stores its state.
 *
 * For core A — the package entry re-exports this layer with `export * from './ipvsadm/index.js'`, which
 * carries `runIpvsadm`, `restore`, `parseIpvsadm`, `splitIpvsadmLine`, the `format*` functions, `IpvsTable`,
 * `ipvsadmError`, `ipvsadmMessages`, `ipvsadmErrorCodes`, `serviceKeyEquals`, `serverKeyEquals` and every
 * type in this file; `src/errors.ts` must also re-export `ipvsadmErrorCodes` (the docs/errors.md sync test
 * reads only that file).
 */
import type { Family } from '@lvskit/base';

/** Transport protocol of an address-keyed virtual service (ipvsadm `-t`, `-u`, `--sctp-service`). */
export type IpvsProtocol = 'tcp' | 'udp' | 'sctp';

/** A 64-bit counter or rate as the kernel exports it; `number` is exact up to 2^53, `bigint` beyond. */
export type IpvsCounter = number | bigint;

/**
 * A virtual service keyed by protocol, address and port (`-t|-u|--sctp-service host[:port]`).
 * `address` is text as glibc `inet_ntop` writes it (`192.0.2.1`, `2001:db8::1`); port 0 is the
 * "all ports" service, which ipvsadm only accepts when persistent.
 */
export interface IpvsAddressServiceKey {
  /** Discriminant. */
  readonly kind: 'address';
  /** Transport protocol. */
  readonly protocol: IpvsProtocol;
  /** Address family of `address`. */
  readonly family: Family;
  /** Virtual IP address, `inet_ntop` text. */
  readonly address: string;
  /** Virtual port 0..65535. */
  readonly port: number;
}

/** A virtual service keyed by firewall mark (`-f mark [-6]`). */
export interface IpvsFwmarkServiceKey {
  /** Discriminant. */
  readonly kind: 'fwmark';
  /** Firewall mark 1..4294967295. */
  readonly fwmark: number;
  /** Address family of the packets the mark selects (`-6` → 6). */
  readonly family: Family;
}

/** Identity of a virtual service. */
export type IpvsServiceKey = IpvsAddressServiceKey | IpvsFwmarkServiceKey;

/** The generic scheduler flag bits (kernel `IP_VS_SVC_F_SCHED1..3`); `-b sh-port` is stored as `flag-2`. */
export type IpvsSchedFlag = 'flag-1' | 'flag-2' | 'flag-3';

/**
 * Everything `ipvsadm -A`/`-E` sends for a service. `-E` replaces every field: a `-E` without `-p` makes
 * the service non-persistent, without `-s` sets `wlc` (ipvsadm.c `process_options`).
 */
export interface IpvsServiceConfig {
  /** Which service. */
  readonly key: IpvsServiceKey;
  /** Scheduler name (ipvsadm default `wlc`; at most 15 characters). */
  readonly scheduler: string;
  /** Scheduler flag bits, ascending, no duplicates. */
  readonly schedFlags: readonly IpvsSchedFlag[];
  /** `IP_VS_SVC_F_PERSISTENT`. */
  readonly persistent: boolean;
  /** Persistence timeout in seconds (360 when `-p` has no value; meaningful only when persistent). */
  readonly timeout: number;
  /**
   * Persistence granularity. IPv4: the mask as an unsigned 32-bit number in host order (default
   * `0xffffffff`); IPv6: the prefix length 1..128 (default 128).
   */
  readonly netmask: number;
  /** Persistence engine name (`sip`), or `''` for none. */
  readonly pe: string;
  /** One-packet scheduling (`-o`, `IP_VS_SVC_F_ONEPACKET`). */
  readonly onePacket: boolean;
}

/** Forwarding method of a real server, in LVS terms (ipvsadm prints Masq, Local, Tunnel, Route). */
export type IpvsForwarding = 'masq' | 'local' | 'tunnel' | 'route';

/** Tunnel encapsulation of a `tunnel` real server (`--tun-type`, `--tun-port`, `--tun-*csum`). */
export interface IpvsTunnelInfo {
  /** Encapsulation (default `ipip`). */
  readonly type: 'ipip' | 'gue' | 'gre';
  /** GUE destination port (1..65535), 0 when not GUE. */
  readonly port: number;
  /** Checksum mode: `nocsum` (default), `csum`, `remcsum` (GUE only). */
  readonly checksum: 'nocsum' | 'csum' | 'remcsum';
}

/** Identity of a real server inside its service. */
export interface IpvsServerKey {
  /** Address family (may differ from the service's only for tunnel servers). */
  readonly family: Family;
  /** Real server address, `inet_ntop` text. */
  readonly address: string;
  /** Real server port (for route/tunnel on address services ipvsadm forces the service port). */
  readonly port: number;
}

/** Everything `ipvsadm -a`/`-e` sends for a real server. `-e` replaces every field as `-a` would set it. */
export interface IpvsServerConfig {
  /** Which real server. */
  readonly key: IpvsServerKey;
  /** Forwarding method asked for (`-g` route default, `-i` tunnel, `-m` masq). */
  readonly forwarding: 'masq' | 'tunnel' | 'route';
  /** Weight 0..65535 (default 1; 0 = quiescent). */
  readonly weight: number;
  /** Upper connection threshold 0..2147483647 (0 = none). */
  readonly upperThreshold: number;
  /** Lower connection threshold 0..2147483647 (0 = none). */
  readonly lowerThreshold: number;
  /** Tunnel encapsulation; `{ type: 'ipip', port: 0, checksum: 'nocsum' }` unless given. */
  readonly tunnel: IpvsTunnelInfo;
}

/** Counters and rates (kernel `ip_vs_stats64` as `ipvsadm --stats/--rate` read them). */
export interface IpvsStats {
  /** Connections scheduled. */
  readonly conns: IpvsCounter;
  /** Packets client → real server. */
  readonly inpkts: IpvsCounter;
  /** Packets real server → client (NAT only). */
  readonly outpkts: IpvsCounter;
  /** Bytes client → real server. */
  readonly inbytes: IpvsCounter;
  /** Bytes real server → client. */
  readonly outbytes: IpvsCounter;
  /** Connections per second (estimator). */
  readonly cps: IpvsCounter;
  /** Incoming packets per second. */
  readonly inpps: IpvsCounter;
  /** Outgoing packets per second. */
  readonly outpps: IpvsCounter;
  /** Incoming bytes per second. */
  readonly inbps: IpvsCounter;
  /** Outgoing bytes per second. */
  readonly outbps: IpvsCounter;
}

/** A real server as listed (libipvs `ipvs_dest_entry_t`). */
export interface IpvsServerEntry {
  /** Address family. */
  readonly family: Family;
  /** Address, `inet_ntop` text. */
  readonly address: string;
  /** Port. */
  readonly port: number;
  /** Forwarding method in effect (the kernel may report `local` for a local address). */
  readonly forwarding: IpvsForwarding;
  /** Tunnel encapsulation (listed only for `tunnel`). */
  readonly tunnel: IpvsTunnelInfo;
  /** Weight. */
  readonly weight: number;
  /** Upper threshold. */
  readonly upperThreshold: number;
  /** Lower threshold. */
  readonly lowerThreshold: number;
  /** ActiveConn. */
  readonly activeConns: number;
  /** InActConn. */
  readonly inactiveConns: number;
  /** PersistConn (persistence templates pointing at this server). */
  readonly persistentConns: number;
  /** Counters and rates. */
  readonly stats: IpvsStats;
}

/** A virtual service as listed (libipvs `ipvs_service_entry_t`), with its real servers in kernel order. */
export interface IpvsServiceEntry extends IpvsServiceConfig {
  /** Real servers in the kernel's list order (a new server is at the head). */
  readonly servers: readonly IpvsServerEntry[];
  /** Counters and rates. */
  readonly stats: IpvsStats;
}

/**
 * One line of `/proc/net/ip_vs_conn` as `ipvsadm -L -c` reads it. Persistence templates carry client
 * port 0 and state `NONE`/`ASSURED`; fwmark templates have protocol `IP`.
 */
export interface IpvsConnectionEntry {
  /** Protocol name as the kernel prints it: `TCP`, `UDP`, `SCTP`, `IP`, … */
  readonly protocol: string;
  /** Family of the client and virtual addresses. */
  readonly family: Family;
  /** Client address. */
  readonly clientAddress: string;
  /** Client port. */
  readonly clientPort: number;
  /** Virtual address (for fwmark templates, the mark written as an IPv4 address). */
  readonly virtualAddress: string;
  /** Virtual port. */
  readonly virtualPort: number;
  /** Family of the destination address. */
  readonly destFamily: Family;
  /** Real server address. */
  readonly destAddress: string;
  /** Real server port. */
  readonly destPort: number;
  /** State name (`ESTABLISHED`, `TIME_WAIT`, `UDP`, `NONE`, `ASSURED`, …). */
  readonly state: string;
  /** Seconds until expiry. */
  readonly expires: number;
  /** Persistence engine name and data (`--persistent-conn` columns), when the connection has them. */
  readonly pe?: { readonly name: string; readonly data: string };
}

/** Connection timeouts in seconds (`--set tcp tcpfin udp`, `--timeout`). */
export interface IpvsTimeouts {
  /** TCP ESTABLISHED timeout (default 900). */
  readonly tcp: number;
  /** TCP FIN_WAIT timeout (default 120). */
  readonly tcpfin: number;
  /** UDP timeout (default 300). */
  readonly udp: number;
}

/** Sync daemon role. */
export type IpvsDaemonState = 'master' | 'backup';

/** A sync daemon as `--start-daemon` asks for it and `--daemon` lists it. */
export interface IpvsDaemonConfig {
  /** Role. */
  readonly state: IpvsDaemonState;
  /** Multicast interface (ipvsadm default `eth0`). */
  readonly mcastInterface: string;
  /** Sync id 0..255 (default 0). */
  readonly syncid: number;
  /** Maximum sync message length, 0 = kernel default. */
  readonly syncMaxlen: number;
  /** Multicast group text, `''` = kernel default (224.0.0.81). */
  readonly mcastGroup: string;
  /** Multicast UDP port, 0 = kernel default (8848). */
  readonly mcastPort: number;
  /** Multicast TTL, 0 = kernel default (1). */
  readonly mcastTtl: number;
}

/** The IPVS version and connection-table size shown in the banner. */
export interface IpvsInfo {
  /** IPVS version `[major, minor, patch]` (the kernel reports 1.2.1). */
  readonly version: readonly [number, number, number];
  /** Connection hash table size (`size=4096`). */
  readonly connTableSize: number;
}

/** Everything the list and save commands read, in the target's own order (they sort unless `--nosort`). */
export interface IpvsSnapshot {
  /** Banner data. */
  readonly info: IpvsInfo;
  /** Services in the target's order. */
  readonly services: readonly IpvsServiceEntry[];
  /** Connection entries (`-c`), in the target's order. */
  readonly connections: readonly IpvsConnectionEntry[];
  /** Current timeouts. */
  readonly timeouts: IpvsTimeouts;
  /** Running sync daemons (at most one master and one backup). */
  readonly daemons: readonly IpvsDaemonConfig[];
}

/**
 * The operations an ipvsadm command needs. Each write method either applies completely or throws an
 * `LvsError` whose message is ipvsadm's own text (libipvs `ipvs_strerror`); build those errors with
 * `ipvsadmError(kind, op)` so the strings match. Which refusal each method must make:
 * - `addService`: service exists → `service-exists`; unknown scheduler/pe → `scheduler-not-found`.
 * - `editService`: not found → `no-such-service`; unknown scheduler/pe → `scheduler-not-found`.
 * - `deleteService`, `zero` (with a key): not found → `no-such-service`.
 * - `addServer`: service not found → `service-not-defined`; exists → `dest-exists`; lower threshold above
 *   upper → `out-of-range`; family differs and not tunnel → `invalid-operation`.
 * - `editServer`: service not found → `service-not-defined`; server not found → `no-such-dest`; thresholds → `out-of-range`.
 * - `deleteServer`: service not found → `service-not-defined`; server not found → `no-such-dest`.
 * - `setTimeouts`: a 0 keeps the current value; values above INT_MAX/HZ → `invalid-operation`.
 * - `startDaemon`: a daemon in that role runs → `daemon-running`; `stopDaemon`: none → `no-daemon`.
 */
export interface IpvsadmTarget {
  /** `-A`: adds a service with no real servers. */
  addService(config: IpvsServiceConfig): void;
  /** `-E`: replaces a service's scheduler, flags and persistence (real servers, stats and connections stay). */
  editService(config: IpvsServiceConfig): void;
  /** `-D`: removes a service and its real servers. */
  deleteService(key: IpvsServiceKey): void;
  /** `-C`: removes every service. */
  flush(): void;
  /** `-a`: adds a real server at the head of the service's list. */
  addServer(service: IpvsServiceKey, config: IpvsServerConfig): void;
  /** `-e`: replaces a real server's method, weight, thresholds and tunnel settings. */
  editServer(service: IpvsServiceKey, config: IpvsServerConfig): void;
  /** `-d`: removes a real server. */
  deleteServer(service: IpvsServiceKey, server: IpvsServerKey): void;
  /** `-Z`: zeroes the counters of one service and its servers, or of everything (and the totals) when omitted. */
  zero(service?: IpvsServiceKey): void;
  /** `--set`: 0 keeps the current value. */
  setTimeouts(timeouts: IpvsTimeouts): void;
  /** `--start-daemon` (optional; without it ipvsadm reports "Protocol not available"). */
  startDaemon?(config: IpvsDaemonConfig): void;
  /** `--stop-daemon` (optional). */
  stopDaemon?(state: IpvsDaemonState): void;
  /** What `-L`, `-S`, `-c`, `--timeout` and `--daemon` print. */
  snapshot(): IpvsSnapshot;
}

/** Formatting switches of the list commands (ipvsadm `FMT_*`). */
export interface IpvsListFormat {
  /** `-n`: numeric addresses and ports. lvskit never resolves names, so output is numeric either way. */
  readonly numeric: boolean;
  /** `--stats`. */
  readonly stats: boolean;
  /** `--rate`. */
  readonly rate: boolean;
  /** `--thresholds`. */
  readonly thresholds: boolean;
  /** `--persistent-conn`. */
  readonly persistentConn: boolean;
  /** `--tun-info`. */
  readonly tunInfo: boolean;
  /** `--nosort`: keep the target's order. */
  readonly nosort: boolean;
  /** `--exact`: print counters in full. */
  readonly exact: boolean;
}

/** What a `-L` command shows. */
export type IpvsListWhat = 'services' | 'connections' | 'timeout' | 'daemon';

/** A parsed ipvsadm command line (one command per line, as ipvsadm enforces). */
export type IpvsadmCommand =
  | { readonly command: 'add-service'; readonly service: IpvsServiceConfig }
  | { readonly command: 'edit-service'; readonly service: IpvsServiceConfig }
  | { readonly command: 'delete-service'; readonly service: IpvsServiceKey }
  | { readonly command: 'flush' }
  | {
      readonly command: 'list';
      readonly what: IpvsListWhat;
      /** `-L -t …`: list only this service (no banner, as ipvsadm `list_service`). */
      readonly service?: IpvsServiceKey;
      readonly format: IpvsListFormat;
    }
  | { readonly command: 'add-server'; readonly service: IpvsServiceKey; readonly server: IpvsServerConfig }
  | { readonly command: 'edit-server'; readonly service: IpvsServiceKey; readonly server: IpvsServerConfig }
  | { readonly command: 'delete-server'; readonly service: IpvsServiceKey; readonly server: IpvsServerKey }
  | { readonly command: 'zero'; readonly service?: IpvsServiceKey }
  | { readonly command: 'set'; readonly timeouts: IpvsTimeouts }
  | { readonly command: 'start-daemon'; readonly daemon: IpvsDaemonConfig }
  | { readonly command: 'stop-daemon'; readonly state: IpvsDaemonState; readonly syncid?: number }
  | { readonly command: 'restore' }
  | { readonly command: 'save'; readonly numeric: boolean }
  | { readonly command: 'help' }
  | { readonly command: 'version' };

/** What running one ipvsadm invocation produced, as a shell would see it. */
export interface IpvsadmResult {
  /** Process exit status (0 ok, 1 list failure, 2 bad command, 255 = ipvsadm's -1). */
  readonly exitCode: number;
  /** Standard output. */
  readonly stdout: string;
  /** Standard error. */
  readonly stderr: string;
}

/** Defaults ipvsadm and the kernel apply (ipvsadm.c, libipvs.h, ip_vs_proto_*.c). */
export const IPVSADM_DEFAULTS = {
  /** `DEF_SCHED`. */
  scheduler: 'wlc',
  /** `IPVS_SVC_PERSISTENT_TIMEOUT` (6*60). */
  persistentTimeout: 360,
  /** `MAX_TIMEOUT` (86400*31). */
  maxTimeout: 86400 * 31,
  /** Default real server weight. */
  weight: 1,
  /** `DEF_MCAST_IFN`. */
  mcastInterface: 'eth0',
  /** Kernel default timeouts (tcp ESTABLISHED, FIN_WAIT, udp). */
  timeouts: { tcp: 900, tcpfin: 120, udp: 300 },
  /** `IP_VS_VERSION_CODE` 0x010201 and the default `IP_VS_CONN_TAB_BITS` 12. */
  info: { version: [1, 2, 1], connTableSize: 4096 },
} as const satisfies {
  scheduler: string;
  persistentTimeout: number;
  maxTimeout: number;
  weight: number;
  mcastInterface: string;
  timeouts: IpvsTimeouts;
  info: IpvsInfo;
};
