/**
 * The IPVS sync daemons over UDP (`ipvsadm --start-daemon master|backup`): a master that sends the records
 * the engine hands its `SyncSink` to a multicast group (224.0.0.81:8848 by default, TTL 1, no loop, from the
 * interface's address: `make_send_sock` in net/netfilter/ipvs/ip_vs_sync.c) or to unicast peers, and a
 * backup that joins the group on the interface (or takes unicast from its peers only), filters by syncid and
 * applies every record to an `Ipvs` (`sync_thread_backup`, `ip_vs_process_message`, `ip_vs_proc_conn`).
 * Both roles at once are two daemons. Off by default and opt-in: lvskit's extensions (sequence numbers,
 * bulk resync, HMAC-SHA256, see ext.ts); with them off the datagrams are exactly the kernel's. Owns sockets,
 * timers and counters; the record encoding from the table is table-codec.ts', the wire format codec.ts'.
 */
import { randomInt } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import {
  type Clock,
  canonicalIp,
  describe,
  LvsError,
  parseIp,
  systemClock,
  type TimerHandle,
  TypedEmitter,
} from '@lvskit/base';
import type { ConnTable, SyncApplyResult, SyncedEntry, SyncRules, SyncSink } from '@lvskit/core';
import {
  decodeSyncMessage,
  SYNC_GROUP_IPV4,
  SYNC_PORT,
  SYNC_V1_HEADER_LEN,
  type SyncConn,
  type SyncMessageDrop,
  type SyncRecordDrop,
  syncMaxLen,
} from './codec.js';
import './errors.js';
import {
  EXT_F_SEQUENCE,
  EXT_MAC_LEN,
  EXT_TRAILER_LEN,
  ExtKind,
  type ExtKindValue,
  type ExtRefusal,
  type ExtTrailer,
  readTrailer,
  writeTrailer,
} from './ext.js';
import { type SyncBuffer, SyncBufferPool, TableSyncSink } from './table-codec.js';

/** `IPVS_SYNC_FLUSH_TIME` (ip_vs_sync.c): a record waits at most this long in a partly filled buffer (2 s). */
export const SYNC_FLUSH_TIME_MS = 2000;
/** `DEF_MCAST_IFN` (ipvsadm.c): the default multicast interface. */
export const SYNC_DEFAULT_INTERFACE = 'eth0';
/** Message buffers the master keeps (the kernel's `sync_qlen_max` defaults to a share of memory; lvskit fixes it). */
export const SYNC_QUEUE_BUFFERS = 256;
/** Datagrams a bulk resync sends between pauses of one millisecond. */
export const SYNC_RESYNC_BURST = 16;
/** How often a starting backup repeats its bulk-resync request until a resync ends, and how many times. */
export const SYNC_RESYNC_RETRY_MS = 2000;
/** Receive buffer a backup asks for (bytes), for the bursts of a bulk resync. */
export const SYNC_RECV_BUFFER = 4 * 1024 * 1024;
/** Bulk-resync requests a backup sends before it gives up (with a warning). */
export const SYNC_RESYNC_ATTEMPTS = 5;

/**
 * The part of an `Ipvs` a sync daemon uses (`Ipvs` from @lvskit/core has all of it): the engine's sync port,
 * the backup's apply and the table walk (Interface 1 of the sync contract).
 */
export interface SyncTarget {
  /** Installs (or with `undefined` removes) the master's sink; throws on rules out of range. */
  setSyncMaster(sink: SyncSink | undefined, rules?: SyncRules): void;
  /** Applies one received entry (`ip_vs_proc_conn`). */
  applySynced(e: SyncedEntry): SyncApplyResult;
  /** Every live entry, templates before the connections they control. */
  forEachEntry(fn: (table: ConnTable, index: number) => void): void;
}

/** The extensions beyond the kernel; all off by default, and off is exactly the kernel's wire format. */
export interface SyncExtensions {
  /** Sequence numbers on every datagram and loss detection on the backup (`gap` events). */
  readonly sequence?: boolean;
  /** A (re)starting backup asks for, and the master sends, the whole table (paced). */
  readonly bulkResync?: boolean;
  /** Shared key text: HMAC-SHA256 on every datagram; a backup refuses datagrams without a good MAC. */
  readonly hmacKey?: string;
}

/** What a sync daemon is started with (ipvsadm `--start-daemon` options and lvskit's own). */
export interface SyncDaemonOptions {
  /** `master` sends, `backup` receives and applies (ipvsadm `--start-daemon master|backup`). */
  readonly role: 'master' | 'backup';
  /** Multicast interface (ipvsadm `--mcast-interface`, keepalived `lvs_sync_daemon <IF>`); default `eth0`. */
  readonly interface?: string;
  /** 0..255, default 0 (ipvsadm `--syncid`); a backup with 0 accepts every syncid. */
  readonly syncid?: number;
  /** Multicast group (ipvsadm `--mcast-group`), IPv4 or IPv6; default 224.0.0.81. */
  readonly group?: string;
  /** UDP port (ipvsadm `--mcast-port`); default 8848. */
  readonly port?: number;
  /** Multicast TTL / hop limit, 1..255 (ipvsadm `--mcast-ttl`); default 1. */
  readonly ttl?: number;
  /** Message size limit, 1..65507 (ipvsadm `--sync-maxlen`); default as `start_sync_thread` computes it. */
  readonly maxLen?: number;
  /** Message version, 0 or 1 (sysctl `sync_version`); default 1. */
  readonly version?: 0 | 1;
  /**
   * Unicast instead of multicast (lvskit): a master sends every message to each peer's `port`; a backup
   * accepts datagrams from these addresses only.
   */
  readonly peers?: readonly string[];
  /** Local address to bind and send from; default the interface's first address of the needed family. */
  readonly address?: string;
  /** The master's sync rules (sysctls sync_threshold, sync_refresh_period, …); default the kernel's. */
  readonly rules?: SyncRules;
  /** lvskit's extensions, all off by default. */
  readonly extensions?: SyncExtensions;
  /**
   * Timers (the 2 s flush, bulk-resync retries) and timestamps; default the system clock. The pacing of a
   * bulk resync (1 ms steps) always runs on real time.
   */
  readonly clock?: Clock;
}

/** The options after defaults, as `-L --daemon` shows them (the HMAC key itself is never exposed). */
export interface SyncDaemonSettings {
  /** Role. */
  readonly role: 'master' | 'backup';
  /** Interface name. */
  readonly interface: string;
  /** syncid. */
  readonly syncid: number;
  /** Group address text. */
  readonly group: string;
  /** Address family of the group (or of the peers when unicast). */
  readonly family: 4 | 6;
  /** Port. */
  readonly port: number;
  /** TTL. */
  readonly ttl: number;
  /** The effective sync_maxlen (computed as `start_sync_thread` does when not configured). */
  readonly maxLen: number;
  /** Message version. */
  readonly version: 0 | 1;
  /** Unicast peers (empty: multicast). */
  readonly peers: readonly string[];
  /** Configured local address, or undefined for the interface's. */
  readonly address: string | undefined;
  /** Rules given (undefined: the engine's defaults, DEFAULT_SYNC_RULES). */
  readonly rules: SyncRules | undefined;
  /** Extensions in use. */
  readonly extensions: { readonly sequence: boolean; readonly bulkResync: boolean; readonly hmac: boolean };
}

/** Per-reason counts of applied records the engine refused (`SyncApplyResult` minus created/updated). */
export type SyncApplyDrops = Record<Exclude<SyncApplyResult, 'created' | 'updated'>, number>;

/** Counters of one daemon (all cumulative since construction). */
export interface SyncCounters {
  /** Messages sent (a message sent to three peers counts once). */
  messagesSent: number;
  /** Records in the messages sent. */
  recordsSent: number;
  /** Datagrams handed to the socket (messages × destinations). */
  datagramsSent: number;
  /** Sends the socket reported failed. */
  sendErrors: number;
  /** Entries the master could not send in this version (IPv6 in v0, mixed address families). */
  recordsSkipped: number;
  /** Records dropped because every message buffer was queued (the kernel's sync_qlen_max). */
  queueFull: number;
  /** Datagrams received (before any check). */
  messagesReceived: number;
  /** Records decoded from accepted messages (applied or refused by the engine). */
  recordsReceived: number;
  /** Records the engine created or updated. */
  recordsApplied: number;
  /** Of those, created. */
  created: number;
  /** Of those, updated. */
  updated: number;
  /** Records the engine refused, by reason. */
  applyDrops: SyncApplyDrops;
  /** Records the decoder skipped one by one (ip_vs_proc_sync_conn), by reason. */
  recordDrops: Record<SyncRecordDrop, number>;
  /** Messages (or their rest) dropped by the decoder, by reason; `syncid-mismatch` is the wrong-syncid count. */
  messageDrops: Record<SyncMessageDrop, number>;
  /** Datagrams from an address that is not a configured peer (unicast backup). */
  notFromPeer: number;
  /** Datagrams refused by the extension layer, by reason (HMAC missing / bad, malformed trailer). */
  authDrops: Record<ExtRefusal, number>;
  /** Sequence gaps seen (each is one `gap` event). */
  gaps: number;
  /** Messages lost in those gaps. */
  lostMessages: number;
  /** Messages that arrived with an older sequence number than one already seen (reordered or repeated). */
  reordered: number;
  /** Bulk resyncs asked for (backup) or served (master). */
  resyncs: number;
  /** Bulk resyncs a backup saw to their end. */
  resyncsCompleted: number;
  /** Entries sent (master) or received (backup) in bulk resyncs. */
  resyncEntries: number;
  /** Clock time of the last message sent, or undefined. */
  lastSentAt: number | undefined;
  /** Clock time of the last accepted message, or undefined. */
  lastReceivedAt: number | undefined;
  /**
   * What can be measured of the lag: on a backup with extensions, how long the oldest record of the last
   * data message waited in the master's buffer; on a master, how long the oldest record of the last message
   * waited before it was sent. Undefined without a measurement (a backup cannot tell with the kernel format).
   */
  lagMs: number | undefined;
}

/** Events of a sync daemon. */
export interface SyncDaemonEvents {
  /** A runtime failure (a socket error after start); the daemon keeps running where it can. */
  error: { readonly error: LvsError };
  /** Something a user should know (a resync that never ended, a datagram in a format not configured). */
  warning: { readonly message: string };
  /** Backup, sequence extension: messages from a master went missing. */
  gap: {
    /** The master's sender id (new at each master start). */
    readonly sender: number;
    /** Sequence number expected. */
    readonly expected: number;
    /** Sequence number received. */
    readonly received: number;
    /** Messages lost. */
    readonly lost: number;
  };
  /** Bulk resync: asked for (backup), served (master), completed (backup). */
  resync: {
    /** What happened. */
    readonly phase: 'requested' | 'served' | 'completed';
    /** Peer address (the requester for `served`, the master for `completed`), or the group. */
    readonly peer: string;
    /** Entries sent / received. */
    readonly entries: number;
    /** Datagrams sent / received. */
    readonly messages: number;
    /** Datagrams of the resync that did not arrive (`completed` only; 0 otherwise). */
    readonly lost: number;
  };
}

const OPTION_KEYS = new Set([
  'role',
  'interface',
  'syncid',
  'group',
  'port',
  'ttl',
  'maxLen',
  'version',
  'peers',
  'address',
  'rules',
  'extensions',
  'clock',
]);
const RULE_KEYS = new Set(['threshold', 'period', 'refreshPeriodMs', 'retries', 'persistMode']);
const EXT_KEYS = new Set(['sequence', 'bulkResync', 'hmacKey']);
const RECORD_DROPS: readonly SyncRecordDrop[] = [
  'ipv6-unsupported',
  'unknown-mandatory-option',
  'unsupported-protocol',
  'invalid-state',
  'unknown-pe',
];
const MESSAGE_DROPS: readonly SyncMessageDrop[] = [
  'header-too-short',
  'bad-size',
  'syncid-mismatch',
  'record-too-short',
  'record-past-end',
  'record-version',
  'record-type',
  'record-truncated',
  'option-header',
  'option-length',
  'option-seq',
  'option-pe-data',
  'option-pe-name',
  'v0-record-too-short',
  'v0-options-too-short',
];

function bad(message: string): never {
  throw new LvsError('SYNC_INVALID_OPTION', `sync daemon: ${message}`);
}

function intOpt(v: unknown, name: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    bad(`${name} must be an integer ${min}..${max}, got ${describe(v)}`);
  return v;
}

function ipOpt(v: unknown, name: string): Uint8Array {
  if (typeof v !== 'string') bad(`${name} must be an IP address, got ${describe(v)}`);
  try {
    return parseIp(v);
  } catch {
    bad(`${name} ${JSON.stringify(v)} is not an IP address`);
  }
}

function isMulticast(b: Uint8Array): boolean {
  return b.length === 4 ? (b[0]! & 0xf0) === 0xe0 : b[0] === 0xff;
}

function checkRules(r: unknown): SyncRules {
  if (typeof r !== 'object' || r === null) bad(`rules must be an object, got ${describe(r)}`);
  for (const k of Object.keys(r)) if (!RULE_KEYS.has(k)) bad(`rules: unknown key ${JSON.stringify(k)}`);
  const x = r as Record<string, unknown>;
  for (const k of RULE_KEYS) if (x[k] === undefined) bad(`rules.${k} is required (start from DEFAULT_SYNC_RULES)`);
  const threshold = intOpt(x.threshold, 'rules.threshold', 0, 0x7fffffff);
  const period = intOpt(x.period, 'rules.period', 0, 0x7fffffff);
  // proc_do_sync_threshold: EINVAL when threshold >= period and period != 0
  if (period !== 0 && threshold >= period)
    bad(`rules.threshold (${threshold}) must be below rules.period (${period}) unless the period is 0`);
  intOpt(x.refreshPeriodMs, 'rules.refreshPeriodMs', 0, 0x7fffffff);
  intOpt(x.retries, 'rules.retries', 0, 3);
  if (typeof x.persistMode !== 'boolean') bad(`rules.persistMode must be a boolean, got ${describe(x.persistMode)}`);
  return Object.freeze({ ...(r as SyncRules) });
}

/** Reads an interface's MTU from sysfs (the backup's sync_maxlen follows it); undefined when unknown. */
function interfaceMtu(name: string): number | undefined {
  try {
    const n = Number(readFileSync(`/sys/class/net/${name}/mtu`, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Validates and normalizes options.
 * @throws LvsError `SYNC_INVALID_OPTION`
 */
function normalize(o: SyncDaemonOptions): { settings: SyncDaemonSettings; hmacKey: string | undefined } {
  if (typeof o !== 'object' || o === null) bad(`options must be an object, got ${describe(o)}`);
  for (const k of Object.keys(o)) if (!OPTION_KEYS.has(k)) bad(`unknown option ${JSON.stringify(k)}`);
  if (o.role !== 'master' && o.role !== 'backup') bad(`role must be 'master' or 'backup', got ${describe(o.role)}`);
  const ifname = o.interface ?? SYNC_DEFAULT_INTERFACE;
  // IP_VS_IFNAME_MAXLEN 16 with the NUL; Linux interface names have no '/' or whitespace
  if (typeof ifname !== 'string' || ifname.length < 1 || ifname.length > 15 || /[\s/:]/.test(ifname))
    bad(`interface must be an interface name of 1..15 characters, got ${describe(ifname)}`);
  const syncid = intOpt(o.syncid ?? 0, 'syncid', 0, 255);
  const groupText = o.group ?? SYNC_GROUP_IPV4;
  const gb = ipOpt(groupText, 'group');
  if (!isMulticast(gb)) bad(`group ${groupText} is not a multicast address`);
  const port = intOpt(o.port ?? SYNC_PORT, 'port', 1, 65535);
  const ttl = intOpt(o.ttl ?? 1, 'ttl', 1, 255);
  const version = o.version ?? 1;
  if (version !== 0 && version !== 1) bad(`version must be 0 or 1, got ${describe(version)}`);
  if (o.peers !== undefined && !Array.isArray(o.peers)) bad(`peers must be an array of addresses`);
  const peers: string[] = [];
  let family: 4 | 6 = gb.length === 4 ? 4 : 6;
  const seen = new Set<string>();
  for (const [k, p] of (o.peers ?? []).entries()) {
    const b = ipOpt(p, `peers[${k}]`);
    if (isMulticast(b)) bad(`peers[${k}] ${p} is a multicast address (use group)`);
    const f: 4 | 6 = b.length === 4 ? 4 : 6;
    if (k === 0) family = f;
    else if (f !== family) bad(`peers[${k}] ${p} is IPv${f}, peers[0] is IPv${family}`);
    const key = b.join('.');
    if (seen.has(key)) bad(`peers[${k}] ${p} is listed twice`);
    seen.add(key);
    peers.push(p as string);
  }
  if (version === 0 && family === 6) bad('version 0 carries IPv4 only: an IPv6 group or peers needs version 1');
  let address: string | undefined;
  if (o.address !== undefined) {
    const b = ipOpt(o.address, 'address');
    if (isMulticast(b)) bad(`address ${o.address} is a multicast address`);
    if ((b.length === 4 ? 4 : 6) !== family) bad(`address ${o.address} is not IPv${family} like the group/peers`);
    address = o.address;
  }
  const maxLenIn = o.maxLen === undefined ? undefined : intOpt(o.maxLen, 'maxLen', 1, 65507);
  const rules = o.rules === undefined ? undefined : checkRules(o.rules);
  const e = o.extensions ?? {};
  if (typeof e !== 'object' || e === null) bad(`extensions must be an object, got ${describe(e)}`);
  for (const k of Object.keys(e)) if (!EXT_KEYS.has(k)) bad(`extensions: unknown key ${JSON.stringify(k)}`);
  if (e.sequence !== undefined && typeof e.sequence !== 'boolean') bad('extensions.sequence must be a boolean');
  if (e.bulkResync !== undefined && typeof e.bulkResync !== 'boolean') bad('extensions.bulkResync must be a boolean');
  if (e.hmacKey !== undefined && (typeof e.hmacKey !== 'string' || e.hmacKey.length === 0))
    bad('extensions.hmacKey must be a non-empty string');
  if (o.clock !== undefined) {
    const c = o.clock as Partial<Clock> | null;
    if (typeof c !== 'object' || c === null || typeof c.now !== 'function' || typeof c.setTimeout !== 'function')
      bad('clock must have now() and setTimeout()');
  }
  const maxLen = syncMaxLen({
    role: o.role,
    family,
    mtu: o.role === 'backup' ? interfaceMtu(ifname) : undefined,
    syncMaxlen: maxLenIn,
  });
  const hmacKey = e.hmacKey;
  const settings: SyncDaemonSettings = Object.freeze({
    role: o.role,
    interface: ifname,
    syncid,
    group: groupText,
    family,
    port,
    ttl,
    maxLen,
    version,
    peers: Object.freeze(peers),
    address,
    rules,
    extensions: Object.freeze({
      sequence: e.sequence === true,
      bulkResync: e.bulkResync === true,
      hmac: hmacKey !== undefined,
    }),
  });
  return { settings, hmacKey };
}

function newCounters(): SyncCounters {
  const recordDrops = {} as Record<SyncRecordDrop, number>;
  for (const k of RECORD_DROPS) recordDrops[k] = 0;
  const messageDrops = {} as Record<SyncMessageDrop, number>;
  for (const k of MESSAGE_DROPS) messageDrops[k] = 0;
  return {
    messagesSent: 0,
    recordsSent: 0,
    datagramsSent: 0,
    sendErrors: 0,
    recordsSkipped: 0,
    queueFull: 0,
    messagesReceived: 0,
    recordsReceived: 0,
    recordsApplied: 0,
    created: 0,
    updated: 0,
    applyDrops: { 'no-service': 0, 'no-dest': 0, 'table-full': 0, invalid: 0, stale: 0 },
    recordDrops,
    messageDrops,
    notFromPeer: 0,
    authDrops: { 'missing-mac': 0, 'bad-mac': 0, 'bad-trailer': 0 },
    gaps: 0,
    lostMessages: 0,
    reordered: 0,
    resyncs: 0,
    resyncsCompleted: 0,
    resyncEntries: 0,
    lastSentAt: undefined,
    lastReceivedAt: undefined,
    lagMs: undefined,
  };
}

function cloneCounters(c: SyncCounters): SyncCounters {
  return {
    ...c,
    applyDrops: { ...c.applyDrops },
    recordDrops: { ...c.recordDrops },
    messageDrops: { ...c.messageDrops },
    authDrops: { ...c.authDrops },
  };
}

/** The interface's first address of `family`, as os.networkInterfaces() lists it. */
function interfaceAddress(name: string, family: 4 | 6): string {
  const list = networkInterfaces()[name];
  if (!list)
    throw new LvsError('SYNC_NO_INTERFACE', `sync daemon: unknown interface ${name} (Unknown mcast interface)`);
  const want = family === 4 ? 'IPv4' : 'IPv6';
  const a = list.find((x) => x.family === want);
  if (!a)
    throw new LvsError(
      'SYNC_NO_INTERFACE',
      `sync daemon: interface ${name} has no ${want} address (You probably need to specify IP address on multicast interface)`,
    );
  return a.address;
}

function socketError(what: string, err: unknown): LvsError {
  return new LvsError('SYNC_SOCKET', `sync daemon: ${what}: ${err instanceof Error ? err.message : String(err)}`, {
    cause: err,
  });
}

function bindSocket(s: Socket, port: number, address: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    s.once('error', onError);
    s.bind({ port, address, exclusive: false }, () => {
      s.off('error', onError);
      resolve();
    });
  });
}

function closeSocket(s: Socket | undefined): Promise<void> {
  if (!s) return Promise.resolve();
  return new Promise((resolve) => {
    try {
      s.close(() => resolve());
    } catch {
      resolve();
    }
  });
}

/**
 * Unicast daemons of this process bound to the same `address:port` (a master with bulk resync and a backup,
 * both roles on one host): the kernel hands each unicast datagram to one of the two sockets only, so each
 * passes on what belongs to the other (resync requests to the master, everything else to the backup).
 */
const shared = new Map<string, { master?: SyncDaemon; backup?: SyncDaemon }>();

/** Per-master state on a backup: the sequence expected next and the resync being received. */
interface SenderState {
  expected: number;
  resyncMessages: number;
  resyncEntries: number;
}

/**
 * One IPVS sync daemon, master or backup, on UDP multicast or unicast. `start()` opens its sockets (and, for
 * a master, installs the engine's sync sink); `stop()` closes everything; both are idempotent.
 */
export class SyncDaemon extends TypedEmitter<SyncDaemonEvents> {
  /** The options after defaults (for `-L --daemon`). */
  readonly options: SyncDaemonSettings;
  /** Role. */
  readonly role: 'master' | 'backup';
  readonly #ipvs: SyncTarget;
  readonly #clock: Clock;
  readonly #key: string | undefined;
  readonly #ext: boolean;
  readonly #c = newCounters();
  #running = false;
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #socket: Socket | undefined;
  #listener: Socket | undefined;
  #pool: SyncBufferPool | undefined;
  #flushTimer: TimerHandle | undefined;
  #sendScheduled = false;
  #sender = 0;
  #sequence = 0;
  #resyncs = new Set<string>();
  #resyncTimer: TimerHandle | undefined;
  #resyncAttempts = 0;
  #resyncDone = false;
  #senders = new Map<number, SenderState>();
  readonly #trailer: ExtTrailer = { kind: ExtKind.DATA, flags: 0, sender: 0, sequence: 0, holdMs: 0 };
  readonly #entry: SyncedEntry = {
    family: 4,
    protocol: 0,
    flags: 0,
    state: 0,
    caddr: new Uint8Array(16),
    cport: 0,
    vaddr: new Uint8Array(16),
    vport: 0,
    daddr: new Uint8Array(16),
    dport: 0,
    fwmark: 0,
    timeoutSec: 0,
  };
  #warnedFormat = false;
  readonly #peers: ReadonlySet<string>;
  #shareKey: string | undefined;
  #timers = new Set<TimerHandle>();
  readonly #pacing = new Set<ReturnType<typeof setTimeout>>();

  /**
   * @param ipvs - the director's `Ipvs` (or anything with its three sync methods)
   * @param options - see {@link SyncDaemonOptions}
   * @throws LvsError `SYNC_INVALID_OPTION` (nothing is opened)
   */
  constructor(ipvs: SyncTarget, options: SyncDaemonOptions) {
    super();
    const { settings, hmacKey } = normalize(options);
    if (
      typeof ipvs !== 'object' ||
      ipvs === null ||
      typeof ipvs.setSyncMaster !== 'function' ||
      typeof ipvs.applySynced !== 'function' ||
      typeof ipvs.forEachEntry !== 'function'
    )
      bad('the first argument must be an Ipvs (setSyncMaster, applySynced, forEachEntry)');
    this.#ipvs = ipvs;
    this.options = settings;
    this.role = settings.role;
    this.#clock = options.clock ?? systemClock;
    this.#key = hmacKey;
    this.#peers = new Set(settings.peers.map(canonicalIp));
    this.#ext = settings.extensions.sequence || settings.extensions.bulkResync || settings.extensions.hmac;
  }

  /** True between a successful `start()` and `stop()`. */
  get running(): boolean {
    return this.#running;
  }

  /** A snapshot of the counters. */
  counters(): SyncCounters {
    const c = cloneCounters(this.#c);
    if (this.#pool) {
      c.recordsSkipped += this.#pool.counters.skipped;
      c.queueFull += this.#pool.counters.queueFull;
    }
    return c;
  }

  /**
   * Opens the sockets (a master also installs the engine's sync sink). Idempotent.
   * @throws LvsError `SYNC_NO_INTERFACE`, `SYNC_SOCKET`, or core's `CORE_INVALID_OPTION` for rules the
   *   engine refuses; on failure nothing stays open
   */
  start(): Promise<void> {
    if (this.#running) return Promise.resolve();
    if (this.#starting) return this.#starting;
    const p = (this.#stopping ?? Promise.resolve()).then(() => this.#open());
    this.#starting = p.finally(() => {
      this.#starting = undefined;
    });
    return this.#starting;
  }

  /** Closes sockets and timers; a master removes its sink from the engine first. Idempotent. */
  stop(): Promise<void> {
    if (this.#stopping) return this.#stopping;
    const p = (this.#starting ?? Promise.resolve()).catch(() => {}).then(() => this.#close());
    this.#stopping = p.finally(() => {
      this.#stopping = undefined;
    });
    return this.#stopping;
  }

  /**
   * Master: sends the partly filled message now instead of at most {@link SYNC_FLUSH_TIME_MS} later (what
   * `get_curr_sync_buff` does when its buffer is old enough). Nothing to do on a backup or when stopped.
   */
  flush(): void {
    if (!this.#running || !this.#pool) return;
    this.#pool.flush();
    this.#drain();
  }

  get #unicast(): boolean {
    return this.options.peers.length > 0;
  }

  async #open(): Promise<void> {
    const o = this.options;
    const ifaddr = o.address ?? interfaceAddress(o.interface, o.family);
    const type = o.family === 4 ? 'udp4' : 'udp6';
    const mcastIf = o.family === 4 ? ifaddr : `::%${o.interface}`;
    this.#resyncAttempts = 0;
    this.#resyncDone = false;
    try {
      if (this.role === 'master') await this.#openMaster(type, ifaddr, mcastIf);
      else await this.#openBackup(type, ifaddr, mcastIf);
    } catch (err) {
      await this.#close();
      throw err instanceof LvsError ? err : socketError('start failed', err);
    }
    if (this.#unicast && (this.role === 'backup' || o.extensions.bulkResync)) {
      this.#shareKey = `${canonicalIp(ifaddr)}|${o.port}`;
      const e = shared.get(this.#shareKey) ?? {};
      if (this.role === 'master') e.master = this;
      else e.backup = this;
      shared.set(this.#shareKey, e);
    }
    this.#running = true;
    if (this.role === 'backup' && o.extensions.bulkResync) this.#requestResync();
  }

  async #openMaster(type: 'udp4' | 'udp6', ifaddr: string, mcastIf: string): Promise<void> {
    const o = this.options;
    const trailer = this.#ext ? EXT_TRAILER_LEN + (this.#key === undefined ? 0 : EXT_MAC_LEN) : 0;
    const pool = new SyncBufferPool({
      version: o.version,
      syncid: o.syncid,
      limit: Math.max(o.maxLen - trailer, 1),
      room: o.maxLen + EXT_TRAILER_LEN + EXT_MAC_LEN,
      buffers: SYNC_QUEUE_BUFFERS,
    });
    pool.now = () => this.#clock.now();
    pool.onFirstUse = () => this.#armFlush();
    pool.onQueued = () => this.#scheduleSend();
    this.#pool = pool;
    this.#sender = randomInt(1, 0xffffffff);
    this.#sequence = 0;
    const s = createSocket({ type, reuseAddr: true });
    this.#socket = s;
    s.on('error', (err) => this.#emitError(socketError('socket error', err)));
    // A unicast master with bulk resync binds the port: backups send their requests there.
    const bindPort = this.#unicast && o.extensions.bulkResync ? o.port : 0;
    try {
      // make_send_sock: bound to the interface's address (IPv4), port 0
      await bindSocket(s, bindPort, o.family === 4 || o.address !== undefined ? ifaddr : undefined);
      if (!this.#unicast) {
        s.setMulticastInterface(mcastIf);
        s.setMulticastTTL(o.ttl);
        s.setMulticastLoopback(false);
      }
    } catch (err) {
      throw socketError(`master socket on ${ifaddr}`, err);
    }
    s.on('message', (m, r) => this.#guard(() => this.#onMasterMessage(m, r)));
    if (!this.#unicast && o.extensions.bulkResync) {
      const l = createSocket({ type, reuseAddr: true });
      this.#listener = l;
      l.on('error', (err) => this.#emitError(socketError('resync listener error', err)));
      try {
        await bindSocket(l, o.port, this.#groupBind());
        l.addMembership(o.group, o.family === 4 ? ifaddr : mcastIf);
      } catch (err) {
        throw socketError(`resync listener on ${o.group}:${o.port}`, err);
      }
      l.on('message', (m, r) => this.#guard(() => this.#onMasterMessage(m, r)));
    }
    this.#ipvs.setSyncMaster(new TableSyncSink(pool), o.rules);
  }

  async #openBackup(type: 'udp4' | 'udp6', ifaddr: string, mcastIf: string): Promise<void> {
    const o = this.options;
    const s = createSocket({ type, reuseAddr: true });
    this.#socket = s;
    s.on('error', (err) => this.#emitError(socketError('socket error', err)));
    try {
      if (this.#unicast) await bindSocket(s, o.port, ifaddr);
      else {
        // make_receive_sock: bound to group:port on the interface, joined on it
        await bindSocket(s, o.port, this.#groupBind());
        s.addMembership(o.group, o.family === 4 ? ifaddr : mcastIf);
        s.setMulticastInterface(mcastIf);
        s.setMulticastTTL(o.ttl);
        s.setMulticastLoopback(false);
      }
    } catch (err) {
      throw socketError(
        this.#unicast ? `backup socket on ${ifaddr}:${o.port}` : `backup socket on ${o.group}:${o.port}`,
        err,
      );
    }
    // A bulk resync arrives in bursts: ask for a receive buffer of SYNC_RECV_BUFFER (the kernel caps it at
    // net.core.rmem_max; the kernel's own daemon uses sysctl sync_sock_size, default the system's).
    try {
      s.setRecvBufferSize(SYNC_RECV_BUFFER);
    } catch {
      // keep the system default
    }
    s.on('message', (m, r) => this.#guard(() => this.#onBackupMessage(m, r)));
  }

  /** The group as a bind address: IPv6 with the interface as scope (a link-local group needs one, inet6_bind). */
  #groupBind(): string {
    return this.options.family === 6 ? `${this.options.group}%${this.options.interface}` : this.options.group;
  }

  async #close(): Promise<void> {
    const wasMaster = this.#pool !== undefined;
    const e = this.#shareKey === undefined ? undefined : shared.get(this.#shareKey);
    if (e && this.#shareKey !== undefined) {
      if (e.master === this) delete e.master;
      if (e.backup === this) delete e.backup;
      if (!e.master && !e.backup) shared.delete(this.#shareKey);
    }
    this.#shareKey = undefined;
    this.#running = false;
    if (wasMaster) {
      try {
        this.#ipvs.setSyncMaster(undefined);
      } catch {
        // removing the sink cannot fail on a valid Ipvs; nothing to undo
      }
    }
    for (const t of this.#timers) t.cancel();
    this.#timers.clear();
    for (const h of this.#pacing) clearTimeout(h);
    this.#pacing.clear();
    this.#flushTimer = undefined;
    this.#resyncTimer = undefined;
    if (this.#pool) {
      // the pool's counters go into the totals: a new start gets a new pool
      this.#c.recordsSkipped += this.#pool.counters.skipped;
      this.#c.queueFull += this.#pool.counters.queueFull;
      this.#pool.reset();
    }
    this.#pool = undefined;
    this.#resyncs.clear();
    this.#senders.clear();
    this.#sendScheduled = false;
    const s = this.#socket;
    const l = this.#listener;
    this.#socket = undefined;
    this.#listener = undefined;
    await Promise.all([closeSocket(s), closeSocket(l)]);
  }

  #timer(fn: () => void, ms: number): TimerHandle {
    const h: TimerHandle = this.#clock.setTimeout(() => {
      this.#timers.delete(h);
      fn();
    }, ms);
    this.#timers.add(h);
    return h;
  }

  /** Runs a datagram handler: a throw (from an engine that broke its never-throw promise) is an `error` event. */
  #guard(f: () => void): void {
    try {
      f();
    } catch (err) {
      this.#emitError(err instanceof LvsError ? err : socketError('handling a datagram', err));
    }
  }

  #emitError(error: LvsError): void {
    if (this.listens('error')) this.emit('error', { error });
  }

  #warn(message: string): void {
    this.emit('warning', { message });
  }

  // ---- master -------------------------------------------------------------------------------------------

  /** A record went into an empty buffer: it is sent at most IPVS_SYNC_FLUSH_TIME later (get_curr_sync_buff). */
  #armFlush(): void {
    if (this.#flushTimer) return;
    this.#flushTimer = this.#timer(() => {
      this.#flushTimer = undefined;
      this.#pool?.flush();
    }, SYNC_FLUSH_TIME_MS);
  }

  /** A full buffer joined the queue (sb_queue_tail): send soon, outside the packet path. */
  #scheduleSend(): void {
    if (this.#sendScheduled) return;
    this.#sendScheduled = true;
    setImmediate(() => {
      this.#sendScheduled = false;
      this.#drain();
    });
  }

  #drain(): void {
    const pool = this.#pool;
    const s = this.#socket;
    if (!pool || !s) return;
    if (pool.pending === 0 && this.#flushTimer) {
      this.#flushTimer.cancel();
      this.#timers.delete(this.#flushTimer);
      this.#flushTimer = undefined;
    }
    for (let b = pool.take(); b; b = pool.take()) this.#sendBuffer(pool, s, b);
  }

  #sendBuffer(pool: SyncBufferPool, s: Socket, b: SyncBuffer): void {
    const now = this.#clock.now();
    const hold = now - b.firstUse;
    let len = b.head;
    if (this.#ext) {
      const t = this.#trailer;
      t.kind = ExtKind.DATA;
      t.flags = this.options.extensions.sequence ? EXT_F_SEQUENCE : 0;
      t.sender = this.#sender;
      if (this.options.extensions.sequence) this.#sequence = (this.#sequence + 1) >>> 0 || 1;
      t.sequence = this.options.extensions.sequence ? this.#sequence : 0;
      t.holdMs = hold;
      len = writeTrailer(b.bytes, b.head, t, this.#key);
    }
    this.#c.messagesSent++;
    this.#c.recordsSent += b.count;
    this.#c.lastSentAt = now;
    this.#c.lagMs = hold;
    this.#sendTo(s, b.bytes, len, () => pool.release(b));
  }

  /** Sends one datagram to the group or every peer; `done` runs once the socket has let go of the bytes. */
  #sendTo(s: Socket, bytes: Uint8Array, len: number, done: () => void, only?: string): void {
    const o = this.options;
    const targets = only !== undefined ? [only] : this.#unicast ? o.peers : [o.group];
    let left = targets.length;
    for (const addr of targets) {
      this.#c.datagramsSent++;
      s.send(bytes, 0, len, o.port, addr, (err) => {
        if (err) {
          this.#c.sendErrors++;
          this.#emitError(socketError(`send to ${addr}:${o.port}`, err));
        }
        if (--left === 0) done();
      });
    }
  }

  #onMasterMessage(m: Buffer, r: RemoteInfo): void {
    if (!this.options.extensions.bulkResync) return;
    const t: ExtTrailer = { kind: ExtKind.DATA, flags: 0, sender: 0, sequence: 0, holdMs: 0 };
    // The group also carries other masters' data: only what claims to be a request is checked (and counted).
    const peek = readTrailer(m, undefined, t);
    if (!peek.ok || peek.trailer?.kind !== ExtKind.RESYNC_REQUEST) {
      const b = this.#shareKey === undefined ? undefined : shared.get(this.#shareKey)?.backup;
      if (b?.running) b.#onBackupMessage(m, r);
      return;
    }
    if (this.#unicast && !this.#isPeer(r.address)) {
      this.#c.notFromPeer++;
      return;
    }
    const res = readTrailer(m, this.#key, t);
    if (!res.ok) {
      this.#c.authDrops[res.refusal]++;
      return;
    }
    this.#serveResync(this.#unicast ? r.address : undefined);
  }

  /** Walks the whole table and sends it, paced ({@link SYNC_RESYNC_BURST} datagrams per millisecond). */
  #serveResync(to: string | undefined): void {
    const key = to ?? '';
    if (this.#resyncs.has(key) || !this.#socket) return;
    this.#resyncs.add(key);
    const o = this.options;
    const trailer = EXT_TRAILER_LEN + (this.#key === undefined ? 0 : EXT_MAC_LEN);
    const pool = new SyncBufferPool({
      version: o.version,
      syncid: o.syncid,
      limit: Math.max(o.maxLen - trailer, 1),
      room: o.maxLen + trailer,
      buffers: 2,
    });
    const out: Uint8Array[] = [];
    let entries = 0;
    const t: ExtTrailer = {
      kind: ExtKind.RESYNC_DATA,
      flags: EXT_F_SEQUENCE,
      sender: this.#sender,
      sequence: 0,
      holdMs: 0,
    };
    const take = (): void => {
      for (let b = pool.take(); b; b = pool.take()) {
        t.sequence = out.length + 1;
        const len = writeTrailer(b.bytes, b.head, t, this.#key);
        out.push(b.bytes.slice(0, len));
        pool.release(b);
      }
    };
    pool.onQueued = take;
    this.#ipvs.forEachEntry((table, i) => {
      if (pool.add(table, i)) entries++;
    });
    pool.flush();
    // the end marker: an empty v1 header (a kernel drops it for its size), sequence = datagrams, holdMs = entries
    const end = new Uint8Array(SYNC_V1_HEADER_LEN + EXT_TRAILER_LEN + EXT_MAC_LEN);
    end.set([0, o.syncid, 0, SYNC_V1_HEADER_LEN, 0, 1, 0, 0]);
    const endLen = writeTrailer(
      end,
      SYNC_V1_HEADER_LEN,
      { kind: ExtKind.RESYNC_END, flags: EXT_F_SEQUENCE, sender: this.#sender, sequence: out.length, holdMs: entries },
      this.#key,
    );
    out.push(end.subarray(0, endLen));
    this.#c.resyncs++;
    this.#c.resyncEntries += entries;
    let k = 0;
    const burst = (): void => {
      const s = this.#socket;
      if (!s) {
        this.#resyncs.delete(key);
        return;
      }
      for (let n = 0; n < SYNC_RESYNC_BURST && k < out.length; n++, k++) {
        const d = out[k]!;
        this.#c.messagesSent++;
        this.#sendTo(s, d, d.length, () => {}, to);
      }
      if (k < out.length) {
        // pacing is about the network, not the director's time: real time even under a test clock
        const h = setTimeout(() => {
          this.#pacing.delete(h);
          burst();
        }, 1);
        this.#pacing.add(h);
        return;
      }
      this.#resyncs.delete(key);
      this.#c.lastSentAt = this.#clock.now();
      this.emit('resync', {
        phase: 'served',
        peer: to ?? o.group,
        entries,
        messages: out.length - 1,
        lost: 0,
      });
    };
    burst();
  }

  // ---- backup -------------------------------------------------------------------------------------------

  #isPeer(address: string): boolean {
    if (this.#peers.has(address)) return true;
    try {
      return this.#peers.has(canonicalIp(address));
    } catch {
      return false;
    }
  }

  #requestResync(): void {
    const s = this.#socket;
    if (!s || this.#resyncDone) return;
    if (this.#resyncAttempts >= SYNC_RESYNC_ATTEMPTS) {
      this.#warn(`bulk resync: no master answered ${SYNC_RESYNC_ATTEMPTS} requests`);
      return;
    }
    this.#resyncAttempts++;
    const o = this.options;
    const req = new Uint8Array(SYNC_V1_HEADER_LEN + EXT_TRAILER_LEN + EXT_MAC_LEN);
    req.set([0, o.syncid, 0, SYNC_V1_HEADER_LEN, 0, 1, 0, 0]);
    const len = writeTrailer(
      req,
      SYNC_V1_HEADER_LEN,
      { kind: ExtKind.RESYNC_REQUEST, flags: 0, sender: 0, sequence: this.#resyncAttempts, holdMs: 0 },
      this.#key,
    );
    if (this.#resyncAttempts === 1) {
      this.#c.resyncs++;
      this.emit('resync', {
        phase: 'requested',
        peer: this.#unicast ? o.peers.join(',') : o.group,
        entries: 0,
        messages: 0,
        lost: 0,
      });
    }
    this.#sendTo(s, req, len, () => {});
    this.#resyncTimer = this.#timer(() => this.#requestResync(), SYNC_RESYNC_RETRY_MS);
  }

  #onBackupMessage(m: Buffer, r: RemoteInfo): void {
    const sm = this.#shareKey === undefined ? undefined : shared.get(this.#shareKey)?.master;
    if (sm?.running) {
      const peek = readTrailer(m, undefined, this.#trailer);
      if (peek.ok && peek.trailer?.kind === ExtKind.RESYNC_REQUEST) {
        sm.#onMasterMessage(m, r);
        return;
      }
    }
    const c = this.#c;
    c.messagesReceived++;
    if (this.#unicast && !this.#isPeer(r.address)) {
      c.notFromPeer++;
      return;
    }
    let msg: Uint8Array = m;
    let kind: ExtKindValue = ExtKind.DATA;
    let trailer: ExtTrailer | undefined;
    if (this.#ext) {
      const res = readTrailer(m, this.#key, this.#trailer);
      if (!res.ok) {
        c.authDrops[res.refusal]++;
        return;
      }
      msg = res.message;
      trailer = res.trailer;
      if (trailer) kind = trailer.kind;
    } else if (m.length >= 4 && m.length > ((m[2]! << 8) | m[3]!) && !this.#warnedFormat) {
      this.#warnedFormat = true;
      this.#warn(
        `datagram from ${r.address} is longer than its sync message (an lvskit master with extensions on?): dropped as the kernel drops it`,
      );
    }
    // The kernel reads at most sync_maxlen bytes: a longer message arrives cut and fails its size check.
    if (msg.length > this.options.maxLen) {
      c.messageDrops['bad-size']++;
      return;
    }
    if (kind === ExtKind.RESYNC_REQUEST) return;
    if (trailer && kind === ExtKind.RESYNC_END) {
      this.#resyncEnd(trailer, r.address);
      return;
    }
    // Sequence and resync bookkeeping are about transport: counted for every authenticated datagram, whatever
    // its records turn out to be.
    if (trailer && kind === ExtKind.DATA) {
      c.lagMs = trailer.holdMs;
      if (trailer.flags & EXT_F_SEQUENCE) this.#sequenceCheck(trailer.sender, trailer.sequence);
    }
    let resync: SenderState | undefined;
    if (trailer && kind === ExtKind.RESYNC_DATA) {
      resync = this.#senderState(trailer.sender);
      if (trailer.sequence === 1) {
        resync.resyncMessages = 0;
        resync.resyncEntries = 0;
      }
      resync.resyncMessages++;
    }
    const d = decodeSyncMessage(msg, { syncid: this.options.syncid });
    if (d.messageDropped) c.messageDrops[d.messageDropped]++;
    for (const k of RECORD_DROPS) {
      const n = d.dropped[k];
      if (n) c.recordDrops[k] += n;
    }
    if (d.messageDropped !== undefined && d.conns.length === 0) return;
    c.lastReceivedAt = this.#clock.now();
    for (const conn of d.conns) this.#apply(conn);
    if (resync) {
      resync.resyncEntries += d.conns.length;
      c.resyncEntries += d.conns.length;
    }
  }

  #senderState(sender: number): SenderState {
    let st = this.#senders.get(sender);
    if (!st) {
      st = { expected: 0, resyncMessages: 0, resyncEntries: 0 };
      this.#senders.set(sender, st);
    }
    return st;
  }

  #sequenceCheck(sender: number, seq: number): void {
    const st = this.#senderState(sender);
    const c = this.#c;
    if (st.expected === 0 || seq === st.expected) {
      st.expected = (seq + 1) >>> 0 || 1;
      return;
    }
    if (seq > st.expected) {
      const lost = seq - st.expected;
      c.gaps++;
      c.lostMessages += lost;
      const expected = st.expected;
      st.expected = (seq + 1) >>> 0 || 1;
      this.emit('gap', { sender, expected, received: seq, lost });
      return;
    }
    c.reordered++;
  }

  #resyncEnd(t: ExtTrailer, from: string): void {
    const st = this.#senderState(t.sender);
    const lost = Math.max(0, t.sequence - st.resyncMessages);
    const messages = st.resyncMessages;
    const entries = st.resyncEntries;
    st.resyncMessages = 0;
    st.resyncEntries = 0;
    this.#c.resyncsCompleted++;
    this.#c.lastReceivedAt = this.#clock.now();
    this.emit('resync', { phase: 'completed', peer: from, entries, messages, lost });
    if (this.#resyncDone || !this.options.extensions.bulkResync) return;
    this.#resyncTimer?.cancel();
    if (this.#resyncTimer) this.#timers.delete(this.#resyncTimer);
    this.#resyncTimer = undefined;
    // Datagrams of the resync went missing: ask again while attempts remain (records are idempotent updates).
    if (lost > 0 && this.#resyncAttempts < SYNC_RESYNC_ATTEMPTS) {
      this.#warn(`bulk resync from ${from}: ${lost} of ${t.sequence} datagrams lost, asking again`);
      this.#requestResync();
      return;
    }
    this.#resyncDone = true;
  }

  /** One decoded record into the reused SyncedEntry, then into the engine. */
  #apply(conn: SyncConn): void {
    const c = this.#c;
    c.recordsReceived++;
    const e = this.#entry;
    e.family = conn.family;
    e.protocol = conn.protocol;
    e.flags = conn.flags;
    e.state = conn.state;
    e.cport = conn.cport;
    e.vport = conn.vport;
    e.dport = conn.dport;
    e.fwmark = conn.fwmark;
    e.timeoutSec = conn.timeout;
    fillAddress(e.caddr, conn.caddr);
    fillAddress(e.vaddr, conn.vaddr);
    fillAddress(e.daddr, conn.daddr);
    const r = this.#ipvs.applySynced(e);
    if (r === 'created' || r === 'updated') {
      c.recordsApplied++;
      c[r]++;
    } else c.applyDrops[r]++;
  }
}

function fillAddress(out: Uint8Array, text: string): void {
  out.fill(0);
  out.set(parseIp(text));
}
