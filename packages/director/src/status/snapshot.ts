/**
 * What the status page shows, as plain JSON: the director's state read at one moment (services with their
 * scheduler, persistence and quorum; real servers with health, configured and current weight and
 * connections; VRRP instances; VIPs) and the director's events as one-line records. Reads the director and
 * never changes it; health is read through the metrics' `readHealth`, so the page and Prometheus agree.
 */
import { formatEndpoint, LvsError } from '@lvskit/base';
import type { IpvsChange, RealServerView, StatsView } from '@lvskit/core';
import type { VrrpState } from '@lvskit/vrrp';
import type { Director, DirectorEvents } from '../director.js';
import { canonical, readHealth } from '../metrics.js';
import type { RatePoint } from './history.js';

/** One check of a real server. */
export interface StatusCheck {
  /** Check type (`TCP_CHECK`, `HTTP_GET`, …). */
  readonly type: string;
  /** Passing now. */
  readonly up: boolean;
}

/** A real server (or sorry server) as the page shows it. */
export interface StatusRealServer {
  /** Address (canonical text). */
  readonly address: string;
  /** Port. */
  readonly port: number;
  /** `address:port` (`[v6]:port`). */
  readonly endpoint: string;
  /** Forwarding method, when in the table. */
  readonly method: 'masq' | 'route' | 'tunnel' | null;
  /** `up` or `down` by its checks; `unmanaged` when not in the config (added with ipvsadm). */
  readonly health: 'up' | 'down' | 'unmanaged';
  /** Each check's state, in the configured order. */
  readonly checks: readonly StatusCheck[];
  /** The reason of its last health transition seen by the status server, if any. */
  readonly reason: string | null;
  /** Weight in the config; null when not configured. */
  readonly configuredWeight: number | null;
  /** Weight in the IPVS table now; null when not in the table (removed by health, or not added yet). */
  readonly weight: number | null;
  /** ActiveConn. */
  readonly activeConns: number;
  /** InActConn. */
  readonly inactiveConns: number;
  /** PersistConn. */
  readonly persistentConns: number;
  /** The table's OVERLOAD flag (upper threshold reached). */
  readonly overloaded: boolean;
}

/** A virtual service as the page shows it. */
export interface StatusService {
  /** Name. */
  readonly name: string;
  /** `tcp`, `udp`, `sctp`; `fwmark` services report their table protocol. */
  readonly protocol: string;
  /** `address` or `fwmark`. */
  readonly kind: 'address' | 'fwmark';
  /** Virtual address (`''` for a firewall-mark service). */
  readonly address: string;
  /** Virtual port. */
  readonly port: number;
  /** Firewall mark (0 for an address service). */
  readonly fwmark: number;
  /** `VIP:port`, or `FWM n`. */
  readonly endpoint: string;
  /** Scheduler. */
  readonly scheduler: string;
  /** Scheduler flags. */
  readonly flags: readonly string[];
  /** Persistence timeout (s) and netmask text, or null. */
  readonly persistence: { readonly timeout: number; readonly netmask: string } | null;
  /** Quorum: up, live weight and threshold; null when health does not manage the service. */
  readonly quorum: { readonly up: boolean; readonly liveWeight: number; readonly quorum: number } | null;
  /** In the director's config (false: added at run time with ipvsadm). */
  readonly configured: boolean;
  /** In the IPVS table now. */
  readonly inTable: boolean;
  /** Counters since the last zero and the kernel-style 2 s rate estimates. */
  readonly stats: StatsView | null;
  /** The newest sampled rates. */
  readonly rate: RatePoint | null;
  /** Real servers: configured ones in config order, then any only in the table. */
  readonly realServers: readonly StatusRealServer[];
  /** The sorry server, when configured. */
  readonly sorryServer: StatusRealServer | null;
}

/** A VRRP instance as the page shows it. */
export interface StatusVrrp {
  /** Instance name. */
  readonly instance: string;
  /** State now. */
  readonly state: VrrpState;
  /** Configured priority. */
  readonly priority: number;
  /** Effective priority (with tracking), as sent in adverts. */
  readonly effectivePriority: number;
  /** Interface. */
  readonly interface: string;
  /** Virtual router id. */
  readonly virtualRouterId: number;
  /** VIP addresses it owns. */
  readonly vips: readonly string[];
  /** Adverts sent and received. */
  readonly adverts: { readonly sent: number; readonly received: number };
  /** The last transition the status server saw (from, to, reason, time on the director's clock), or null. */
  readonly lastTransition: {
    readonly from: VrrpState;
    readonly to: VrrpState;
    readonly reason: string;
    readonly at: number;
  } | null;
}

/** One running (or starting) sync daemon as the page shows it. */
export interface StatusSyncDaemon {
  /** `master` or `backup`. */
  readonly role: 'master' | 'backup';
  /** Sockets open. */
  readonly running: boolean;
  /** Interface, syncid, group, port, ttl, maxlen, version as in force (`lvsadm -L --daemon`). */
  readonly interface: string;
  /** Sync id. */
  readonly syncid: number;
  /** Multicast group. */
  readonly group: string;
  /** UDP port. */
  readonly port: number;
  /** TTL. */
  readonly ttl: number;
  /** sync_maxlen. */
  readonly maxLen: number;
  /** Message version. */
  readonly version: 0 | 1;
  /** Unicast peers (empty: multicast). */
  readonly peers: readonly string[];
  /** Extensions in use. */
  readonly extensions: { readonly sequence: boolean; readonly bulkResync: boolean; readonly hmac: boolean };
  /** Messages and records sent (master) and received, and records applied (backup). */
  readonly messagesSent: number;
  /** Records sent. */
  readonly recordsSent: number;
  /** Messages received. */
  readonly messagesReceived: number;
  /** Records received. */
  readonly recordsReceived: number;
  /** Records applied (created or updated). */
  readonly recordsApplied: number;
  /** Everything dropped (records, messages, refused by the table, by authentication, queue full, not a peer). */
  readonly drops: number;
  /** Sequence gaps and the messages lost in them (sequence extension). */
  readonly gaps: number;
  /** Messages lost. */
  readonly lostMessages: number;
  /** Bulk resyncs asked for or served. */
  readonly resyncs: number;
  /** Lag in ms when measurable, else null. */
  readonly lagMs: number | null;
  /** Clock time of the last message sent (master) or accepted (backup), or null. */
  readonly lastMessageAt: number | null;
}

/** The sync section of the page: what the config asks for and the daemons running. */
export interface StatusSync {
  /** The followed VRRP instance, or null (fixed roles, or daemons started with lvsadm only). */
  readonly instance: string | null;
  /** The configured roles, or null without a sync block. */
  readonly roles: 'follow' | 'master' | 'backup' | 'both' | null;
  /** The daemons, master first. */
  readonly daemons: readonly StatusSyncDaemon[];
}

/** The scale-out section of the page (the `announce` block): each VIP's announcement and the BGP peers. */
export interface StatusAnnounce {
  /** The VIPs it announces, and whether each is announced now. */
  readonly vips: readonly { readonly vip: string; readonly prefix: string; readonly announced: boolean }[];
  /** The speaker's BGP peers and their session states. */
  readonly peers: readonly { readonly address: string; readonly as: number; readonly state: string }[];
}

/** A director event as the page's timeline shows it. */
export interface StatusEvent {
  /** Increasing number (the SSE id). */
  readonly seq: number;
  /** Time on the director's clock, ms. */
  readonly at: number;
  /** The director event's name (`vrrpTransition`, `realServerDown`, …), or `checkerUp`/`checkerDown`. */
  readonly type: string;
  /** `info`, `warn` (a server, quorum or VIP lost, a warning) or `error`. */
  readonly level: 'info' | 'warn' | 'error';
  /** One line, keepalived-like. */
  readonly text: string;
}

/** What `GET /api/status` answers and the SSE `snapshot` event carries. */
export interface StatusSnapshot {
  /** The director's clock, ms (event times are on it). */
  readonly now: number;
  /** Wall-clock time of the snapshot, ms since the epoch (the page turns clock times into wall times). */
  readonly wallTime: number;
  /** Host name of the director. */
  readonly host: string;
  /** `created`, `running` or `stopped`. */
  readonly lifecycle: 'created' | 'running' | 'stopped';
  /** Every configured VIP: name, address, served now, and the VRRP instance that owns it. */
  readonly vips: readonly {
    readonly name: string;
    readonly address: string;
    readonly serving: boolean;
    readonly instance: string | null;
  }[];
  /** Virtual services. */
  readonly services: readonly StatusService[];
  /** VRRP instances. */
  readonly vrrp: readonly StatusVrrp[];
  /** Connection sync: the config's roles and the daemons. */
  readonly sync: StatusSync;
  /** Scale-out announcement, or null without an `announce` block. */
  readonly announce: StatusAnnounce | null;
  /** Table totals. */
  readonly totals: StatsView;
  /** The newest sampled total rates. */
  readonly rate: RatePoint | null;
  /** The sample time of `rate` and of each service's `rate`, or null before the first. */
  readonly sampledAt: number | null;
  /**
   * Recent events, oldest first. The SSE stream's snapshots after its first carry none: those events come as
   * `director` events.
   */
  readonly events: readonly StatusEvent[];
  /** The `seq` of the newest event so far (0 before any). */
  readonly lastEventSeq: number;
}

/** What the status server tracks beside the director: transitions, reasons, samples, events. */
export interface SnapshotExtras {
  /** Host name. */
  readonly host: string;
  /** Last VRRP transition per instance. */
  readonly transitions: ReadonlyMap<string, NonNullable<StatusVrrp['lastTransition']>>;
  /** Last health reason per `service|address|port`. */
  readonly reasons: ReadonlyMap<string, string>;
  /** The newest sample. */
  readonly latest: { at: number; total: RatePoint; services: Record<string, RatePoint> } | undefined;
  /** Recent events to include. */
  readonly events: readonly StatusEvent[];
  /** The `seq` of the newest event. */
  readonly lastEventSeq: number;
}

/** The key of a real server in the snapshot's maps. */
export const realServerKey = (service: string, address: string, port: number): string =>
  `${service}|${address}|${port}`;

function netmaskText(family: 4 | 6, netmask: number): string {
  if (family === 6) return `/${netmask}`;
  const m = netmask >>> 0;
  return [24, 16, 8, 0].map((s) => (m >>> s) & 0xff).join('.');
}

function fromView(
  v: RealServerView | undefined,
): Pick<StatusRealServer, 'method' | 'weight' | 'activeConns' | 'inactiveConns' | 'persistentConns' | 'overloaded'> {
  return {
    method: v?.method ?? null,
    weight: v ? v.weight : null,
    activeConns: v?.activeConns ?? 0,
    inactiveConns: v?.inactiveConns ?? 0,
    persistentConns: v?.persistentConns ?? 0,
    overloaded: v?.overloaded ?? false,
  };
}

/**
 * Reads a director into a {@link StatusSnapshot}.
 * @param director - the director
 * @param extras - what the status server tracked
 * @returns plain JSON-ready data
 */
export function statusSnapshot(director: Director, extras: SnapshotExtras): StatusSnapshot {
  const config = director.config;
  const health = new Map(
    readHealth(director).map((h) => [
      realServerKey(h.labels.service, h.labels.remote_address, Number(h.labels.remote_port)),
      h,
    ]),
  );
  const table = new Map(director.ipvs.list().map((s) => [s.name, s]));
  const services: StatusService[] = [];
  const seen = new Set<string>();
  const add = (name: string) => {
    seen.add(name);
    const view = table.get(name);
    const conf = config.services.find((s) => s.name === name);
    const controller = director.health.controller(name);
    const dests = new Map((view?.realServers ?? []).map((d) => [`${canonical(d.address)}|${d.port}`, d]));
    const realServers: StatusRealServer[] = [];
    const row = (address: string, port: number, configuredWeight: number | null, v: RealServerView | undefined) => {
      const key = realServerKey(name, address, port);
      const h = health.get(key);
      return {
        address,
        port,
        endpoint: formatEndpoint(address, port),
        health: h ? (h.up ? 'up' : 'down') : 'unmanaged',
        checks: h ? h.checks.map((c) => ({ type: c.type, up: c.up })) : [],
        reason: extras.reasons.get(key) ?? null,
        configuredWeight,
        ...fromView(v),
      } satisfies StatusRealServer;
    };
    for (const rs of conf?.realServers ?? []) {
      const address = canonical(rs.address);
      const port = rs.port ?? conf?.port ?? 0;
      const k = `${address}|${port}`;
      realServers.push(row(address, port, rs.weight ?? 1, dests.get(k)));
      dests.delete(k);
    }
    for (const d of dests.values()) realServers.push(row(canonical(d.address), d.port, null, d));
    const sorryConf = conf?.health?.sorryServer;
    const sorryServer = sorryConf
      ? row(canonical(sorryConf.address), sorryConf.port ?? conf.port, sorryConf.weight ?? 1, view?.sorryServer)
      : view?.sorryServer
        ? row(canonical(view.sorryServer.address), view.sorryServer.port, null, view.sorryServer)
        : null;
    const n = view?.config;
    const kind = n?.kind ?? 'address';
    const address = n ? n.address : (conf?.address ?? '');
    const port = n?.port ?? conf?.port ?? 0;
    services.push({
      name,
      protocol: n?.protocol ?? conf?.protocol ?? 'tcp',
      kind,
      address,
      port,
      fwmark: n?.fwmark ?? 0,
      endpoint: kind === 'fwmark' ? `FWM ${n?.fwmark ?? 0}` : formatEndpoint(address, port),
      scheduler: n?.scheduler ?? conf?.scheduler ?? 'wlc',
      flags: n?.flags ?? conf?.schedulerFlags ?? [],
      persistence: n?.persistent ? { timeout: n.timeout, netmask: netmaskText(n.family, n.netmask) } : null,
      quorum: controller
        ? { up: controller.quorumUp, liveWeight: controller.liveWeight(), quorum: controller.figures.quorum }
        : null,
      configured: conf !== undefined,
      inTable: view !== undefined,
      stats: view?.stats ?? null,
      rate: extras.latest?.services[name] ?? null,
      realServers,
      sorryServer,
    });
  };
  for (const s of config.services) add(s.name);
  for (const name of table.keys()) if (!seen.has(name)) add(name);

  const vipAddress = new Map([...config.vips].map(([name, v]) => [name, v.address]));
  const owner = new Map<string, string>();
  for (const inst of config.instances) for (const v of inst.vips) owner.set(v, inst.name);
  const serving = new Set(director.serving);
  const vrrp: StatusVrrp[] = config.instances.map((inst) => {
    const r = director.router(inst.name);
    return {
      instance: inst.name,
      state: r?.state ?? 'INIT',
      priority: inst.priority ?? (inst.state === 'MASTER' ? 255 : 100),
      effectivePriority: r?.effectivePriority ?? inst.priority ?? 100,
      interface: inst.interface,
      virtualRouterId: inst.virtualRouterId,
      vips: inst.vips.map((v) => vipAddress.get(v) ?? v),
      adverts: { sent: r?.stats.advertsSent ?? 0, received: r?.stats.advertsReceived ?? 0 },
      lastTransition: extras.transitions.get(inst.name) ?? null,
    };
  });
  return {
    now: director.clock.now(),
    wallTime: Date.now(),
    host: extras.host,
    lifecycle: director.status().lifecycle,
    vips: [...config.vips].map(([name, v]) => ({
      name,
      address: v.address,
      serving: serving.has(v.address),
      instance: owner.get(name) ?? null,
    })),
    services,
    vrrp,
    sync: syncStatus(director),
    announce: director.scaleOut
      ? {
          vips: director.scaleOut.status().map((v) => ({ vip: v.vip, prefix: v.prefix, announced: v.announced })),
          peers: director.scaleOut.peers().map((x) => ({ address: x.address, as: x.as, state: x.state })),
        }
      : null,
    totals: director.ipvs.totals(),
    rate: extras.latest?.total ?? null,
    sampledAt: extras.latest?.at ?? null,
    events: extras.events,
    lastEventSeq: extras.lastEventSeq,
  };
}

function syncStatus(director: Director): StatusSync {
  const s = director.config.sync;
  const daemons = director.syncDaemons().map((d): StatusSyncDaemon => {
    const o = d.options;
    const c = d.counters();
    const sum = (r: Readonly<Record<string, number>>) => Object.values(r).reduce((a, n) => a + n, 0);
    return {
      role: d.role,
      running: d.running,
      interface: o.interface,
      syncid: o.syncid,
      group: o.group,
      port: o.port,
      ttl: o.ttl,
      maxLen: o.maxLen,
      version: o.version,
      peers: o.peers,
      extensions: o.extensions,
      messagesSent: c.messagesSent,
      recordsSent: c.recordsSent,
      messagesReceived: c.messagesReceived,
      recordsReceived: c.recordsReceived,
      recordsApplied: c.recordsApplied,
      drops:
        sum(c.recordDrops) +
        sum(c.messageDrops) +
        sum(c.applyDrops) +
        sum(c.authDrops) +
        c.notFromPeer +
        c.queueFull +
        c.recordsSkipped,
      gaps: c.gaps,
      lostMessages: c.lostMessages,
      resyncs: c.resyncs,
      lagMs: c.lagMs ?? null,
      lastMessageAt: (d.role === 'master' ? c.lastSentAt : c.lastReceivedAt) ?? null,
    };
  });
  return { instance: s?.instance ?? null, roles: s?.roles ?? null, daemons };
}

// ------------------------------------------------------------------ events as lines

function changeText(c: IpvsChange): string {
  switch (c.op) {
    case 'addService':
    case 'removeService':
      return `${c.op === 'addService' ? 'add' : 'remove'} service ${c.service}`;
    case 'editService':
      return `edit service ${c.service} (${c.fields.join(', ')})`;
    case 'addRealServer':
      return `${c.service}: add ${formatEndpoint(c.server.address, c.server.port)} weight ${c.server.weight}`;
    case 'removeRealServer':
      return `${c.service}: remove ${formatEndpoint(c.server.address, c.server.port)}`;
    case 'editRealServer':
      return c.fields.length === 1 && c.fields[0] === 'weight'
        ? `${c.service}: ${formatEndpoint(c.server.address, c.server.port)} weight ${c.server.weight}`
        : `${c.service}: ${formatEndpoint(c.server.address, c.server.port)} ${c.fields.join(', ')} (weight ${c.server.weight})`;
    case 'setTimeouts':
      return `timeouts tcp ${c.tcp} tcpfin ${c.tcpfin} udp ${c.udp}`;
  }
}

function changesText(changes: readonly IpvsChange[]): string {
  if (changes.length === 0) return 'no changes';
  const shown = changes.slice(0, 6).map(changeText).join('; ');
  return changes.length > 6 ? `${shown}; … ${changes.length - 6} more` : shown;
}

/** The events the timeline shows: every director event, and each check's transitions from health. */
export type TimelineEvents = DirectorEvents & {
  /** A check of a real server started passing. */
  checkerUp: CheckTransition;
  /** A check of a real server started failing. */
  checkerDown: CheckTransition;
};

/** A check transition as health emits it. */
export interface CheckTransition {
  /** Service. */
  readonly service: string;
  /** Real server. */
  readonly server: { readonly address: string; readonly port: number };
  /** Index of the check. */
  readonly index: number;
  /** Check type. */
  readonly kind: string;
  /** Reason (the checker's message). */
  readonly reason: string;
}

/**
 * One timeline line for an event, with its level.
 * @param type - the event's name
 * @param e - its payload
 */
export function describeEvent<K extends keyof TimelineEvents>(
  type: K,
  e: TimelineEvents[K],
): { level: StatusEvent['level']; text: string } {
  const ep = (address: string, port: number) => formatEndpoint(canonical(address), port);
  switch (type) {
    case 'started':
      return { level: 'info', text: 'director started' };
    case 'stopped':
      return { level: 'warn', text: 'director stopped' };
    case 'serving': {
      const x = e as TimelineEvents['serving'];
      const by = x.instance ? ` (${x.instance})` : '';
      return x.serving
        ? { level: 'info', text: `${x.vip}: serving${by}` }
        : { level: 'warn', text: `${x.vip}: not serving${by}` };
    }
    case 'vrrpTransition': {
      const x = e as TimelineEvents['vrrpTransition'];
      return {
        level: x.to === 'FAULT' ? 'error' : x.from === 'MASTER' ? 'warn' : 'info',
        text: `${x.instance}: ${x.from} -> ${x.to} (${x.reason}), priority ${x.priority}`,
      };
    }
    case 'realServerUp':
    case 'realServerDown': {
      const x = e as TimelineEvents['realServerUp'];
      const up = type === 'realServerUp';
      return {
        level: up ? 'info' : 'warn',
        text: `${x.service}: ${ep(x.address, x.port)} ${up ? 'up' : 'down'}${x.reason ? ` (${x.reason})` : ''}`,
      };
    }
    case 'checkerUp':
    case 'checkerDown': {
      const x = e as CheckTransition;
      const up = type === 'checkerUp';
      return {
        level: up ? 'info' : 'warn',
        text: `${x.service}: ${ep(x.server.address, x.server.port)} check ${x.index} (${x.kind}) ${up ? 'passes' : 'fails'}${x.reason ? `: ${x.reason}` : ''}`,
      };
    }
    case 'quorumUp':
    case 'quorumDown': {
      const x = e as TimelineEvents['quorumUp'];
      const up = type === 'quorumUp';
      return {
        level: up ? 'info' : 'error',
        text: `${x.service}: quorum ${up ? 'up' : 'lost'} (live weight ${x.liveWeight}, quorum ${x.threshold})`,
      };
    }
    case 'tableChanged': {
      const x = e as TimelineEvents['tableChanged'];
      return { level: 'info', text: `table (${x.cause}): ${changesText(x.changes)}` };
    }
    case 'reloaded': {
      const x = e as TimelineEvents['reloaded'];
      return { level: 'info', text: `reloaded: ${x.changes.length} change${x.changes.length === 1 ? '' : 's'}` };
    }
    case 'syncStarted': {
      const x = e as TimelineEvents['syncStarted'];
      return {
        level: 'info',
        text: `sync: ${x.role} daemon started (mcast=${x.interface}, syncid=${x.syncid}; ${x.cause})`,
      };
    }
    case 'syncStopped': {
      const x = e as TimelineEvents['syncStopped'];
      return { level: x.cause === 'failed' ? 'error' : 'info', text: `sync: ${x.role} daemon stopped (${x.cause})` };
    }
    case 'syncResync': {
      const x = e as TimelineEvents['syncResync'];
      const lost = x.lost > 0 ? `, ${x.lost} message${x.lost === 1 ? '' : 's'} lost` : '';
      return {
        level: x.lost > 0 ? 'warn' : 'info',
        text: `sync: bulk resync ${x.phase} (${x.role}, ${x.peer}, ${x.entries} entries${lost})`,
      };
    }
    case 'announced': {
      const x = e as TimelineEvents['announced'];
      return { level: 'info', text: `announce: ${x.vip} (${x.prefix}) announced` };
    }
    case 'withdrawn': {
      const x = e as TimelineEvents['withdrawn'];
      return {
        level: x.reason === 'quorum' ? 'error' : 'warn',
        text: `announce: ${x.vip} (${x.prefix}) withdrawn (${x.reason})`,
      };
    }
    case 'warning': {
      const x = e as TimelineEvents['warning'];
      return { level: 'warn', text: `${x.source}: ${x.message}` };
    }
    case 'error': {
      const x = e as TimelineEvents['error'];
      const code = LvsError.is(x.error) ? `${x.error.code}: ` : '';
      return { level: 'error', text: `${x.source}: ${code}${x.error.message}` };
    }
    default:
      return { level: 'info', text: String(type) };
  }
}
