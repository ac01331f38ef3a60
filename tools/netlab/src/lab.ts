/**
 * The lab itself: a set of network namespaces sharing one per-run prefix, joined by veth pairs to bridges
 * that live in namespaces of their own, with processes started inside them and tracked by PID. It owns
 * teardown — `destroy()`, the process exit/signal hooks and a detached watchdog that sweeps the lab when
 * the owner dies without running them (SIGKILL). It must never create, change or delete anything in the
 * root namespace (veth ends are created directly inside their namespaces), use an address outside the lab
 * ranges, or end a process by name.
 */
import { type ChildProcess, spawn as spawnChild, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { LvsError } from '@lvskit/base';
import { checkLabCidr } from './address.js';
import { type ArpingOptions, type ArpingResult, arpingIn } from './arp.js';
import { type PingOptions, type PingResult, pingFrom } from './icmp.js';
import {
  type CommandResult,
  type PidRecord,
  processStartTime,
  type RunOptions,
  runCommand,
  runCommandSync,
  terminate,
} from './proc.js';
import { type LabState, removeState, writeState } from './state.js';
import { namespacePidsSync, sweepStaleLabs } from './sweep.js';

/** One interface of a lab host. */
export interface LabInterface {
  /** Interface name inside the host's namespace, e.g. `eth0`. */
  readonly name: string;
  /** Segment it is plugged into, or the peer host for a point-to-point link. */
  readonly attachedTo: string;
  /** MAC address, lowercase `aa:bb:cc:dd:ee:ff`. */
  readonly mac: string;
  /** Addresses configured through the lab (CIDR), in the order added. */
  readonly addresses: string[];
}

/** A host: one network namespace. */
export interface LabHost {
  /** Name given by the lab's user, e.g. `client`. */
  readonly name: string;
  /** The namespace name (`<prefix><name>`), for `ip netns exec` or `@lvskit/native`'s `netns` option. */
  readonly ns: string;
  /** Interfaces by name. */
  readonly interfaces: Map<string, LabInterface>;
}

/** An L2 segment: a bridge alone in its own namespace. */
export interface LabSegment {
  /** Name given by the lab's user, e.g. `lan`. */
  readonly name: string;
  /** Namespace holding the bridge. */
  readonly ns: string;
  /** Bridge device name inside {@link LabSegment.ns}. */
  readonly bridge: string;
}

/** Options of {@link Lab.addHost}. */
export interface HostOptions {
  /** Route between interfaces (`net.ipv4.ip_forward=1`, IPv6 forwarding). Default false. */
  readonly forwarding?: boolean;
  /** Extra sysctls for this namespace, e.g. `{ 'net.ipv4.conf.all.arp_ignore': '1' }`. */
  readonly sysctls?: Readonly<Record<string, string>>;
  /** Keep IPv6 enabled (router solicitations, MLD). Default true. */
  readonly ipv6?: boolean;
}

/** Options of {@link Lab.connect}: how the host's end of the link looks. */
export interface InterfaceOptions {
  /** Interface name inside the host (1–15 characters). Default `eth<n>`, the first free number. */
  readonly ifname?: string;
  /** Addresses to configure (CIDR inside 198.18.0.0/15 or 2001:2::/48). */
  readonly addresses?: readonly string[];
  /** Fixed MAC address; default: the kernel's random one. */
  readonly mac?: string;
  /** MTU of both ends. Default 1500. */
  readonly mtu?: number;
}

/** Options of {@link Lab.spawn}. */
export interface SpawnOptions {
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
}

/** A long-running process inside a lab namespace, ended by PID on teardown. */
export interface LabProcess {
  /** Its PID (the `ip netns exec` process becomes the command itself, so this is the command's PID). */
  readonly pid: number;
  /** The host it runs in. */
  readonly host: LabHost;
  /** Standard output and error so far (the first 1 MiB). */
  output(): string;
  /** Resolves with the output once `pattern` matches it; rejects (`NETLAB_TIMEOUT`) after `timeoutMs` or on exit. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves when the process has exited: its exit code, or the signal that ended it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Ends it: SIGTERM, then SIGKILL after `graceMs` (default 2000); resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Options of {@link createLab}. */
export interface LabOptions {
  /** Sweep stale labs of dead owners first. Default true. */
  readonly sweep?: boolean;
  /**
   * Start a watchdog that tears the lab down if this process dies without running its exit hooks (SIGKILL,
   * or the whole process group or tree of a test run killed at a time limit). It runs in a session of its
   * own, reparented away from this process at once, and polls this process's PID and start time. Default
   * true; tests of the sweeper turn it off to leave a stale lab behind.
   */
  readonly watchdog?: boolean;
}

const NAME_RE = /^[a-z][a-z0-9-]{0,31}$/;
const IFNAME_RE = /^[A-Za-z0-9_-]{1,15}$/;
const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
const OUTPUT_CAP = 1024 * 1024;
const scriptsDir = fileURLToPath(new URL('../scripts/', import.meta.url));
/** Path of the HTTP server script {@link Lab.httpServer} runs. */
export const HTTP_SERVER_SCRIPT = `${scriptsDir}http-server.mjs`;
const WATCHDOG_SCRIPT = `${scriptsDir}watchdog.mjs`;

const liveLabs = new Set<Lab>();
let hooksInstalled = false;
const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function onExit(): void {
  for (const lab of [...liveLabs]) lab.destroySync();
}

function onSignal(sig: NodeJS.Signals): void {
  onExit();
  // Restore the default action when nobody else listens, so the process still dies of this signal.
  if (process.listenerCount(sig) <= 1) {
    uninstallHooks();
    process.kill(process.pid, sig);
  }
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', onExit);
  for (const sig of SIGNALS) process.on(sig, onSignal);
}

function uninstallHooks(): void {
  if (!hooksInstalled) return;
  hooksInstalled = false;
  process.off('exit', onExit);
  for (const sig of SIGNALS) process.off(sig, onSignal);
}

/** `key=value` arguments for sysctl(8), checked before anything runs. */
function sysctlPairs(values: Readonly<Record<string, string>>): string[] {
  return Object.entries(values).map(([k, v]) => {
    if (!/^[a-z0-9_.-]+(\/[a-z0-9_.-]+)*$/i.test(k) || typeof v !== 'string' || /[\s=]/.test(v) || v === '') {
      throw new LvsError('INVALID_ARGUMENT', `netlab: bad sysctl ${k}=${String(v)}`);
    }
    return `${k}=${v}`;
  });
}

function checkName(kind: string, name: string): void {
  if (!NAME_RE.test(name)) {
    throw new LvsError('NETLAB_BAD_NAME', `netlab: ${kind} name ${JSON.stringify(name)} must match ${NAME_RE}`);
  }
}

/**
 * A network lab. Build one with {@link createLab}; always end it with {@link Lab.destroy} (the exit hooks
 * and the watchdog are the safety net, not the plan).
 */
export class Lab {
  /** The per-run prefix of every namespace and link, `lvsk<6 hex>-`. */
  readonly prefix: string;
  /** Hosts by name. */
  readonly hosts = new Map<string, LabHost>();
  /** Segments by name. */
  readonly segments = new Map<string, LabSegment>();
  readonly #namespaces: string[] = [];
  readonly #processes = new Map<number, { rec: PidRecord; child: ChildProcess }>();
  readonly #ownerStart: string;
  #ports = 0;
  #destroyed = false;
  #watchdog: PidRecord | undefined;

  /** @internal Use {@link createLab}. */
  constructor(prefix: string) {
    this.prefix = prefix;
    this.#ownerStart = processStartTime(process.pid) ?? '0';
  }

  /** @internal Writes the state file, registers hooks and starts the watchdog. */
  start(watchdog: boolean): void {
    this.#save();
    liveLabs.add(this);
    installHooks();
    if (watchdog) {
      // `--daemonize` starts the real watchdog with setsid and exits: the watchdog is then in no process group,
      // session or process tree of this run, so killing the run (group, session or tree) cannot take it along.
      const r = spawnSync(
        process.execPath,
        [WATCHDOG_SCRIPT, '--daemonize', this.prefix, String(process.pid), this.#ownerStart],
        {
          encoding: 'utf8',
          timeout: 10_000,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let rec: { pid?: unknown; start?: unknown } = {};
      try {
        rec = JSON.parse(r.stdout) as typeof rec;
      } catch {
        // reported below
      }
      if (r.status !== 0 || typeof rec.pid !== 'number' || rec.pid <= 0) {
        this.destroySync();
        throw new LvsError(
          'NETLAB_COMMAND_FAILED',
          `netlab: could not start the watchdog of ${this.prefix}: ${(r.stderr ?? r.error?.message ?? '').trim()}`,
        );
      }
      this.#watchdog = { pid: rec.pid, start: typeof rec.start === 'string' ? rec.start : undefined };
      this.#save();
    }
  }

  /** PID of this lab's watchdog, or undefined when it was started without one. */
  get watchdogPid(): number | undefined {
    return this.#watchdog?.pid;
  }

  /** True once {@link Lab.destroy} (or the exit hook) has run. */
  get destroyed(): boolean {
    return this.#destroyed;
  }

  #save(): void {
    const state: LabState = {
      prefix: this.prefix,
      ownerPid: process.pid,
      ownerStart: this.#ownerStart,
      pids: [...this.#processes.values()].map((p) => p.rec),
      watchdog: this.#watchdog,
    };
    writeState(state);
  }

  #alive(): void {
    if (this.#destroyed) throw new LvsError('NETLAB_DESTROYED', `netlab: lab ${this.prefix} was destroyed`);
  }

  #host(host: LabHost | string): LabHost {
    const h = typeof host === 'string' ? this.hosts.get(host) : host;
    if (h === undefined || this.hosts.get(h.name) !== h) {
      throw new LvsError(
        'NETLAB_BAD_NAME',
        `netlab: no host ${JSON.stringify(typeof host === 'string' ? host : host.name)} in this lab`,
      );
    }
    return h;
  }

  async #newNamespace(ns: string, sysctls: Readonly<Record<string, string>>): Promise<void> {
    // Recorded before creation: a crash in between still leaves a name the sweeper can match to us.
    this.#namespaces.push(ns);
    await runCommand(['ip', 'netns', 'add', ns]);
    await runCommand(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    await this.#sysctl(ns, { 'net.ipv4.tcp_tw_reuse': '1', ...sysctls });
  }

  async #sysctl(ns: string, values: Readonly<Record<string, string>>): Promise<void> {
    const pairs = sysctlPairs(values);
    if (pairs.length > 0) await runCommand(['ip', 'netns', 'exec', ns, 'sysctl', '-qw', ...pairs]);
  }

  /**
   * Adds a host (a namespace with `lo` up and `net.ipv4.tcp_tw_reuse=1`, since close-mode load through a
   * balancer otherwise exhausts client ports).
   * @param name - lowercase letters, digits and `-`, starting with a letter
   */
  async addHost(name: string, options: HostOptions = {}): Promise<LabHost> {
    this.#alive();
    checkName('host', name);
    if (this.hosts.has(name)) throw new LvsError('NETLAB_BAD_NAME', `netlab: host ${name} exists`);
    if (options.sysctls !== undefined) sysctlPairs(options.sysctls);
    const host: LabHost = { name, ns: `${this.prefix}${name}`, interfaces: new Map() };
    this.hosts.set(name, host);
    const sysctls: Record<string, string> = {
      // No duplicate address detection: addresses are usable at once, and the lab's are unique by design.
      'net.ipv6.conf.all.accept_dad': '0',
      'net.ipv6.conf.default.accept_dad': '0',
    };
    if (options.ipv6 === false) {
      sysctls['net.ipv6.conf.all.disable_ipv6'] = '1';
      sysctls['net.ipv6.conf.default.disable_ipv6'] = '1';
    }
    if (options.forwarding === true) {
      sysctls['net.ipv4.ip_forward'] = '1';
      if (options.ipv6 !== false) sysctls['net.ipv6.conf.all.forwarding'] = '1';
    }
    await this.#newNamespace(host.ns, { ...sysctls, ...options.sysctls });
    return host;
  }

  /** Adds an L2 segment: a bridge (no STP, no multicast snooping) alone in its own namespace. */
  async addSegment(name: string): Promise<LabSegment> {
    this.#alive();
    checkName('segment', name);
    if (this.segments.has(name)) throw new LvsError('NETLAB_BAD_NAME', `netlab: segment ${name} exists`);
    const seg: LabSegment = { name, ns: `${this.prefix}seg.${name}`, bridge: `${this.prefix.slice(0, -1)}br` };
    this.segments.set(name, seg);
    // The bridge namespace carries no addresses, so IPv6 there would only add noise on the wire.
    await this.#newNamespace(seg.ns, {
      'net.ipv6.conf.all.disable_ipv6': '1',
      'net.ipv6.conf.default.disable_ipv6': '1',
    });
    await runCommand([
      'ip',
      '-n',
      seg.ns,
      'link',
      'add',
      seg.bridge,
      'type',
      'bridge',
      'stp_state',
      '0',
      'mcast_snooping',
      '0',
      'forward_delay',
      '0',
    ]);
    await runCommand(['ip', '-n', seg.ns, 'link', 'set', seg.bridge, 'up']);
    return seg;
  }

  #ifname(host: LabHost, wanted: string | undefined): string {
    let name = wanted;
    for (let i = 0; name === undefined; i++) if (!host.interfaces.has(`eth${i}`)) name = `eth${i}`;
    if (!IFNAME_RE.test(name) || name === 'lo') {
      throw new LvsError('NETLAB_BAD_NAME', `netlab: interface name ${JSON.stringify(name)} is invalid`);
    }
    if (host.interfaces.has(name)) throw new LvsError('NETLAB_BAD_NAME', `netlab: ${host.name} already has ${name}`);
    return name;
  }

  async #configure(
    host: LabHost,
    ifname: string,
    attachedTo: string,
    options: InterfaceOptions,
  ): Promise<LabInterface> {
    if (options.mac !== undefined)
      await runCommand(['ip', '-n', host.ns, 'link', 'set', ifname, 'address', options.mac]);
    await runCommand(['ip', '-n', host.ns, 'link', 'set', ifname, 'up']);
    const iface: LabInterface = { name: ifname, attachedTo, mac: '', addresses: [] };
    host.interfaces.set(ifname, iface);
    for (const cidr of options.addresses ?? []) await this.addAddress(host, ifname, cidr);
    const info = await runCommand(['ip', '-n', host.ns, '-j', 'link', 'show', 'dev', ifname]);
    const mac = (JSON.parse(info.stdout) as { address?: string }[])[0]?.address ?? '';
    host.interfaces.set(ifname, { ...iface, mac, addresses: iface.addresses });
    return host.interfaces.get(ifname)!;
  }

  #checkLinkOptions(options: InterfaceOptions): void {
    for (const a of options.addresses ?? []) checkLabCidr(a);
    if (options.mac !== undefined && !MAC_RE.test(options.mac)) {
      throw new LvsError('INVALID_ARGUMENT', `netlab: bad MAC ${JSON.stringify(options.mac)}`);
    }
    if (options.mtu !== undefined && (!Number.isInteger(options.mtu) || options.mtu < 68 || options.mtu > 65535)) {
      throw new LvsError('INVALID_ARGUMENT', `netlab: bad MTU ${options.mtu}`);
    }
  }

  /**
   * Plugs `host` into `segment` with a veth pair created directly inside the two namespaces (never in the
   * root namespace). The bridge-side end is named `<prefix>p<n>`.
   */
  async connect(
    host: LabHost | string,
    segment: LabSegment | string,
    options: InterfaceOptions = {},
  ): Promise<LabInterface> {
    this.#alive();
    const h = this.#host(host);
    const seg = typeof segment === 'string' ? this.segments.get(segment) : segment;
    if (seg === undefined || this.segments.get(seg.name) !== seg) {
      throw new LvsError('NETLAB_BAD_NAME', `netlab: no segment ${JSON.stringify(segment)} in this lab`);
    }
    this.#checkLinkOptions(options);
    const ifname = this.#ifname(h, options.ifname);
    const port = `${this.prefix.slice(0, -1)}p${this.#ports++}`;
    const mtu = options.mtu === undefined ? [] : ['mtu', String(options.mtu)];
    await runCommand([
      'ip',
      'link',
      'add',
      port,
      'netns',
      seg.ns,
      ...mtu,
      'type',
      'veth',
      'peer',
      'name',
      ifname,
      'netns',
      h.ns,
      ...mtu,
    ]);
    await runCommand(['ip', '-n', seg.ns, 'link', 'set', port, 'master', seg.bridge, 'up']);
    return this.#configure(h, ifname, seg.name, options);
  }

  /** Joins two hosts with a point-to-point veth pair (no bridge). */
  async link(
    a: LabHost | string,
    b: LabHost | string,
    options: { readonly a?: InterfaceOptions; readonly b?: InterfaceOptions } = {},
  ): Promise<[LabInterface, LabInterface]> {
    this.#alive();
    const ha = this.#host(a);
    const hb = this.#host(b);
    if (ha === hb) throw new LvsError('NETLAB_BAD_NAME', 'netlab: cannot link a host to itself');
    this.#checkLinkOptions(options.a ?? {});
    this.#checkLinkOptions(options.b ?? {});
    const ia = this.#ifname(ha, options.a?.ifname);
    const ib = this.#ifname(hb, options.b?.ifname);
    await runCommand(['ip', 'link', 'add', ia, 'netns', ha.ns, 'type', 'veth', 'peer', 'name', ib, 'netns', hb.ns]);
    for (const [h, i, o] of [
      [ha, ia, options.a],
      [hb, ib, options.b],
    ] as const) {
      if (o?.mtu !== undefined) await runCommand(['ip', '-n', h.ns, 'link', 'set', i, 'mtu', String(o.mtu)]);
    }
    return [
      await this.#configure(ha, ia, hb.name, options.a ?? {}),
      await this.#configure(hb, ib, ha.name, options.b ?? {}),
    ];
  }

  /** Adds an address (CIDR, lab ranges only) to a host's interface. */
  async addAddress(host: LabHost | string, ifname: string, cidr: string): Promise<void> {
    this.#alive();
    const h = this.#host(host);
    checkLabCidr(cidr);
    const iface = h.interfaces.get(ifname);
    if (iface === undefined && ifname !== 'lo')
      throw new LvsError('NETLAB_BAD_NAME', `netlab: ${h.name} has no ${ifname}`);
    await runCommand(['ip', '-n', h.ns, 'addr', 'add', cidr, 'dev', ifname, ...(cidr.includes(':') ? ['nodad'] : [])]);
    iface?.addresses.push(cidr);
  }

  /** Removes an address from a host's interface. */
  async removeAddress(host: LabHost | string, ifname: string, cidr: string): Promise<void> {
    this.#alive();
    const h = this.#host(host);
    checkLabCidr(cidr);
    await runCommand(['ip', '-n', h.ns, 'addr', 'del', cidr, 'dev', ifname]);
    const list = h.interfaces.get(ifname)?.addresses;
    if (list?.includes(cidr)) list.splice(list.indexOf(cidr), 1);
  }

  /**
   * Adds a route in a host: `destination` is a lab CIDR or `default`, `via` a lab address.
   * @example lab.addRoute(client, '198.18.2.0/24', '198.18.1.1')
   */
  async addRoute(host: LabHost | string, destination: string, via: string): Promise<void> {
    this.#alive();
    const h = this.#host(host);
    if (destination !== 'default') checkLabCidr(destination);
    checkLabCidr(via);
    await runCommand(['ip', '-n', h.ns, 'route', 'add', destination, 'via', via]);
  }

  /** Sets sysctls inside one host's namespace (never the root namespace's). */
  async sysctl(host: LabHost | string, values: Readonly<Record<string, string>>): Promise<void> {
    this.#alive();
    await this.#sysctl(this.#host(host).ns, values);
  }

  /**
   * Runs `argv` inside a host and collects its output.
   * @throws LvsError `NETLAB_COMMAND_FAILED` on a non-zero exit (unless `check: false`), `NETLAB_TIMEOUT`
   */
  exec(host: LabHost | string, argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    this.#alive();
    if (argv.length === 0) throw new LvsError('INVALID_ARGUMENT', 'netlab: empty argv');
    return runCommand(['ip', 'netns', 'exec', this.#host(host).ns, ...argv], options);
  }

  /**
   * The lab's own `ping`: ICMP echo requests from `host` to `address` (IPv4 or IPv6), routed by the host's
   * kernel; no iputils needed (see `src/icmp.ts`). Never throws for lost replies: read `received`.
   * @example const r = await lab.ping(hosts.client, ip.rs1, { count: 2 }); // r.received === 2
   * @throws LvsError `NETLAB_BAD_ADDRESS` (not a lab address), `INVALID_ARGUMENT`, `NETLAB_COMMAND_FAILED`
   *   (no raw socket here: see `pingUnavailableReason()`)
   */
  ping(host: LabHost | string, address: string, options: PingOptions = {}): Promise<PingResult> {
    this.#alive();
    const h = this.#host(host);
    return pingFrom((argv, o) => this.exec(h, argv, o), address, options);
  }

  /**
   * The lab's own `arping` on `ifname` of `host`: ARP requests for `address` and the MACs that answer, or
   * with `announce` gratuitous ARPs for it; an AF_PACKET socket of `@lvskit/native` in the host's namespace,
   * no iputils needed (see `src/arp.ts`).
   * @example const { macs } = await lab.arping(hosts.client, 'eth0', ip.rs1);
   * @throws LvsError `NETLAB_BAD_ADDRESS`, `INVALID_ARGUMENT`, `@lvskit/native`'s codes (addon not built:
   *   see `arpingUnavailableReason()`)
   */
  arping(host: LabHost | string, ifname: string, address: string, options: ArpingOptions = {}): Promise<ArpingResult> {
    this.#alive();
    const h = this.#host(host);
    if (!IFNAME_RE.test(ifname)) throw new LvsError('NETLAB_BAD_NAME', `netlab: bad interface name ${ifname}`);
    return arpingIn(h.ns, ifname, address, options);
  }

  /** Starts a long-running process inside a host; it is tracked by PID and ended on teardown. */
  spawn(host: LabHost | string, argv: readonly string[], options: SpawnOptions = {}): LabProcess {
    this.#alive();
    const h = this.#host(host);
    if (argv.length === 0) throw new LvsError('INVALID_ARGUMENT', 'netlab: empty argv');
    const child = spawnChild('ip', ['netns', 'exec', h.ns, ...argv], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    const pid = child.pid;
    if (pid === undefined) throw new LvsError('NETLAB_COMMAND_FAILED', `netlab: could not start ${argv.join(' ')}`);
    // `ip netns exec` execs the command in place: the start time read now stays valid for the command.
    const rec: PidRecord = { pid, start: processStartTime(pid) };
    this.#processes.set(pid, { rec, child });
    this.#save();
    let out = '';
    const listeners = new Set<() => void>();
    const collect = (chunk: Buffer) => {
      if (out.length < OUTPUT_CAP) out += chunk.toString('utf8');
      for (const l of listeners) l();
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.on('error', () => {});
    let done = false;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.on('exit', (code, signal) => {
        done = true;
        this.#processes.delete(pid);
        if (!this.#destroyed) this.#save();
        for (const l of listeners) l();
        resolve({ code, signal });
      });
    });
    const proc: LabProcess = {
      pid,
      host: h,
      output: () => out,
      exited,
      waitForOutput: (pattern, timeoutMs = 10_000) =>
        new Promise((resolve, reject) => {
          const check = () => {
            if (pattern.test(out)) finish(() => resolve(out));
            else if (done)
              finish(() =>
                reject(
                  new LvsError(
                    'NETLAB_COMMAND_FAILED',
                    `netlab: ${argv.join(' ')} exited before ${pattern}: ${out.trim()}`,
                  ),
                ),
              );
          };
          const timer = setTimeout(
            () =>
              finish(() =>
                reject(
                  new LvsError(
                    'NETLAB_TIMEOUT',
                    `netlab: no ${pattern} from ${argv.join(' ')} within ${timeoutMs} ms: ${out.trim()}`,
                  ),
                ),
              ),
            timeoutMs,
          );
          const finish = (f: () => void) => {
            clearTimeout(timer);
            listeners.delete(check);
            f();
          };
          listeners.add(check);
          check();
        }),
      stop: async (graceMs = 2000) => {
        if (!done) terminate([rec], graceMs);
        await exited;
      },
    };
    return proc;
  }

  /**
   * Starts the lab's HTTP server in `host` on `port`; every response body is `name` plus a newline.
   * Resolves once it listens.
   * @param address - address to bind; default all addresses of the namespace
   */
  async httpServer(host: LabHost | string, port: number, name: string, address?: string): Promise<LabProcess> {
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new LvsError('INVALID_ARGUMENT', `netlab: bad port ${port}`);
    if (address !== undefined) checkLabCidr(address);
    const argv = [process.execPath, HTTP_SERVER_SCRIPT, '--port', String(port), '--name', name, '--exit-with-stdin'];
    if (address !== undefined) argv.push('--address', address);
    const proc = this.spawn(host, argv);
    await proc.waitForOutput(/^listening /m);
    return proc;
  }

  /** PIDs of the processes this lab tracks and that are still running. */
  trackedPids(): number[] {
    return [...this.#processes.keys()];
  }

  /**
   * Tears the lab down: ends every tracked process (SIGTERM, then SIGKILL) and every other process left in
   * its namespaces, by PID, waits for them, deletes every namespace and the state file. Idempotent.
   */
  async destroy(): Promise<void> {
    const children = [...this.#processes.values()].map((p) => p.child);
    this.destroySync();
    // Let the event loop reap our children and deliver their exit events before reporting done.
    await Promise.all(
      children.map((c) =>
        c.exitCode !== null || c.signalCode !== null
          ? undefined
          : Promise.race([new Promise((r) => c.once('exit', r)), new Promise((r) => setTimeout(r, 500))]),
      ),
    );
  }

  /**
   * Synchronous {@link Lab.destroy}, for exit hooks (no event loop left to wait on). Blocks only while a
   * process ignores SIGTERM (up to its grace period).
   */
  destroySync(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    liveLabs.delete(this);
    terminate([...this.#processes.values()].map((p) => p.rec));
    this.#teardownNamespaces();
  }

  #teardownNamespaces(): void {
    const namespaces = [...this.#namespaces].reverse();
    const strays: PidRecord[] = [];
    for (const ns of namespaces) for (const pid of namespacePidsSync(ns)) strays.push({ pid });
    if (strays.length > 0) terminate(strays, 1000);
    for (const ns of namespaces) runCommandSync(['ip', 'netns', 'del', ns], { check: false });
    removeState(this.prefix);
    // The watchdog would notice the missing state file within its poll period; the signal makes it leave now.
    const wd = this.#watchdog;
    if (wd !== undefined && wd.start !== undefined && processStartTime(wd.pid) === wd.start) {
      try {
        process.kill(wd.pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
    }
    if (liveLabs.size === 0) uninstallHooks();
  }
}

/** A fresh per-run prefix: `lvsk` + 6 random hex digits + `-`. */
export function newPrefix(): string {
  return `lvsk${randomBytes(3).toString('hex')}-`;
}

/**
 * Creates an empty lab with a fresh prefix, after sweeping away labs whose owner process died.
 * @throws LvsError `NETLAB_UNAVAILABLE` when not running as root
 */
export async function createLab(options: LabOptions = {}): Promise<Lab> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    throw new LvsError('NETLAB_UNAVAILABLE', 'netlab: network labs need Linux and root');
  }
  if (options.sweep !== false) await sweepStaleLabs();
  const lab = new Lab(newPrefix());
  lab.start(options.watchdog !== false);
  return lab;
}
