/**
 * Prometheus metrics of a running {@link Director}, on a prom-client `Registry`. The IPVS figures carry the
 * names, help texts and labels of node_exporter's IPVS collector under an `lvskit_` prefix instead of `node_`
 * (`lvskit_ipvs_connections_total`, `lvskit_ipvs_backend_weight{local_address,local_port,remote_address,
 * remote_port,proto,local_mark}`, …), with the label values node_exporter reads from `/proc/net/ip_vs`, so a
 * dashboard written for node_exporter ports by a rename. Beside them: health state and transitions per real
 * server and per check, quorum per service, VRRP state, priority, transitions and advert counters per
 * instance, the VIPs served, and the datapath's drops by reason.
 *
 * Everything but the transition counters is read from the director when scraped (nothing is computed on the
 * packet path); the transition counters count the director's events from the moment `directorMetrics` is
 * called. `serveMetrics` is the opt-in HTTP endpoint.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { DROP_REASON_NAMES, formatEndpoint, formatIp, LvsError, parseIp } from '@lvskit/base';
import type { SyncCounters } from '@lvskit/sync';
import type { VrrpState } from '@lvskit/vrrp';
import { Counter, Gauge, Registry } from 'prom-client';
import type { Director } from './director.js';

/** Options of {@link directorMetrics}. */
export interface DirectorMetricsOptions {
  /** The registry to register on; default a new one. */
  readonly registry?: Registry;
  /**
   * Prefix of every metric name; default `lvskit_`. Give another one to put two directors on one registry
   * (or, better, one registry each with `registry.setDefaultLabels`).
   */
  readonly prefix?: string;
}

/** The labels node_exporter's IPVS collector puts on its per-backend metrics, in its order. */
export const IPVS_BACKEND_LABELS = [
  'local_address',
  'local_port',
  'remote_address',
  'remote_port',
  'proto',
  'local_mark',
] as const;

type BackendLabel = (typeof IPVS_BACKEND_LABELS)[number];
type BackendLabels = Record<BackendLabel, string>;

const VRRP_STATES: readonly VrrpState[] = ['INIT', 'BACKUP', 'MASTER', 'FAULT'];

/** Per-backend sums of one scrape (node_exporter sums backends whose label values coincide). */
interface Backend {
  readonly labels: BackendLabels;
  active: number;
  inactive: number;
  weight: number;
}

/** A real server as the health metrics name it (the status page reads the same rows). @internal */
export interface HealthRow {
  readonly labels: { service: string; remote_address: string; remote_port: string };
  readonly up: boolean;
  readonly checks: readonly { readonly index: number; readonly type: string; readonly up: boolean }[];
}

/** What one scrape reads from the director: computed once, shared by every collector of that scrape. */
interface Snapshot {
  readonly backends: readonly Backend[];
  readonly health: readonly HealthRow[];
}

/**
 * The label values of a virtual service as node_exporter sets them from `/proc/net/ip_vs`: `proto` is the
 * kernel's `TCP`/`UDP`/`SCTP`, or `FWM` for a firewall-mark service, whose `local_mark` is the mark as the
 * kernel prints it (`%08X`), `local_address` empty and `local_port` 0.
 */
function serviceLabels(config: {
  readonly kind: 'address' | 'fwmark';
  readonly protocol: string;
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
  readonly port: number;
  readonly fwmark: number;
}): Pick<BackendLabels, 'local_address' | 'local_port' | 'proto' | 'local_mark'> {
  if (config.kind === 'fwmark') {
    return {
      local_address: '',
      local_port: '0',
      proto: 'FWM',
      local_mark: (config.fwmark >>> 0).toString(16).toUpperCase().padStart(8, '0'),
    };
  }
  const bytes = config.family === 4 ? config.bytes.subarray(0, 4) : config.bytes;
  return {
    local_address: formatIp(bytes, config.family),
    local_port: String(config.port),
    proto: config.protocol.toUpperCase(),
    local_mark: '',
  };
}

/** An address in canonical text (`formatIp(parseIp(…))`). @internal */
export function canonical(address: string): string {
  return formatIp(parseIp(address));
}

function readBackends(director: Director): Backend[] {
  const sums = new Map<string, Backend>();
  for (const service of director.ipvs.list()) {
    const local = serviceLabels(service.config);
    const dests = service.sorryServer ? [...service.realServers, service.sorryServer] : service.realServers;
    for (const d of dests) {
      const labels: BackendLabels = {
        local_address: local.local_address,
        local_port: local.local_port,
        remote_address: canonical(d.address),
        remote_port: String(d.port),
        proto: local.proto,
        local_mark: local.local_mark,
      };
      const key = IPVS_BACKEND_LABELS.map((l) => labels[l]).join('\u0000');
      const sum = sums.get(key) ?? { labels, active: 0, inactive: 0, weight: 0 };
      sum.active += d.activeConns;
      sum.inactive += d.inactiveConns;
      sum.weight += d.weight;
      sums.set(key, sum);
    }
  }
  return [...sums.values()];
}

/**
 * Health of every configured real server, in config order: up or down as the service's controller sees it,
 * and each check's state. Shared by the metrics and the status page (`status/snapshot.ts`). @internal
 */
export function readHealth(director: Director): HealthRow[] {
  const rows: HealthRow[] = [];
  for (const s of director.config.services) {
    const controller = director.health.controller(s.name);
    for (const rs of s.realServers) {
      const address = canonical(rs.address);
      const port = rs.port ?? s.port;
      const id = formatEndpoint(address, port);
      const status = director.health.realServerStatus(s.name, id);
      rows.push({
        labels: { service: s.name, remote_address: address, remote_port: String(port) },
        up: controller?.isAlive(id) ?? status?.up ?? false,
        checks: (status?.checkers ?? []).map((c, index) => ({ index, type: c.kind, up: c.state.up })),
      });
    }
  }
  return rows;
}

/**
 * Registers collectors for a director on a prom-client registry and returns the registry. Metric names use
 * `options.prefix` (default `lvskit_`):
 * - node_exporter's IPVS collector, renamed: `ipvs_connections_total`, `ipvs_incoming_packets_total`,
 *   `ipvs_outgoing_packets_total`, `ipvs_incoming_bytes_total`, `ipvs_outgoing_bytes_total` (the table's
 *   totals), and `ipvs_backend_connections_active`, `ipvs_backend_connections_inactive`,
 *   `ipvs_backend_weight` per backend with {@link IPVS_BACKEND_LABELS} (a sorry server counts as a backend,
 *   as it is one in the kernel's table);
 * - health: `realserver_up` and `realserver_transitions_total{state}` per real server (`service`,
 *   `remote_address`, `remote_port`), `check_up` and `check_transitions_total{state}` per check (plus
 *   `check`, its index in the real server's checks, and `type`), `service_quorum_up` and
 *   `service_quorum_transitions_total{state}` per service;
 * - VRRP per `vrrp_instance` (not `instance`, which Prometheus sets to the scrape target): `vrrp_state{state}` (1 for the current state, 0 for the others), `vrrp_priority`
 *   (effective), `vrrp_transitions_total{from,to}`, `vrrp_adverts_sent_total`, `vrrp_adverts_received_total`,
 *   `vrrp_priority_zero_sent_total`, `vrrp_priority_zero_received_total`, `vrrp_advert_drops_total{reason}`
 *   (the advert counters are the router's own: they restart from 0 when a reload restarts the instance);
 * - `vip_serving{vip}` per configured VIP, `director_running`;
 * - with a datapath: `datapath_drops_total{reason}` for every drop reason (base `DropReason` names) and
 *   `datapath_events_total{event}` for its other counters;
 * - per running sync daemon (`role` master or backup): `sync_messages_sent_total`, `sync_records_sent_total`,
 *   `sync_datagrams_sent_total`, `sync_send_errors_total`, `sync_messages_received_total`,
 *   `sync_records_received_total`, `sync_records_applied_total`, `sync_drops_total{kind,reason}`,
 *   `sync_gaps_total`, `sync_lost_messages_total`, `sync_resyncs_total`, `sync_resync_entries_total`,
 *   `sync_daemon_running`, `sync_lag_seconds`, `sync_last_message_age_seconds`.
 * @param director - the director to read (created, running or stopped)
 * @param options - registry and prefix
 * @returns the registry
 * @throws Error from prom-client when a metric of the same name is already registered
 */
export function directorMetrics(director: Director, options: DirectorMetricsOptions = {}): Registry {
  const registry = options.registry ?? new Registry();
  const p = options.prefix ?? 'lvskit_';
  const registers = [registry];

  let cached: Snapshot | undefined;
  // Every collector of one scrape runs in the same synchronous pass: they share one snapshot.
  const snapshot = (): Snapshot => {
    if (cached) return cached;
    cached = { backends: readBackends(director), health: readHealth(director) };
    queueMicrotask(() => {
      cached = undefined;
    });
    return cached;
  };

  // ---------------------------------------------------------------- IPVS (node_exporter's names and help)
  const totals: [string, string, 'conns' | 'inpkts' | 'outpkts' | 'inbytes' | 'outbytes'][] = [
    ['connections_total', 'The total number of connections made.', 'conns'],
    ['incoming_packets_total', 'The total number of incoming packets.', 'inpkts'],
    ['outgoing_packets_total', 'The total number of outgoing packets.', 'outpkts'],
    ['incoming_bytes_total', 'The total amount of incoming data.', 'inbytes'],
    ['outgoing_bytes_total', 'The total amount of outgoing data.', 'outbytes'],
  ];
  for (const [name, help, field] of totals) {
    const c: Counter = new Counter({
      name: `${p}ipvs_${name}`,
      help,
      registers,
      collect: () => {
        c.reset();
        c.inc(director.ipvs.totals()[field]);
      },
    });
  }
  const backend: [string, string, 'active' | 'inactive' | 'weight'][] = [
    ['backend_connections_active', 'The current active connections by local and remote address.', 'active'],
    ['backend_connections_inactive', 'The current inactive connections by local and remote address.', 'inactive'],
    ['backend_weight', 'The current backend weight by local and remote address.', 'weight'],
  ];
  for (const [name, help, field] of backend) {
    const g: Gauge<BackendLabel> = new Gauge({
      name: `${p}ipvs_${name}`,
      help,
      labelNames: IPVS_BACKEND_LABELS,
      registers,
      collect: () => {
        g.reset();
        for (const b of snapshot().backends) g.set(b.labels, b[field]);
      },
    });
  }

  // ---------------------------------------------------------------- health
  const rsLabels = ['service', 'remote_address', 'remote_port'] as const;
  const rsUp: Gauge<(typeof rsLabels)[number]> = new Gauge({
    name: `${p}realserver_up`,
    help: 'Whether the real server passes its checks (1) or not (0).',
    labelNames: rsLabels,
    registers,
    collect: () => {
      rsUp.reset();
      for (const row of snapshot().health) rsUp.set(row.labels, row.up ? 1 : 0);
    },
  });
  const rsTransitions = new Counter({
    name: `${p}realserver_transitions_total`,
    help: 'Health transitions of the real server, by the state it went to.',
    labelNames: [...rsLabels, 'state'] as const,
    registers,
  });
  const checkLabels = [...rsLabels, 'check', 'type'] as const;
  const checkUp: Gauge<(typeof checkLabels)[number]> = new Gauge({
    name: `${p}check_up`,
    help: "Whether the check passes (1) or not (0); check is its index in the real server's checks.",
    labelNames: checkLabels,
    registers,
    collect: () => {
      checkUp.reset();
      for (const row of snapshot().health)
        for (const c of row.checks) checkUp.set({ ...row.labels, check: String(c.index), type: c.type }, c.up ? 1 : 0);
    },
  });
  const checkTransitions = new Counter({
    name: `${p}check_transitions_total`,
    help: 'Transitions of the check, by the state it went to.',
    labelNames: [...checkLabels, 'state'] as const,
    registers,
  });
  const quorumUp: Gauge<'service'> = new Gauge({
    name: `${p}service_quorum_up`,
    help: 'Whether the virtual service has quorum (1) or runs on its sorry server (0).',
    labelNames: ['service'] as const,
    registers,
    collect: () => {
      quorumUp.reset();
      for (const s of director.config.services) {
        const c = director.health.controller(s.name);
        if (c) quorumUp.set({ service: s.name }, c.quorumUp ? 1 : 0);
      }
    },
  });
  const quorumTransitions = new Counter({
    name: `${p}service_quorum_transitions_total`,
    help: 'Quorum transitions of the virtual service, by the state it went to.',
    labelNames: ['service', 'state'] as const,
    registers,
  });

  // ---------------------------------------------------------------- VRRP
  const vrrpState: Gauge<'vrrp_instance' | 'state'> = new Gauge({
    name: `${p}vrrp_state`,
    help: 'VRRP state of the instance: 1 for the state it is in, 0 for the others.',
    labelNames: ['vrrp_instance', 'state'] as const,
    registers,
    collect: () => {
      vrrpState.reset();
      for (const v of director.status().vrrp)
        for (const state of VRRP_STATES) vrrpState.set({ vrrp_instance: v.instance, state }, v.state === state ? 1 : 0);
    },
  });
  const vrrpPriority: Gauge<'vrrp_instance'> = new Gauge({
    name: `${p}vrrp_priority`,
    help: 'Effective VRRP priority of the instance (base priority plus tracking weights), as sent in adverts.',
    labelNames: ['vrrp_instance'] as const,
    registers,
    collect: () => {
      vrrpPriority.reset();
      for (const v of director.status().vrrp) {
        const r = director.router(v.instance);
        if (r) vrrpPriority.set({ vrrp_instance: v.instance }, r.effectivePriority);
      }
    },
  });
  const vrrpTransitions = new Counter({
    name: `${p}vrrp_transitions_total`,
    help: 'VRRP state transitions of the instance.',
    labelNames: ['vrrp_instance', 'from', 'to'] as const,
    registers,
  });
  const advertCounters: [
    string,
    string,
    'advertsSent' | 'advertsReceived' | 'priorityZeroSent' | 'priorityZeroReceived',
  ][] = [
    ['adverts_sent_total', 'VRRP adverts sent by the instance.', 'advertsSent'],
    ['adverts_received_total', 'VRRP adverts received by the instance that passed validation.', 'advertsReceived'],
    ['priority_zero_sent_total', 'Priority-0 adverts (releasing MASTER) sent by the instance.', 'priorityZeroSent'],
    ['priority_zero_received_total', 'Priority-0 adverts received by the instance.', 'priorityZeroReceived'],
  ];
  for (const [name, help, field] of advertCounters) {
    const c: Counter<'vrrp_instance'> = new Counter({
      name: `${p}vrrp_${name}`,
      help,
      labelNames: ['vrrp_instance'] as const,
      registers,
      collect: () => {
        c.reset();
        for (const v of director.status().vrrp) {
          const r = director.router(v.instance);
          if (r) c.inc({ vrrp_instance: v.instance }, r.stats[field]);
        }
      },
    });
  }
  const advertDrops: Counter<'vrrp_instance' | 'reason'> = new Counter({
    name: `${p}vrrp_advert_drops_total`,
    help: 'VRRP adverts the instance dropped, by reason.',
    labelNames: ['vrrp_instance', 'reason'] as const,
    registers,
    collect: () => {
      advertDrops.reset();
      for (const v of director.status().vrrp) {
        const r = director.router(v.instance);
        if (!r) continue;
        for (const [reason, n] of Object.entries(r.drops))
          advertDrops.inc({ vrrp_instance: v.instance, reason }, n ?? 0);
      }
    },
  });

  // ---------------------------------------------------------------- serving, lifecycle
  const serving: Gauge<'vip'> = new Gauge({
    name: `${p}vip_serving`,
    help: 'Whether the director serves the VIP now (forwards, answers ARP/NS for it): 1, or not: 0.',
    labelNames: ['vip'] as const,
    registers,
    collect: () => {
      serving.reset();
      const now = new Set(director.serving);
      for (const v of director.config.vips.values()) serving.set({ vip: v.address }, now.has(v.address) ? 1 : 0);
    },
  });
  const running: Gauge = new Gauge({
    name: `${p}director_running`,
    help: 'Whether the director is running (started and not stopped): 1, or not: 0.',
    registers,
    collect: () => {
      running.set(director.status().lifecycle === 'running' ? 1 : 0);
    },
  });

  // ---------------------------------------------------------------- datapath
  if (director.datapath) {
    const datapath = director.datapath;
    const drops: Counter<'reason'> = new Counter({
      name: `${p}datapath_drops_total`,
      help: 'Packets and frames the datapath dropped, by reason.',
      labelNames: ['reason'] as const,
      registers,
      collect: () => {
        drops.reset();
        for (let i = 1; i < DROP_REASON_NAMES.length; i++)
          drops.inc({ reason: DROP_REASON_NAMES[i]! }, datapath.drops[i] ?? 0);
      },
    });
    const events: Counter<'event'> = new Counter({
      name: `${p}datapath_events_total`,
      help: 'Datapath counters other than drops (frames received, forwarded, ARP answered, …), by event.',
      labelNames: ['event'] as const,
      registers,
      collect: () => {
        events.reset();
        for (const [name, n] of Object.entries(datapath.counterValues()))
          if (!name.startsWith('DROP_')) events.inc({ event: name.toLowerCase() }, n);
      },
    });
  }

  // ---------------------------------------------------------------- sync daemons
  syncMetrics(director, p, registers);
  announceMetrics(director, p, registers);

  // ---------------------------------------------------------------- events
  const rs = (e: { service: string; address: string; port: number }) => ({
    service: e.service,
    remote_address: canonical(e.address),
    remote_port: String(e.port),
  });
  director.on('realServerUp', (e) => rsTransitions.inc({ ...rs(e), state: 'up' }));
  director.on('realServerDown', (e) => rsTransitions.inc({ ...rs(e), state: 'down' }));
  const onCheck = (e: {
    service: string;
    server: { address: string; port: number };
    index: number;
    kind: string;
    up: boolean;
  }) =>
    checkTransitions.inc({
      ...rs({ service: e.service, address: e.server.address, port: e.server.port }),
      check: String(e.index),
      type: e.kind,
      state: e.up ? 'up' : 'down',
    });
  director.health.on('checkerUp', onCheck);
  director.health.on('checkerDown', onCheck);
  director.on('quorumUp', (e) => quorumTransitions.inc({ service: e.service, state: 'up' }));
  director.on('quorumDown', (e) => quorumTransitions.inc({ service: e.service, state: 'down' }));
  director.on('vrrpTransition', (e) => vrrpTransitions.inc({ vrrp_instance: e.instance, from: e.from, to: e.to }));
  return registry;
}

/**
 * The sync daemons' counters (`SyncDaemon.counters()` of `@lvskit/sync`), per running daemon with its
 * `role` label; read at scrape time, so a daemon that stopped leaves the series and one that restarts counts
 * from 0 again (`rate()` handles that).
 */
function syncMetrics(director: Director, p: string, registers: Registry[]): void {
  const counters: [string, string, (c: SyncCounters) => number][] = [
    [
      'messages_sent_total',
      'Sync messages the master sent (a message to several peers counts once).',
      (c) => c.messagesSent,
    ],
    ['records_sent_total', 'Connection records in the sync messages the master sent.', (c) => c.recordsSent],
    [
      'datagrams_sent_total',
      'Sync datagrams handed to the socket (messages times destinations).',
      (c) => c.datagramsSent,
    ],
    ['send_errors_total', 'Sync sends the socket reported failed.', (c) => c.sendErrors],
    ['messages_received_total', 'Sync datagrams the backup received, before any check.', (c) => c.messagesReceived],
    ['records_received_total', 'Connection records decoded from accepted sync messages.', (c) => c.recordsReceived],
    ['records_applied_total', 'Synced records the backup created or updated in its table.', (c) => c.recordsApplied],
    ['gaps_total', 'Sequence gaps the backup saw (sequence extension).', (c) => c.gaps],
    ['lost_messages_total', 'Sync messages lost in those gaps (sequence extension).', (c) => c.lostMessages],
    ['resyncs_total', 'Bulk resyncs asked for (backup) or served (master).', (c) => c.resyncs],
    ['resync_entries_total', 'Entries sent (master) or received (backup) in bulk resyncs.', (c) => c.resyncEntries],
  ];
  for (const [name, help, read] of counters) {
    const c: Counter<'role'> = new Counter({
      name: `${p}sync_${name}`,
      help,
      labelNames: ['role'] as const,
      registers,
      collect: () => {
        c.reset();
        for (const d of director.syncDaemons()) c.inc({ role: d.role }, read(d.counters()));
      },
    });
  }
  const drops: Counter<'role' | 'kind' | 'reason'> = new Counter({
    name: `${p}sync_drops_total`,
    help: 'What a sync daemon dropped, by kind (record, message, apply, auth, peer, queue, skipped) and reason: the decoder drops a record or the rest of a message as ip_vs_sync.c does, the table refuses a record, the extension layer refuses a datagram, a unicast backup a sender that is not its peer, the master a record when its buffers are full or one it cannot encode.',
    labelNames: ['role', 'kind', 'reason'] as const,
    registers,
    collect: () => {
      drops.reset();
      for (const d of director.syncDaemons()) {
        const c = d.counters();
        const role = d.role;
        const add = (kind: string, by: Readonly<Record<string, number>>) => {
          for (const [reason, n] of Object.entries(by)) drops.inc({ role, kind, reason }, n);
        };
        add('record', c.recordDrops);
        add('message', c.messageDrops);
        add('apply', c.applyDrops);
        add('auth', c.authDrops);
        drops.inc({ role, kind: 'peer', reason: 'not-a-peer' }, c.notFromPeer);
        drops.inc({ role, kind: 'queue', reason: 'queue-full' }, c.queueFull);
        drops.inc({ role, kind: 'skipped', reason: 'not-encodable' }, c.recordsSkipped);
      }
    },
  });
  const running: Gauge<'role'> = new Gauge({
    name: `${p}sync_daemon_running`,
    help: 'Whether the sync daemon of the role runs (1) or is starting (0); absent when there is none.',
    labelNames: ['role'] as const,
    registers,
    collect: () => {
      running.reset();
      for (const d of director.syncDaemons()) running.set({ role: d.role }, d.running ? 1 : 0);
    },
  });
  const lag: Gauge<'role'> = new Gauge({
    name: `${p}sync_lag_seconds`,
    help: "How long the oldest record of the last sync message waited in the master's buffer before it was sent (backup: as the master reported it, extensions on). Absent when it cannot be measured.",
    labelNames: ['role'] as const,
    registers,
    collect: () => {
      lag.reset();
      for (const d of director.syncDaemons()) {
        const ms = d.counters().lagMs;
        if (ms !== undefined) lag.set({ role: d.role }, ms / 1000);
      }
    },
  });
  const age: Gauge<'role'> = new Gauge({
    name: `${p}sync_last_message_age_seconds`,
    help: "Time since the daemon's last sync message (sent by a master, accepted by a backup), on the director's clock; absent before the first.",
    labelNames: ['role'] as const,
    registers,
    collect: () => {
      age.reset();
      const now = director.clock.now();
      for (const d of director.syncDaemons()) {
        const c = d.counters();
        const at = d.role === 'master' ? c.lastSentAt : c.lastReceivedAt;
        if (at !== undefined) age.set({ role: d.role }, Math.max(0, now - at) / 1000);
      }
    },
  });
}

/**
 * Scale-out announcement (the `announce` block): whether each VIP is announced now, the BGP peers' sessions,
 * and the withdrawals by reason. Read from `director.scaleOut` at scrape time; absent without one.
 */
function announceMetrics(director: Director, p: string, registers: Registry[]): void {
  const announced: Gauge<'vip' | 'prefix'> = new Gauge({
    name: `${p}announce_announced`,
    help: 'Whether the VIP is announced to the BGP peers now (1) or withdrawn (0): its services have quorum, no drain, running.',
    labelNames: ['vip', 'prefix'] as const,
    registers,
    collect: () => {
      announced.reset();
      for (const v of director.scaleOut?.status() ?? [])
        announced.set({ vip: v.vip, prefix: v.prefix }, v.announced ? 1 : 0);
    },
  });
  const peers: Gauge<'peer' | 'state'> = new Gauge({
    name: `${p}bgp_peer_state`,
    help: "The BGP session state of each peer of the director's speaker (RFC 4271 states; 1 for the current one).",
    labelNames: ['peer', 'state'] as const,
    registers,
    collect: () => {
      peers.reset();
      for (const x of director.scaleOut?.peers() ?? []) peers.set({ peer: x.address, state: x.state }, 1);
    },
  });
  const withdrawals = new Counter({
    name: `${p}announce_withdrawals_total`,
    help: 'VIP withdrawals, by reason: quorum (a service lost it), drain, stop.',
    labelNames: ['vip', 'reason'] as const,
    registers,
  });
  director.on('withdrawn', (e) => withdrawals.inc({ vip: e.vip, reason: e.reason }));
}

/** Options of {@link serveMetrics}. */
export interface ServeMetricsOptions {
  /** TCP port; 0 picks a free one (read it from `server.address()`). */
  readonly port: number;
  /** Address to listen on; default `127.0.0.1` (give `0.0.0.0` or `::` for a Prometheus on another host). */
  readonly host?: string;
  /** Path of the metrics; default `/metrics`. */
  readonly path?: string;
}

/**
 * Serves a registry over HTTP: `GET /metrics` (or `HEAD`) answers the registry's text exposition with its
 * content type; other paths 404, other methods 405, a collector that throws 500. Opt-in: nothing listens
 * unless this is called. `server.close()` stops it (Node closes idle keep-alive connections with it).
 * @param registry - what to serve (from {@link directorMetrics})
 * @param options - port, host and path
 * @returns the server, once it listens
 * @throws LvsError `INVALID_ARGUMENT` for a bad port; the listen error (e.g. `EADDRINUSE`) rejects
 */
export async function serveMetrics(registry: Registry, options: ServeMetricsOptions): Promise<Server> {
  const { port, host = '127.0.0.1', path = '/metrics' } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new LvsError('INVALID_ARGUMENT', `serveMetrics: port must be an integer 0..65535, got ${String(port)}`);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== path) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end();
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`${err instanceof Error ? err.message : String(err)}\n`);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
