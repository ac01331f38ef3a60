/**
 * Text output of ipvsadm 1.31, byte for byte: the list table and its variants, the save (`-S`) rules, the
 * connection list, timeouts, sync daemons, the version banner and help. Every function is pure over an
 * {@link IpvsSnapshot}; each cites the ipvsadm.c function whose format strings it follows. Must never
 * resolve names (lvskit prints numeric addresses and ports with or without `-n`) or mutate its input.
 */
import type { Family } from '@lvskit/base';
import { inetNtop, u32, u32ToDotted } from './inet.js';
import { serviceKeyBytes } from './keys.js';
import type {
  IpvsConnectionEntry,
  IpvsCounter,
  IpvsDaemonConfig,
  IpvsListFormat,
  IpvsServerEntry,
  IpvsServiceEntry,
  IpvsSnapshot,
  IpvsTimeouts,
} from './types.js';

/** A list format with every switch off (plain `ipvsadm -L`). */
export const DEFAULT_LIST_FORMAT: IpvsListFormat = Object.freeze({
  numeric: false,
  stats: false,
  rate: false,
  thresholds: false,
  persistentConn: false,
  tunInfo: false,
  nosort: false,
  exact: false,
});

const PROTO_NUMBER = { tcp: 6, udp: 17, sctp: 132 } as const;
const PROTO_NAME = { tcp: 'TCP', udp: 'UDP', sctp: 'SCTP' } as const;
const PROTO_OPTION = { tcp: '-t', udp: '-u', sctp: '--sctp-service' } as const;
const FWD_NAME = { masq: 'Masq', local: 'Local', tunnel: 'Tunnel', route: 'Route' } as const;
const FWD_SWITCH = { masq: '-m', local: '-g', tunnel: '-i', route: '-g' } as const;
const TUN_FLAG = { nocsum: '-c', csum: '+c', remcsum: 'r+c' } as const;
const TUN_FLAG_OPT = { nocsum: '--tun-nocsum', csum: '--tun-csum', remcsum: '--tun-remcsum' } as const;
/** Linux AF_INET / AF_INET6, the values `ipvs_cmp_services` subtracts. */
const AF = { 4: 2, 6: 10 } as const;

function left(s: string, width: number): string {
  return s.length >= width ? s : s + ' '.repeat(width - s.length);
}
function right(s: string, width: number): string {
  return s.length >= width ? s : ' '.repeat(width - s.length) + s;
}
const U64_MAX = (1n << 64n) - 1n;

function big(v: IpvsCounter): bigint {
  if (typeof v === 'bigint') return BigInt.asUintN(64, v);
  // Never throws (issue 11 item 3): NaN and −∞ read as 0, +∞ and anything past 2^64 saturate, other
  // negatives wrap as the kernel's u64 would.
  if (typeof v !== 'number' || Number.isNaN(v) || v === Number.NEGATIVE_INFINITY) return 0n;
  if (v >= 2 ** 64) return U64_MAX;
  return BigInt.asUintN(64, BigInt(Math.trunc(v)));
}

/**
 * ipvsadm.c `print_largenum`: `%9llu` below 1e8, then `%8lluK` (÷1e3), `%8lluM` (÷1e6) below 1e11,
 * `%8lluG` (÷1e9) below 1e14, else `%8lluT` (÷1e12); `--exact` prints the whole number right-aligned in
 * `len <= 8 ? 9 : len + 1` columns.
 * @param value - the counter
 * @param exact - `--exact`
 */
export function formatLargeNum(value: IpvsCounter, exact: boolean): string {
  const i = big(value);
  if (exact) {
    const s = i.toString();
    return right(s, s.length <= 8 ? 9 : s.length + 1);
  }
  if (i < 100000000n) return right(i.toString(), 9);
  if (i < 1000000000n) return `${right((i / 1000n).toString(), 8)}K`;
  if (i < 100000000000n) return `${right((i / 1000000n).toString(), 8)}M`;
  if (i < 100000000000000n) return `${right((i / 1000000000n).toString(), 8)}G`;
  return `${right((i / 1000000000000n).toString(), 8)}T`;
}

/** ipvsadm.c `addrport_to_anyname` with `FMT_NUMERIC`: `a.b.c.d:port` or `[v6]:port`. */
export function formatAddrPort(family: Family, address: string, port: number): string {
  const bytes = serviceKeyBytes(family, address);
  const text = bytes ? inetNtop(family, bytes) : address;
  return family === 4 ? `${text}:${port}` : `[${text}]:${port}`;
}

/** The IPv4 netmask as `inet_ntoa` prints it. */
function netmaskText(service: IpvsServiceEntry): string {
  return service.key.family === 4 ? u32ToDotted(service.netmask >>> 0) : String(service.netmask);
}

function isDefaultNetmask(service: IpvsServiceEntry): boolean {
  return service.key.family === 4 ? service.netmask >>> 0 === 0xffffffff : service.netmask === 128;
}

/** ipvsadm.c `print_sched_flags`: sh/mh name their two flags, other schedulers print flag-N. */
function schedFlagsText(service: IpvsServiceEntry): string {
  const f = new Set(service.schedFlags);
  const names: string[] = [];
  if (service.scheduler === 'sh' || service.scheduler === 'mh') {
    if (f.has('flag-1')) names.push(`${service.scheduler}-fallback`);
    if (f.has('flag-2')) names.push(`${service.scheduler}-port`);
  } else {
    if (f.has('flag-1')) names.push('flag-1');
    if (f.has('flag-2')) names.push('flag-2');
    if (f.has('flag-3')) names.push('flag-3');
  }
  return names.join(',');
}

/** The service name column (`print_service_entry`), rule form or list form. */
function serviceName(service: IpvsServiceEntry, rule: boolean): string {
  const key = service.key;
  if (key.kind === 'fwmark') {
    const mark = key.fwmark >>> 0;
    if (rule) return key.family === 6 ? `-f ${mark} -6` : `-f ${mark}`;
    return key.family === 6 ? `FWM  ${mark} IPv6` : `FWM  ${mark}`;
  }
  const vname = formatAddrPort(key.family, key.address, key.port);
  if (rule) return `${PROTO_OPTION[key.protocol]} ${vname}`;
  const name = `${left(PROTO_NAME[key.protocol], 4)} ${vname}`;
  // ipvsadm truncates IPv4 names to 33 characters (svc_name[33] = '\0'); only resolved names get that long.
  return key.family === 6 ? name : name.slice(0, 33);
}

function serverName(server: IpvsServerEntry, rule: boolean): string {
  const d = formatAddrPort(server.family, server.address, server.port);
  return !rule && server.family !== 6 ? d.slice(0, 28) : d;
}

/** ipvsadm.c `print_title`. */
function title(format: IpvsListFormat): string {
  if (format.stats)
    return `${left('Prot LocalAddress:Port', 33)} ${right('Conns', 8)} ${right('InPkts', 8)} ${right('OutPkts', 8)} ${right('InBytes', 8)} ${right('OutBytes', 8)}\n  -> RemoteAddress:Port\n`;
  if (format.rate)
    return `${left('Prot LocalAddress:Port', 33)} ${right('CPS', 8)} ${right('InPPS', 8)} ${right('OutPPS', 8)} ${right('InBPS', 8)} ${right('OutBPS', 8)}\n  -> RemoteAddress:Port\n`;
  if (format.thresholds)
    return `${left('Prot LocalAddress:Port', 33)} ${left('Uthreshold', 10)} ${left('Lthreshold', 10)} ${left('ActiveConn', 10)} ${left('InActConn', 10)}\n  -> RemoteAddress:Port\n`;
  if (format.persistentConn)
    return `${left('Prot LocalAddress:Port', 33)} ${left('Weight', 9)} ${left('PersistConn', 11)} ${left('ActiveConn', 10)} ${left('InActConn', 10)}\n  -> RemoteAddress:Port\n`;
  if (format.tunInfo)
    return 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n';
  return 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n';
}

function u(n: number): string {
  return String(n >>> 0);
}
function d(n: number): string {
  return String(n | 0);
}

/** `fwd_tun_info`: tunnel details for `--tun-info`, or undefined (printed as `n/a`). */
function tunInfo(server: IpvsServerEntry): string | undefined {
  if (server.forwarding !== 'tunnel') return undefined;
  const t = server.tunnel;
  if (t.type === 'ipip') return 'ipip';
  if (t.type === 'gue') return `gue:${t.port}:${TUN_FLAG[t.checksum]}`;
  return `gre:${TUN_FLAG[t.checksum]}`;
}

/** `print_service_entry` in list form (no FMT_RULE). */
function listServiceEntry(service: IpvsServiceEntry, format: IpvsListFormat): string {
  const name = serviceName(service, false);
  let out: string;
  const s = service.stats;
  const n = (v: IpvsCounter) => formatLargeNum(v, format.exact);
  if (format.stats) {
    out = left(name, 33) + n(s.conns) + n(s.inpkts) + n(s.outpkts) + n(s.inbytes) + n(s.outbytes);
  } else if (format.rate) {
    out = left(name, 33) + n(s.cps) + n(s.inpps) + n(s.outpps) + n(s.inbps) + n(s.outbps);
  } else {
    out = `${name} ${service.scheduler}`;
    if (service.schedFlags.length > 0) out += ` (${schedFlagsText(service)})`;
    if (service.persistent) {
      out += ` persistent ${u(service.timeout)}`;
      if (!isDefaultNetmask(service)) out += ` mask ${netmaskText(service)}`;
      if (service.pe) out += ` pe ${service.pe}`;
    }
    if (service.onePacket) out += ' ops';
  }
  out += '\n';
  for (const e of sortedServers(service, format.nosort)) {
    const dn = serverName(e, false);
    const es = e.stats;
    if (format.stats) {
      out += `  -> ${left(dn, 28)}${n(es.conns)}${n(es.inpkts)}${n(es.outpkts)}${n(es.inbytes)}${n(es.outbytes)}\n`;
    } else if (format.rate) {
      out += `  -> ${left(dn, 28)} ${right(big(es.cps).toString(), 8)} ${right(big(es.inpps).toString(), 8)} ${right(big(es.outpps).toString(), 8)}${n(es.inbps)}${n(es.outbps)}\n`;
    } else if (format.thresholds) {
      out += `  -> ${left(dn, 28)} ${left(u(e.upperThreshold), 10)} ${left(u(e.lowerThreshold), 10)} ${left(u(e.activeConns), 10)} ${left(u(e.inactiveConns), 10)}\n`;
    } else if (format.persistentConn) {
      out += `  -> ${left(dn, 28)} ${left(u(e.weight), 9)} ${left(u(e.persistentConns), 11)} ${left(u(e.activeConns), 10)} ${left(u(e.inactiveConns), 10)}\n`;
    } else if (format.tunInfo) {
      out += `  -> ${left(dn, 28)} ${left(FWD_NAME[e.forwarding], 7)} ${left(tunInfo(e) ?? 'n/a', 13)} ${left(d(e.weight), 6)} ${left(u(e.activeConns), 10)} ${left(u(e.inactiveConns), 10)}\n`;
    } else {
      out += `  -> ${left(dn, 28)} ${left(FWD_NAME[e.forwarding], 7)} ${left(d(e.weight), 6)} ${left(u(e.activeConns), 10)} ${left(u(e.inactiveConns), 10)}\n`;
    }
  }
  return out;
}

/** `print_service_entry` with FMT_RULE: the `-A` line and one `-a` line per real server. */
function ruleServiceEntry(service: IpvsServiceEntry, nosort: boolean): string {
  const name = serviceName(service, true);
  let out = `-A ${name} -s ${service.scheduler}`;
  if (service.persistent) {
    out += ` -p ${u(service.timeout)}`;
    if (!isDefaultNetmask(service)) out += ` -M ${netmaskText(service)}`;
  }
  if (service.pe) out += ` --pe ${service.pe}`;
  if (service.onePacket) out += ' -o';
  if (service.schedFlags.length > 0) out += ` -b ${schedFlagsText(service)}`;
  out += '\n';
  for (const e of sortedServers(service, nosort)) {
    const base = `-a ${name} -r ${serverName(e, true)} ${FWD_SWITCH[e.forwarding]} -w ${d(e.weight)}`;
    if (e.forwarding !== 'tunnel') {
      out += `${base}\n`;
      continue;
    }
    // print_tunnel_rule
    const t = e.tunnel;
    if (t.type === 'gre') out += `${base} --tun-type gre ${TUN_FLAG_OPT[t.checksum]}\n`;
    else if (t.type === 'gue') out += `${base} --tun-type gue --tun-port ${t.port} ${TUN_FLAG_OPT[t.checksum]}\n`;
    else out += `${base} --tun-type ipip\n`;
  }
  return out;
}

/** `(a - b)` as C computes `int r = u32 - u32`: wraps, so far-apart addresses compare "backwards". */
function cdiff(a: number, b: number): number {
  return (a - b) | 0;
}

/**
 * libipvs.c `ipvs_cmp_services`: fwmark, then address family, protocol, address (host order, as int
 * differences), port. Fwmark services compare with protocol TCP, address 0 and port 0 (what ipvsadm sends).
 */
export function compareServices(a: IpvsServiceEntry, b: IpvsServiceEntry): number {
  const fa = a.key.kind === 'fwmark' ? a.key.fwmark >>> 0 : 0;
  const fb = b.key.kind === 'fwmark' ? b.key.fwmark >>> 0 : 0;
  let r = cdiff(fa, fb);
  if (r !== 0) return r;
  r = AF[a.key.family] - AF[b.key.family];
  if (r !== 0) return r;
  const pa = a.key.kind === 'address' ? PROTO_NUMBER[a.key.protocol] : 6;
  const pb = b.key.kind === 'address' ? PROTO_NUMBER[b.key.protocol] : 6;
  r = pa - pb;
  if (r !== 0) return r;
  const ba = a.key.kind === 'address' ? serviceKeyBytes(a.key.family, a.key.address) : undefined;
  const bb = b.key.kind === 'address' ? serviceKeyBytes(b.key.family, b.key.address) : undefined;
  const za = ba ?? new Uint8Array(16);
  const zb = bb ?? new Uint8Array(16);
  if (a.key.family === 6) {
    for (let i = 0; r === 0 && i < 4; i++) r = cdiff(u32(za, i * 4), u32(zb, i * 4));
  } else r = cdiff(u32(za, 0), u32(zb, 0));
  if (r !== 0) return r;
  const porta = a.key.kind === 'address' ? a.key.port : 0;
  const portb = b.key.kind === 'address' ? b.key.port : 0;
  return porta - portb;
}

/** libipvs.c `ipvs_cmp_dests`: address (words as int differences, IPv6 if the first is IPv6), then port. */
export function compareServers(a: IpvsServerEntry, b: IpvsServerEntry): number {
  const za = serviceKeyBytes(a.family, a.address) ?? new Uint8Array(16);
  const zb = serviceKeyBytes(b.family, b.address) ?? new Uint8Array(16);
  let r = 0;
  if (a.family === 6) {
    for (let i = 0; r === 0 && i < 4; i++) r = cdiff(u32(za, i * 4), u32(zb, i * 4));
  } else r = cdiff(u32(za, 0), u32(zb, 0));
  if (r !== 0) return r;
  return a.port - b.port;
}

/**
 * glibc `qsort` as `msort_with_tmp` does it: top-down merge sort, first half `n/2`, ties and `<= 0` taken
 * from the left. Reproducing the exact algorithm matters because the comparators above are not a total
 * order (int wrap-around), so another algorithm could print a different order.
 */
export function glibcSort<T>(items: readonly T[], cmp: (a: T, b: T) => number): T[] {
  const b = items.slice();
  const tmp = new Array<T>(b.length);
  const msort = (lo: number, n: number): void => {
    if (n <= 1) return;
    const n1 = n >>> 1;
    const n2 = n - n1;
    msort(lo, n1);
    msort(lo + n1, n2);
    let i = lo;
    let j = lo + n1;
    let k = 0;
    let r1 = n1;
    let r2 = n2;
    while (r1 > 0 && r2 > 0) {
      if (cmp(b[i]!, b[j]!) <= 0) {
        tmp[k++] = b[i++]!;
        r1--;
      } else {
        tmp[k++] = b[j++]!;
        r2--;
      }
    }
    while (r1-- > 0) tmp[k++] = b[i++]!;
    // The rest of the right half is already in place.
    for (let x = 0; x < k; x++) b[lo + x] = tmp[x]!;
  };
  msort(0, b.length);
  return b;
}

function sortedServers(service: IpvsServiceEntry, nosort: boolean): readonly IpvsServerEntry[] {
  return nosort ? service.servers : glibcSort(service.servers, compareServers);
}

function sortedServices(snapshot: IpvsSnapshot, nosort: boolean): readonly IpvsServiceEntry[] {
  return nosort ? snapshot.services : glibcSort(snapshot.services, compareServices);
}

/** The banner `list_all` prints first: `IP Virtual Server version 1.2.1 (size=4096)`. */
export function formatBanner(snapshot: IpvsSnapshot): string {
  const [a, b, c] = snapshot.info.version;
  return `IP Virtual Server version ${a}.${b}.${c} (size=${d(snapshot.info.connTableSize)})\n`;
}

/**
 * `ipvsadm -L` (ipvsadm.c `list_all`): banner, title, then every service and its real servers, sorted by
 * `ipvs_cmp_services` / `ipvs_cmp_dests` unless `nosort`. Addresses are numeric even without `-n`:
 * lvskit never consults DNS or /etc/services when printing.
 * @param snapshot - what the target lists
 * @param format - list switches (missing ones off)
 */
export function formatList(snapshot: IpvsSnapshot, format: Partial<IpvsListFormat> = {}): string {
  const f = { ...DEFAULT_LIST_FORMAT, ...format };
  let out = formatBanner(snapshot) + title(f);
  for (const s of sortedServices(snapshot, f.nosort)) out += listServiceEntry(s, f);
  return out;
}

/**
 * `ipvsadm -L -t|-u|-f …` (ipvsadm.c `list_service`): title and the one service, no banner.
 * @param service - the service entry to print
 * @param format - list switches
 */
export function formatServiceList(service: IpvsServiceEntry, format: Partial<IpvsListFormat> = {}): string {
  const f = { ...DEFAULT_LIST_FORMAT, ...format };
  return title(f) + listServiceEntry(service, f);
}

/**
 * `ipvsadm -S [-n]` (`list_all` with FMT_RULE): one `-A` line per service followed by its `-a` lines,
 * sorted as the list is. Thresholds are not saved (ipvsadm never wrote them). Output is numeric with or
 * without `-n`.
 * @param snapshot - what the target lists
 * @param options - `nosort` keeps the target's order (ipvsadm `-S` itself always sorts)
 */
export function formatSave(snapshot: IpvsSnapshot, options: { nosort?: boolean } = {}): string {
  let out = '';
  for (const s of sortedServices(snapshot, options.nosort ?? false))
    out += ruleServiceEntry(s, options.nosort ?? false);
  return out;
}

/**
 * `ipvsadm -L -c` (ipvsadm.c `list_conn`/`print_conn`): header and one row per entry in the target's
 * order (the kernel's /proc order; ipvsadm does not sort connections). Expiry is `%02d:%02d` minutes:seconds.
 * @param connections - the entries
 * @param options - `persistentConn` adds the pe name/data columns (`--persistent-conn`)
 */
export function formatConnections(
  connections: readonly IpvsConnectionEntry[],
  options: { persistentConn?: boolean } = {},
): string {
  const pc = options.persistentConn ?? false;
  let out = 'IPVS connection entries\n';
  out += pc
    ? `pro expire ${left('state', 11)} ${left('source', 18)} ${left('virtual', 18)} ${left('destination', 18)} ${left('pe name', 16)} pe_data\n`
    : `pro expire ${left('state', 11)} ${left('source', 18)} ${left('virtual', 18)} destination\n`;
  for (const c of connections) out += connectionRow(c, pc);
  return out;
}

function two(n: number): string {
  const s = String(Math.abs(n));
  return (n < 0 ? '-' : '') + (s.length < 2 ? `0${s}` : s);
}

function connectionRow(c: IpvsConnectionEntry, pc: boolean): string {
  const expires = Math.max(0, Math.floor(c.expires));
  const expire = `${two(Math.floor(expires / 60))}:${two(expires % 60)}`;
  const cname = formatAddrPort(c.family, c.clientAddress, c.clientPort);
  const vname = formatAddrPort(c.family, c.virtualAddress, c.virtualPort);
  const dname = formatAddrPort(c.destFamily, c.destAddress, c.destPort);
  const head = `${left(c.protocol, 3)} ${left(expire, 6)} ${left(c.state, 11)} ${left(cname, 18)} ${left(vname, 18)}`;
  // print_conn prints the pe columns only when /proc had them (sscanf matched 11 fields).
  if (pc && c.pe) return `${head} ${left(dname, 16)} ${left(c.pe.name, 18)} ${c.pe.data}\n`;
  return `${head} ${dname}\n`;
}

/** `ipvsadm -L --timeout` (`list_timeout`). */
export function formatTimeouts(t: IpvsTimeouts): string {
  return `Timeout (tcp tcpfin udp): ${d(t.tcp)} ${d(t.tcpfin)} ${d(t.udp)}\n`;
}

/** `ipvsadm -L --daemon` (`list_daemon`): the master line first, then the backup line. */
export function formatDaemons(daemons: readonly IpvsDaemonConfig[]): string {
  let out = '';
  for (const state of ['master', 'backup'] as const) {
    const dm = daemons.find((x) => x.state === state);
    if (!dm) continue;
    out += `${state} sync daemon (mcast=${dm.mcastInterface}, syncid=${d(dm.syncid)}`;
    if (dm.syncMaxlen) out += `, maxlen=${u(dm.syncMaxlen)}`;
    if (dm.mcastGroup) out += `, group=${dm.mcastGroup}`;
    if (dm.mcastPort) out += `, port=${u(dm.mcastPort)}`;
    if (dm.mcastTtl) out += `, ttl=${u(dm.mcastTtl)}`;
    out += ')\n';
  }
  return out;
}

/** `ipvsadm -v` (ipvsadm.c `version`). */
export function formatVersion(): string {
  return 'ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\n';
}

/** `ipvsadm -h` (ipvsadm.c `usage_exit`), with the program name ipvsadm was called by. */
export function formatHelp(program = 'ipvsadm'): string {
  const p = program;
  return (
    formatVersion() +
    'Usage:\n' +
    `  ${p} -A|E virtual-service [-s scheduler] [-p [timeout]] [-M netmask] [--pe persistence_engine] [-b sched-flags]\n` +
    `  ${p} -D virtual-service\n` +
    `  ${p} -C\n` +
    `  ${p} -R\n` +
    `  ${p} -S [-n]\n` +
    `  ${p} -a|e virtual-service -r server-address [options]\n` +
    `  ${p} -d virtual-service -r server-address\n` +
    `  ${p} -L|l [virtual-service] [options]\n` +
    `  ${p} -Z [virtual-service]\n` +
    `  ${p} --set tcp tcpfin udp\n` +
    `  ${p} --start-daemon {master|backup} [daemon-options]\n` +
    `  ${p} --stop-daemon {master|backup}\n` +
    `  ${p} -h\n\n` +
    'Commands:\n' +
    'Either long or short options are allowed.\n' +
    '  --add-service     -A        add virtual service with options\n' +
    '  --edit-service    -E        edit virtual service with options\n' +
    '  --delete-service  -D        delete virtual service\n' +
    '  --clear           -C        clear the whole table\n' +
    '  --restore         -R        restore rules from stdin\n' +
    '  --save            -S        save rules to stdout\n' +
    '  --add-server      -a        add real server with options\n' +
    '  --edit-server     -e        edit real server with options\n' +
    '  --delete-server   -d        delete real server\n' +
    '  --list            -L|-l     list the table\n' +
    '  --zero            -Z        zero counters in a service or all services\n' +
    '  --set tcp tcpfin udp        set connection timeout values\n' +
    '  --start-daemon              start connection sync daemon\n' +
    '  --stop-daemon               stop connection sync daemon\n' +
    '  --help            -h        display this help message\n\n' +
    'virtual-service:\n' +
    '  --tcp-service|-t  service-address   service-address is host[:port]\n' +
    '  --udp-service|-u  service-address   service-address is host[:port]\n' +
    '  --sctp-service    service-address   service-address is host[:port]\n' +
    '  --fwmark-service|-f fwmark          fwmark is an integer greater than zero\n' +
    '\n' +
    'Options:\n' +
    '  --ipv6         -6                   fwmark entry uses IPv6\n' +
    '  --scheduler    -s scheduler         one of rr|wrr|lc|wlc|lblc|lblcr|dh|sh|sed|nq|fo|ovf|mh,\n' +
    '                                      the default scheduler is wlc.\n' +
    '  --pe            engine              alternate persistence engine may be sip,\n' +
    '                                      not set by default.\n' +
    '  --persistent   -p [timeout]         persistent service\n' +
    '  --netmask      -M netmask           persistent granularity mask\n' +
    '  --real-server  -r server-address    server-address is host (and port)\n' +
    '  --gatewaying   -g                   gatewaying (direct routing) (default)\n' +
    '  --ipip         -i                   ipip encapsulation (tunneling)\n' +
    '  --masquerading -m                   masquerading (NAT)\n' +
    '  --tun-type      type                one of ipip|gue|gre,\n' +
    '                                      the default tunnel type is ipip.\n' +
    '  --tun-port      port                tunnel destination port\n' +
    '  --tun-nocsum                        tunnel encapsulation without checksum\n' +
    '  --tun-csum                          tunnel encapsulation with checksum\n' +
    '  --tun-remcsum                       tunnel encapsulation with remote checksum\n' +
    '  --weight       -w weight            capacity of real server\n' +
    '  --u-threshold  -x uthreshold        upper threshold of connections\n' +
    '  --l-threshold  -y lthreshold        lower threshold of connections\n' +
    '  --connection   -c                   output of current IPVS connections\n' +
    '  --timeout                           output of timeout (tcp tcpfin udp)\n' +
    '  --daemon                            output of daemon information\n' +
    '  --stats                             output of statistics information\n' +
    '  --rate                              output of rate information\n' +
    '  --exact                             expand numbers (display exact values)\n' +
    '  --thresholds                        output of thresholds information\n' +
    '  --persistent-conn                   output of persistent connection info\n' +
    '  --tun-info                          output of tunnel information\n' +
    '  --nosort                            disable sorting output of service/server entries\n' +
    '  --sort                              does nothing, for backwards compatibility\n' +
    '  --ops          -o                   one-packet scheduling\n' +
    '  --numeric      -n                   numeric output of addresses and ports\n' +
    '  --sched-flags  -b flags             scheduler flags (comma-separated)\n' +
    'Daemon Options:\n' +
    '  --syncid sid                        syncid for connection sync (default=255)\n' +
    '  --sync-maxlen length                Max sync message length (default=1472)\n' +
    '  --mcast-interface interface         multicast interface for connection sync\n' +
    '  --mcast-group address               IPv4/IPv6 group (default=224.0.0.81)\n' +
    '  --mcast-port port                   UDP port (default=8848)\n' +
    '  --mcast-ttl ttl                     Multicast TTL (default=1)\n'
  );
}
