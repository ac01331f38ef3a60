/**
 * A live `Ipvs` seen through ipvsadm: {@link ipvsadmTarget} turns each ipvsadm verb (`-A -E -D -C -a -e -d -Z
 * --set`, and the snapshot `-L`/`-S` print) into `Ipvs`'s own vocabulary (addService, editService,
 * removeService, addRealServer, editRealServer, removeRealServer, zeroCounters, setConnectionTimeouts, list),
 * and `Ipvs`'s coded refusals back into ipvsadm's exact messages. The ipvsadm verbs live here and nowhere
 * else. It keeps only what ipvsadm can say and `Ipvs` has no word for — a tunnel real server's `--tun-type`,
 * `--tun-port` and checksum options, so that `-S` prints them back — and must never reach into the engine
 * for anything `Ipvs` does not expose.
 */
import { canonicalIp, formatIp, LvsError, type LvsErrorCode } from '@lvskit/base';
import { isSchedulerName } from '@lvskit/schedulers';
import type { Ipvs, RealServerView, StatsView } from '../director.js';
import type { RealServerConfig, ServiceConfig } from '../model.js';
import { type IpvsadmErrorKind, ipvsadmError } from './errors.js';
import type {
  IpvsadmTarget,
  IpvsSchedFlag,
  IpvsServerConfig,
  IpvsServerEntry,
  IpvsServiceConfig,
  IpvsServiceEntry,
  IpvsServiceKey,
  IpvsSnapshot,
  IpvsStats,
  IpvsTunnelInfo,
} from './types.js';

const DEFAULT_TUNNEL: IpvsTunnelInfo = Object.freeze({ type: 'ipip', port: 0, checksum: 'nocsum' });

/** Per table: tunnel options ipvsadm gave, by `service|address|port` (what `Ipvs` has no word for). */
const tunnels = new WeakMap<Ipvs, Map<string, IpvsTunnelInfo>>();

function tunnelsOf(ipvs: Ipvs): Map<string, IpvsTunnelInfo> {
  let m = tunnels.get(ipvs);
  if (!m) {
    m = new Map();
    tunnels.set(ipvs, m);
  }
  return m;
}

function serverSlot(service: string, address: string, port: number): string {
  return `${service}|${canonicalIp(address)}|${port}`;
}

/** The service name ipvsadm gives a service it adds: `tcp:198.18.0.1:80`, `udp:[2001:db8::1]:53`, `fwmark:7`. */
function nameFor(k: IpvsServiceKey): string {
  if (k.kind === 'fwmark') return k.family === 6 ? `fwmark:${k.fwmark}:v6` : `fwmark:${k.fwmark}`;
  return k.family === 6 ? `${k.protocol}:[${k.address}]:${k.port}` : `${k.protocol}:${k.address}:${k.port}`;
}

function identityOf(k: IpvsServiceKey) {
  return k.kind === 'fwmark'
    ? { fwmark: k.fwmark, family: k.family }
    : { protocol: k.protocol, address: k.address, port: k.port };
}

function dotted(mask: number): string {
  return `${mask >>> 24}.${(mask >>> 16) & 255}.${(mask >>> 8) & 255}.${mask & 255}`;
}

function serviceConfigOf(c: IpvsServiceConfig): ServiceConfig {
  const k = c.key;
  const persistence = c.persistent
    ? { timeout: c.timeout, netmask: k.family === 4 ? dotted(c.netmask) : c.netmask }
    : undefined;
  const common = {
    scheduler: c.scheduler as never,
    flags: c.schedFlags as never,
    onePacket: c.onePacket,
    ...(persistence ? { persistence } : {}),
  };
  return k.kind === 'fwmark'
    ? { ...common, fwmark: k.fwmark, family: k.family }
    : { ...common, protocol: k.protocol, address: k.address, port: k.port };
}

function serverConfigOf(c: IpvsServerConfig): RealServerConfig {
  return {
    address: c.key.address,
    port: c.key.port,
    method: c.forwarding,
    weight: c.weight,
    upperThreshold: c.upperThreshold,
    lowerThreshold: c.lowerThreshold,
  };
}

/** Every code an `Ipvs` refusal carries (its own, and those of its issues). */
function codesOf(err: LvsError): Set<LvsErrorCode> {
  const s = new Set<LvsErrorCode>([err.code]);
  for (const i of err.issues) s.add(i.code);
  return s;
}

/**
 * Runs one `Ipvs` change and turns its refusal into the kernel error ipvsadm would print: the first kind in
 * `map` whose code the refusal carries, else EINVAL ("Invalid operation").
 */
function apply(fn: () => void, map: readonly (readonly [LvsErrorCode, IpvsadmErrorKind])[] = []): void {
  try {
    fn();
  } catch (err) {
    if (!LvsError.is(err)) throw err;
    const codes = codesOf(err);
    for (const [code, kind] of map) if (codes.has(code)) throw ipvsadmError(kind);
    throw ipvsadmError('invalid-operation');
  }
}

function genericFlags(flags: readonly string[]): IpvsSchedFlag[] {
  const set = new Set<IpvsSchedFlag>();
  for (const f of flags) {
    if (f === 'flag-1' || f.endsWith('-fallback')) set.add('flag-1');
    else if (f === 'flag-2' || f.endsWith('-port')) set.add('flag-2');
    else if (f === 'flag-3') set.add('flag-3');
  }
  return [...set].sort();
}

function ipvsStats(s: StatsView): IpvsStats {
  return {
    conns: s.conns,
    inpkts: s.inpkts,
    outpkts: s.outpkts,
    inbytes: s.inbytes,
    outbytes: s.outbytes,
    cps: s.cps,
    inpps: s.inpps,
    outpps: s.outpps,
    inbps: s.inbps,
    outbps: s.outbps,
  };
}

function serverEntry(service: string, d: RealServerView, tun: Map<string, IpvsTunnelInfo>): IpvsServerEntry {
  return {
    family: d.family,
    address: canonicalIp(d.address),
    port: d.port,
    forwarding: d.local ? 'local' : d.method,
    tunnel: tun.get(serverSlot(service, d.address, d.port)) ?? DEFAULT_TUNNEL,
    weight: d.weight,
    upperThreshold: d.upperThreshold,
    lowerThreshold: d.lowerThreshold,
    activeConns: d.activeConns,
    inactiveConns: d.inactiveConns,
    persistentConns: d.persistentConns,
    stats: ipvsStats(d.stats),
  };
}

/**
 * A live `Ipvs` as an ipvsadm target (`runIpvsadm(ipvsadmTarget(ipvs), '-a -t 198.18.0.10:80 -r 198.18.1.4
 * -m')`; `ipvs.ipvsadm` is the same). Each verb is one `Ipvs` change, validated and applied whole or refused
 * with ipvsadm's message. A service added by `-A` is named after its key (`tcp:198.18.0.10:80`, `fwmark:7`).
 * @param ipvs - the table the commands act on
 */
export function ipvsadmTarget(ipvs: Ipvs): IpvsadmTarget {
  const name = (k: IpvsServiceKey, missing: 'no-such-service' | 'service-not-defined'): string => {
    const n = ipvs.findService(identityOf(k));
    if (n === undefined) throw ipvsadmError(missing);
    return n;
  };
  const checkScheduler = (c: IpvsServiceConfig): void => {
    if (!isSchedulerName(c.scheduler) || c.pe !== '') throw ipvsadmError('scheduler-not-found');
  };
  const forgetService = (service: string): void => {
    const tun = tunnels.get(ipvs);
    if (tun) for (const k of [...tun.keys()]) if (k.startsWith(`${service}|`)) tun.delete(k);
  };
  const serverRefusals = [
    ['CORE_DUPLICATE_REAL_SERVER', 'dest-exists'],
    ['CORE_UNKNOWN_REAL_SERVER', 'no-such-dest'],
    ['CORE_THRESHOLD_RANGE', 'out-of-range'],
  ] as const;
  return {
    addService(c) {
      if (ipvs.findService(identityOf(c.key)) !== undefined) throw ipvsadmError('service-exists');
      checkScheduler(c);
      apply(() => ipvs.addService(nameFor(c.key), serviceConfigOf(c)), [['CORE_DUPLICATE_SERVICE', 'service-exists']]);
    },
    editService(c) {
      const service = name(c.key, 'no-such-service');
      checkScheduler(c);
      apply(() =>
        ipvs.editService(service, {
          scheduler: c.scheduler as never,
          flags: c.schedFlags,
          persistence: c.persistent
            ? { timeout: c.timeout, netmask: c.key.family === 4 ? dotted(c.netmask) : c.netmask }
            : false,
          onePacket: c.onePacket,
        }),
      );
    },
    deleteService(k) {
      const service = name(k, 'no-such-service');
      ipvs.removeService(service);
      forgetService(service);
    },
    flush() {
      for (const s of ipvs.list()) {
        ipvs.removeService(s.name);
        forgetService(s.name);
      }
    },
    addServer(k, c) {
      const service = name(k, 'service-not-defined');
      apply(() => ipvs.addRealServer(service, serverConfigOf(c)), serverRefusals);
      tunnelsOf(ipvs).set(serverSlot(service, c.key.address, c.key.port), c.tunnel);
    },
    editServer(k, c) {
      const service = name(k, 'service-not-defined');
      apply(
        () =>
          ipvs.editRealServer(
            service,
            { address: c.key.address, port: c.key.port },
            {
              method: c.forwarding,
              weight: c.weight,
              upperThreshold: c.upperThreshold,
              lowerThreshold: c.lowerThreshold,
            },
          ),
        serverRefusals,
      );
      tunnelsOf(ipvs).set(serverSlot(service, c.key.address, c.key.port), c.tunnel);
    },
    deleteServer(k, server) {
      const service = name(k, 'service-not-defined');
      apply(() => ipvs.removeRealServer(service, { address: server.address, port: server.port }), serverRefusals);
      tunnels.get(ipvs)?.delete(serverSlot(service, server.address, server.port));
    },
    zero(k) {
      ipvs.zeroCounters(k === undefined ? undefined : name(k, 'no-such-service'));
    },
    setTimeouts(t) {
      apply(() => ipvs.setConnectionTimeouts(t));
    },
    snapshot(): IpvsSnapshot {
      const tun = tunnels.get(ipvs) ?? new Map<string, IpvsTunnelInfo>();
      const services: IpvsServiceEntry[] = ipvs.list().map((s) => {
        const c = s.config;
        const key: IpvsServiceKey =
          c.kind === 'fwmark'
            ? { kind: 'fwmark', fwmark: c.fwmark, family: c.family }
            : {
                kind: 'address',
                protocol: c.protocol,
                family: c.family,
                address: formatIp(c.bytes, c.family),
                port: c.port,
              };
        return {
          key,
          scheduler: c.scheduler,
          schedFlags: genericFlags(c.flags),
          persistent: c.persistent,
          timeout: c.timeout,
          netmask: c.netmask,
          pe: '',
          onePacket: c.onePacket,
          servers: s.realServers.map((d) => serverEntry(s.name, d, tun)),
          stats: ipvsStats(s.stats),
        };
      });
      return {
        info: { version: [1, 2, 1], connTableSize: ipvs.engine.table.buckets },
        services,
        connections: ipvs.connections(),
        timeouts: ipvs.timeouts,
        daemons: [],
      };
    },
  };
}
