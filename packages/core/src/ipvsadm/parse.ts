/**
 * The ipvsadm 1.31 command grammar: popt-style option scanning, `parse_options` and the checks of
 * `process_options` (the `commands_v_options` legality table, list conflicts, defaults, ranges) with
 * ipvsadm's own messages, in the order ipvsadm reports them. Produces an {@link IpvsadmCommand}; must never
 * touch a target or print anything. A rejected line throws `LvsError` `IPVSADM_BAD_COMMAND` (ipvsadm exits 2)
 * or `IPVSADM_USAGE` (exits 255); the error message is exactly what ipvsadm writes to stderr, minus the
 * final newline.
 * @see ipvsadm.c `parse_options`, `process_options`, `generic_opt_check`, `tunnel_opt_check`, `parse_service`
 */
import { LvsError } from '@lvskit/base';
import { inetAton, inetNtop, inetPton4, inetPton6, serviceToPort } from './inet.js';
import type {
  IpvsadmCommand,
  IpvsDaemonState,
  IpvsListFormat,
  IpvsProtocol,
  IpvsSchedFlag,
  IpvsServerConfig,
  IpvsServerKey,
  IpvsServiceConfig,
  IpvsServiceKey,
} from './types.js';
import { IPVSADM_DEFAULTS } from './types.js';

/** Options of {@link parseIpvsadm}. */
export interface ParseIpvsadmOptions {
  /**
   * Resolves a host name ipvsadm would pass to `gethostbyname` (IPv4 only). lvskit resolves nothing by
   * default, so names are refused as ipvsadm refuses unknown hosts.
   */
  readonly resolveHost?: (name: string) => string | undefined;
  /** The program name used in the usage hint (`Try \`ipvsadm -h' …`); default `ipvsadm`. */
  readonly program?: string;
}

const MAX_TIMEOUT = IPVSADM_DEFAULTS.maxTimeout;
const INT_MAX = 2147483647;

/** `optnames[]` in `OPTC_*` order: index = bit number in the option set and column of the legality table. */
const OPTNAMES = [
  'numeric',
  'connection',
  'service-address',
  'scheduler',
  'persistent',
  'netmask',
  'real-server',
  'forwarding-method',
  'weight',
  'u-threshold',
  'l-threshold',
  'mcast-interface',
  'timeout',
  'daemon',
  'stats',
  'rate',
  'thresholds',
  'persistent-conn',
  'nosort',
  'syncid',
  'exact',
  'ops',
  'pe',
  'sched-flags',
  'mcast-group',
  'mcast-port',
  'mcast-ttl',
  'sync-maxlen',
  'tun-info',
  'tun-type',
  'tun-port',
  'tun-nocsum',
  'tun-csum',
  'tun-remcsum',
] as const;
type OptName = (typeof OPTNAMES)[number];
const OPTC = Object.fromEntries(OPTNAMES.map((n, i) => [n, i])) as Record<OptName, number>;

/** `cmdnames[]` in `CMD_*` order. */
const CMDNAMES = [
  'add-service',
  'edit-service',
  'delete-service',
  'flush',
  'list',
  'add-server',
  'delete-server',
  'edit-server',
  'set',
  'start-daemon',
  'stop-daemon',
  'restore',
  'save',
  'zero',
] as const;
type CmdName = (typeof CMDNAMES)[number];

/** ipvsadm.c `commands_v_options`, one string per command, one character per option ('+', 'x', '1', ' '). */
const LEGALITY: Record<CmdName, string> = {
  //               -n -c svc -s -p -M -r fwd -w -x -y mc tot dmn st rt thr pc srt sid ex ops pe -b grp port ttl size tinf type tprt nocs csum remc
  'add-service': 'xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx',
  'edit-service': 'xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx',
  'delete-service': 'xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  flush: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  list: ' 11xxxxxxxxx11       xxxxxxx xxxxx',
  'add-server': 'xx+xxx+    xxxxxxxxxxxxxxxxxx     ',
  'delete-server': 'xx+xxx+xxxxxxxxxxxxxxxxxxxxxxxxxxx',
  'edit-server': 'xx+xxx+    xxxxxxxxxxxxxxxxxx     ',
  set: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  'start-daemon': 'xxxxxxxxxxx xxxxxxx xxxx    xxxxxx',
  'stop-daemon': 'xxxxxxxxxxxxxxxxxxx xxxxxxxxxxxxxx',
  restore: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  save: ' xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  zero: 'xx xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
};

/** ipvsadm.c `tunnel_types_v_options` over (tun-port, tun-nocsum, tun-csum, tun-remcsum). */
const TUN_LEGALITY = { ipip: 'xxxx', gue: '+111', gre: 'x11x' } as const;
const TUN_OPTS = ['tun-port', 'tun-nocsum', 'tun-csum', 'tun-remcsum'] as const;

type ArgKind = 'none' | 'string' | 'optional';
interface PoptOption {
  readonly long: string;
  readonly short?: string;
  readonly arg: ArgKind;
  readonly tag: string;
}

/** ipvsadm.c `options_table` (popt). */
const POPT: readonly PoptOption[] = [
  { long: 'add-service', short: 'A', arg: 'none', tag: 'A' },
  { long: 'edit-service', short: 'E', arg: 'none', tag: 'E' },
  { long: 'delete-service', short: 'D', arg: 'none', tag: 'D' },
  { long: 'clear', short: 'C', arg: 'none', tag: 'C' },
  { long: 'list', short: 'L', arg: 'none', tag: 'L' },
  { long: 'list', short: 'l', arg: 'none', tag: 'L' },
  { long: 'zero', short: 'Z', arg: 'none', tag: 'Z' },
  { long: 'add-server', short: 'a', arg: 'none', tag: 'a' },
  { long: 'edit-server', short: 'e', arg: 'none', tag: 'e' },
  { long: 'delete-server', short: 'd', arg: 'none', tag: 'd' },
  { long: 'set', arg: 'none', tag: 'set' },
  { long: 'help', short: 'h', arg: 'none', tag: 'h' },
  { long: 'version', short: 'v', arg: 'none', tag: 'v' },
  { long: 'restore', short: 'R', arg: 'none', tag: 'R' },
  { long: 'save', short: 'S', arg: 'none', tag: 'S' },
  { long: 'start-daemon', arg: 'string', tag: 'start-daemon' },
  { long: 'stop-daemon', arg: 'string', tag: 'stop-daemon' },
  { long: 'tcp-service', short: 't', arg: 'string', tag: 't' },
  { long: 'udp-service', short: 'u', arg: 'string', tag: 'u' },
  { long: 'sctp-service', arg: 'string', tag: 'sctp' },
  { long: 'fwmark-service', short: 'f', arg: 'string', tag: 'f' },
  { long: 'scheduler', short: 's', arg: 'string', tag: 's' },
  { long: 'persistent', short: 'p', arg: 'optional', tag: 'p' },
  { long: 'netmask', short: 'M', arg: 'string', tag: 'M' },
  { long: 'real-server', short: 'r', arg: 'string', tag: 'r' },
  { long: 'masquerading', short: 'm', arg: 'none', tag: 'm' },
  { long: 'ipip', short: 'i', arg: 'none', tag: 'i' },
  { long: 'gatewaying', short: 'g', arg: 'none', tag: 'g' },
  { long: 'weight', short: 'w', arg: 'string', tag: 'w' },
  { long: 'u-threshold', short: 'x', arg: 'string', tag: 'x' },
  { long: 'l-threshold', short: 'y', arg: 'string', tag: 'y' },
  { long: 'numeric', short: 'n', arg: 'none', tag: 'n' },
  { long: 'connection', short: 'c', arg: 'none', tag: 'c' },
  { long: 'mcast-interface', arg: 'string', tag: 'mcast-interface' },
  { long: 'syncid', arg: 'string', tag: 'syncid' },
  { long: 'timeout', arg: 'none', tag: 'timeout' },
  { long: 'daemon', arg: 'none', tag: 'daemon' },
  { long: 'stats', arg: 'none', tag: 'stats' },
  { long: 'rate', arg: 'none', tag: 'rate' },
  { long: 'thresholds', arg: 'none', tag: 'thresholds' },
  { long: 'persistent-conn', arg: 'none', tag: 'persistent-conn' },
  { long: 'nosort', arg: 'none', tag: 'nosort' },
  { long: 'sort', arg: 'none', tag: 'sort' },
  { long: 'exact', short: 'X', arg: 'none', tag: 'exact' },
  { long: 'ipv6', short: '6', arg: 'none', tag: '6' },
  { long: 'ops', short: 'o', arg: 'none', tag: 'o' },
  { long: 'pe', arg: 'string', tag: 'pe' },
  { long: 'sched-flags', short: 'b', arg: 'string', tag: 'b' },
  { long: 'mcast-group', arg: 'string', tag: 'mcast-group' },
  { long: 'mcast-port', arg: 'string', tag: 'mcast-port' },
  { long: 'mcast-ttl', arg: 'string', tag: 'mcast-ttl' },
  { long: 'sync-maxlen', arg: 'string', tag: 'sync-maxlen' },
  { long: 'tun-info', arg: 'none', tag: 'tun-info' },
  { long: 'tun-type', arg: 'string', tag: 'tun-type' },
  { long: 'tun-port', arg: 'string', tag: 'tun-port' },
  { long: 'tun-nocsum', arg: 'none', tag: 'tun-nocsum' },
  { long: 'tun-csum', arg: 'none', tag: 'tun-csum' },
  { long: 'tun-remcsum', arg: 'none', tag: 'tun-remcsum' },
];

/** popt error texts (`poptStrerror`). */
const POPT_ERR = {
  noarg: 'missing argument',
  badopt: 'unknown option',
  unwanted: 'option does not take an argument',
} as const;

type PoptEvent =
  | { readonly type: 'opt'; readonly tag: string; readonly arg: string | undefined }
  | { readonly type: 'end' }
  | { readonly type: 'error'; readonly error: keyof typeof POPT_ERR; readonly bad: string };

/**
 * A scanner with popt's rules: `--name[=value]`, short clusters (`-Ln`, `-p60`, `-p=60`), required arguments
 * taken from the next word even when it starts with '-', optional ones only when it does not, `--` ending
 * options, other words collected as leftover arguments.
 */
class Popt {
  private next = 0;
  private charArg: string | undefined;
  private rest = false;
  /** Index of the last word consumed, for `poptBadOption`. */
  private last = -1;
  readonly leftovers: string[] = [];

  constructor(private readonly argv: readonly string[]) {}

  badOption(): string {
    return this.argv[this.last] ?? '';
  }

  getNextOpt(): PoptEvent {
    for (;;) {
      let opt: PoptOption | undefined;
      let longArg: string | undefined;
      if (this.charArg !== undefined && this.charArg !== '') {
        const ch = this.charArg[0]!;
        opt = POPT.find((o) => o.short === ch);
        if (!opt) return { type: 'error', error: 'badopt', bad: this.argv[this.last] ?? '' };
        const restChars = this.charArg.slice(1);
        this.charArg = restChars === '' ? undefined : restChars;
      } else {
        this.charArg = undefined;
        if (this.next >= this.argv.length) return { type: 'end' };
        const word = this.argv[this.next]!;
        this.last = this.next;
        this.next++;
        if (this.rest || word[0] !== '-' || word === '-') {
          this.leftovers.push(word);
          continue;
        }
        if (word === '--') {
          this.rest = true;
          continue;
        }
        if (word.startsWith('--')) {
          const body = word.slice(2);
          const eq = body.indexOf('=');
          const name = eq >= 0 ? body.slice(0, eq) : body;
          opt = POPT.find((o) => o.long === name);
          if (!opt) return { type: 'error', error: 'badopt', bad: word };
          if (eq >= 0) {
            if (opt.arg === 'none') return { type: 'error', error: 'unwanted', bad: word };
            longArg = body.slice(eq + 1);
          }
        } else {
          const ch = word[1]!;
          opt = POPT.find((o) => o.short === ch);
          if (!opt) return { type: 'error', error: 'badopt', bad: word };
          const restChars = word.slice(2);
          this.charArg = restChars === '' ? undefined : restChars;
        }
      }
      if (opt.arg === 'none') {
        // popt: "-L=x" / "--list=x" → POPT_ERROR_UNWANTEDARG
        if (this.charArg?.[0] === '=') return { type: 'error', error: 'unwanted', bad: this.argv[this.last] ?? '' };
        return { type: 'opt', tag: opt.tag, arg: undefined };
      }
      let arg: string | undefined;
      if (longArg !== undefined) arg = longArg;
      else if (this.charArg !== undefined) {
        // The rest of a short cluster is the argument, one leading '=' skipped ("-p60", "-p=60").
        arg = this.charArg[0] === '=' ? this.charArg.slice(1) : this.charArg;
        this.charArg = undefined;
      } else if (this.next >= this.argv.length) {
        if (opt.arg !== 'optional') return { type: 'error', error: 'noarg', bad: this.argv[this.last] ?? '' };
      } else if (opt.arg === 'optional' && this.argv[this.next]![0] === '-') {
        arg = undefined;
      } else {
        arg = this.argv[this.next]!;
        this.last = this.next;
        this.next++;
      }
      return { type: 'opt', tag: opt.tag, arg };
    }
  }
}

/** Thrown for `fail(2, …)`. */
function fail(message: string): never {
  throw new LvsError('IPVSADM_BAD_COMMAND', message);
}

const optionErrors = new WeakSet<LvsError>();

/**
 * parse_options' `c < -1` after the command: popt's error is printed and parse_options *returns* -1 (it does
 * not exit), so `ipvsadm -R` skips that line and goes on (ipvsadm 1.31). Same code and message as a usage
 * error; only `runIpvsadm` needs to tell them apart ({@link isOptionError}).
 */
function optionError(message: string): LvsError {
  const err = new LvsError('IPVSADM_USAGE', message);
  optionErrors.add(err);
  return err;
}

/** True for a popt error after the command option (parse_options returns -1 instead of exiting). */
export function isOptionError(err: unknown): boolean {
  return LvsError.is(err) && optionErrors.has(err);
}

/** Thrown for `tryhelp_exit(argv[0], -1)`. */
function tryHelp(program: string): never {
  throw new LvsError('IPVSADM_USAGE', `Try \`${program} -h' or '${program} --help' for more information.`);
}

/** ipvsadm.c `string_to_number`: strtol base 10 over the whole word, then the range. -1 when refused. */
export function stringToNumber(s: string, min: number, max: number): number {
  if (!/^[ \t\n\v\f\r]*[+-]?\d+$/.test(s)) return -1;
  const n = Number(s.trim());
  return n >= min && n <= max ? n : -1;
}

/** C `atoi`: leading blanks, a sign, digits; anything else stops it. */
function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  if (!m) return 0;
  const n = Number(m[1]);
  return n > INT_MAX || n < -INT_MAX - 1 ? -1 : n;
}

function strIsDigit(s: string): boolean {
  return /^\d*$/.test(s);
}

interface SvcState {
  af: 0 | 4 | 6;
  protocol: IpvsProtocol | undefined;
  addr: Uint8Array;
  port: number;
  fwmark: number;
  sched: string;
  persistent: boolean;
  onePacket: boolean;
  schedBits: number;
  timeout: number;
  netmask: number;
  pe: string;
}

interface DestState {
  af: 0 | 4 | 6;
  addr: Uint8Array;
  port: number;
  fwd: 'masq' | 'tunnel' | 'route';
  weight: number;
  upper: number;
  lower: number;
  tunType: 'ipip' | 'gue' | 'gre';
  tunPort: number;
  tunFlags: number;
}

const SERVICE_NONE = 0;
const SERVICE_ADDR = 1;
const SERVICE_PORT = 2;

/** ipvsadm.c `parse_service` over a copy of the service state; returns the SERVICE_* bits. */
function parseService(buf: string, svc: SvcState, resolve: ((name: string) => string | undefined) | undefined): number {
  if (strIsDigit(buf)) return SERVICE_NONE;
  let host = buf;
  let portText: string | undefined;
  if (buf[0] === '[') {
    const close = buf.indexOf(']', 1);
    if (close < 0) return SERVICE_NONE;
    if (buf[close + 1] !== ':') return SERVICE_NONE;
    host = buf.slice(1, close);
    portText = buf.slice(close + 2);
  }
  const v6 = new Uint8Array(16);
  if (inetPton6(host, v6)) {
    svc.addr = v6;
    svc.af = 6;
    svc.netmask = 128;
  } else {
    // The IPv4 branch looks for the last ':' again, forgetting a bracketed port (ipvsadm does the same).
    const colon = host.lastIndexOf(':');
    portText = colon >= 0 ? host.slice(colon + 1) : undefined;
    if (colon >= 0) host = host.slice(0, colon);
    let v4 = inetAton(host);
    if (v4 === undefined && resolve) {
      const r = resolve(host);
      const b = new Uint8Array(4);
      if (r !== undefined && inetPton4(r, b)) v4 = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
    }
    if (v4 === undefined) return SERVICE_NONE;
    const a = new Uint8Array(16);
    a[0] = v4 >>> 24;
    a[1] = (v4 >>> 16) & 0xff;
    a[2] = (v4 >>> 8) & 0xff;
    a[3] = v4 & 0xff;
    svc.addr = a;
    svc.af = 4;
  }
  let result = SERVICE_ADDR;
  if (portText !== undefined) {
    result |= SERVICE_PORT;
    let p = stringToNumber(portText, 0, 65535);
    if (p === -1) p = serviceToPort(portText, svc.protocol);
    if (p === -1) return SERVICE_NONE;
    svc.port = p;
  }
  return result;
}

function timeoutArg(buf: string | undefined, min: number, max: number): number {
  if (buf === undefined) return IPVSADM_DEFAULTS.persistentTimeout;
  const i = stringToNumber(buf, min, max);
  if (i === -1) fail(`invalid timeout value \`${buf}' specified`);
  return i;
}

const SCHED1 = 1;
const SCHED2 = 2;
const SCHED3 = 4;

/** ipvsadm.c `parse_sched_flags` (strtok on ','). */
function parseSchedFlags(sched: string, arg: string): number {
  const s = sched || IPVSADM_DEFAULTS.scheduler;
  let flags = 0;
  const tokens = arg.split(',').filter((t) => t !== '');
  // ipvsadm dereferences a NULL token for an all-comma argument; we refuse it like an unknown flag.
  if (tokens.length === 0) fail("invalid scheduler flag `'");
  for (const flag of tokens) {
    if (flag === 'flag-1') flags |= SCHED1;
    else if (flag === 'flag-2') flags |= SCHED2;
    else if (flag === 'flag-3') flags |= SCHED3;
    else if (flag === 'sh-fallback' || flag === 'sh-port') {
      flags |= flag === 'sh-fallback' ? SCHED1 : SCHED2;
      if (s !== 'sh') fail(`incompatible scheduler flag \`${flag}'`);
    } else if (flag === 'mh-fallback' || flag === 'mh-port') {
      flags |= flag === 'mh-fallback' ? SCHED1 : SCHED2;
      if (s !== 'mh') fail(`incompatible scheduler flag \`${flag}'`);
    } else fail(`invalid scheduler flag \`${flag}'`);
  }
  return flags;
}

function genericOptCheck(cmd: CmdName, options: Set<number>): void {
  const row = LEGALITY[cmd];
  let last = 0;
  let count = 0;
  for (let j = 0; j < OPTNAMES.length; j++) {
    const cell = row[j];
    if (!options.has(j)) {
      if (cell === '+') fail(`You need to supply the '${OPTNAMES[j]}' option for the '${cmd}' command`);
    } else {
      if (cell === 'x') fail(`Illegal '${OPTNAMES[j]}' option with the '${cmd}' command`);
      if (cell === '1') {
        count++;
        if (count === 1) {
          last = j;
          continue;
        }
        fail(`The option '${OPTNAMES[j]}' conflicts with the '${OPTNAMES[last]}' option in the '${cmd}' command`);
      }
    }
  }
}

function tunnelOptCheck(type: 'ipip' | 'gue' | 'gre', options: Set<number>): void {
  const row = TUN_LEGALITY[type];
  let last: string = TUN_OPTS[0];
  let count = 0;
  for (let j = 0; j < TUN_OPTS.length; j++) {
    const name = TUN_OPTS[j]!;
    const cell = row[j];
    if (!options.has(OPTC[name])) {
      if (cell === '+') fail(`You need to supply the '${name}' option for the '${type}' tunnel type`);
    } else {
      if (cell === 'x') fail(`Illegal '${name}' option with the '${type}' tunnel type`);
      if (cell === '1') {
        count++;
        if (count === 1) {
          last = name;
          continue;
        }
        fail(`The option '${name}' conflicts with the '${last}' option in the '${type}' tunnel type`);
      }
    }
  }
}

const CMD_BY_TAG: Record<string, CmdName> = {
  A: 'add-service',
  E: 'edit-service',
  D: 'delete-service',
  a: 'add-server',
  e: 'edit-server',
  d: 'delete-server',
  C: 'flush',
  L: 'list',
  Z: 'zero',
  set: 'set',
  R: 'restore',
  S: 'save',
  'start-daemon': 'start-daemon',
  'stop-daemon': 'stop-daemon',
};

/**
 * Splits one line into words the way `ipvsadm -R` does (config_stream.c): words are separated by space,
 * tab, CR or LF, and every word that is exactly `ipvsadm` is dropped. There is no quoting, and no comment
 * syntax (the `#` test in config_stream.c can never match, so `ipvsadm -R` rejects comment lines; the
 * `ipvsadm-restore` script strips them first).
 * @param line - one command line
 */
export function splitIpvsadmLine(line: string): string[] {
  return line.split(/[ \t\r\n]+/).filter((w) => w !== '' && w !== 'ipvsadm');
}

/**
 * Parses one ipvsadm invocation. Accepts an argv array (a leading `ipvsadm` word is dropped) or a text
 * line (split by {@link splitIpvsadmLine}). No words at all means `ipvsadm` alone: list everything.
 * Port names are looked up in a built-in /etc/services subset (`SERVICE_PORTS`); host names only through
 * `options.resolveHost`.
 * @param input - argv words or one line
 * @param options - name resolution and program name
 * @throws LvsError `IPVSADM_BAD_COMMAND` / `IPVSADM_USAGE` with ipvsadm's message
 */
export function parseIpvsadm(input: readonly string[] | string, options: ParseIpvsadmOptions = {}): IpvsadmCommand {
  const program = options.program ?? 'ipvsadm';
  const argv = typeof input === 'string' ? splitIpvsadmLine(input) : dropProgram(input);
  if (argv.length === 0) return { command: 'list', what: 'services', format: listFormat(new Set()) };

  const popt = new Popt(argv);
  const svc: SvcState = {
    af: 0,
    protocol: undefined,
    addr: new Uint8Array(16),
    port: 0,
    fwmark: 0,
    sched: '',
    persistent: false,
    onePacket: false,
    schedBits: 0,
    timeout: 0,
    netmask: 0xffffffff,
    pe: '',
  };
  const dest: DestState = {
    af: 0,
    addr: new Uint8Array(16),
    port: 0,
    fwd: 'route',
    weight: IPVSADM_DEFAULTS.weight,
    upper: 0,
    lower: 0,
    tunType: 'ipip',
    tunPort: 0,
    tunFlags: 0,
  };
  const daemon = {
    state: 'master' as IpvsDaemonState,
    ifn: '',
    syncid: 0,
    group: '',
    port: 0,
    ttl: 0,
    maxlen: 0,
  };
  const opts = new Set<number>();
  const setOption = (name: OptName): void => {
    const bit = OPTC[name];
    if (opts.has(bit)) fail(`multiple '${name}' options specified`);
    opts.add(bit);
  };

  // The first option must be the command (parse_options' first switch).
  const first = popt.getNextOpt();
  if (first.type !== 'opt') tryHelp(program);
  if (first.tag === 'h') return { command: 'help' };
  if (first.tag === 'v') return { command: 'version' };
  const cmd = CMD_BY_TAG[first.tag];
  if (cmd === undefined) tryHelp(program);
  if (cmd === 'start-daemon' || cmd === 'stop-daemon') {
    if (first.arg === 'master') daemon.state = 'master';
    else if (first.arg === 'backup') daemon.state = 'backup';
    else fail(cmd === 'start-daemon' ? 'illegal start-daemon parameter specified' : 'illegal start_daemon specified');
  }

  let schedFlagsArg = '';
  for (;;) {
    const ev = popt.getNextOpt();
    if (ev.type === 'end') break;
    if (ev.type === 'error') throw optionError(`${ev.bad}: ${POPT_ERR[ev.error]}`);
    const arg = ev.arg ?? '';
    switch (ev.tag) {
      case 't':
      case 'u':
      case 'sctp': {
        setOption('service-address');
        svc.protocol = ev.tag === 't' ? 'tcp' : ev.tag === 'u' ? 'udp' : 'sctp';
        if (!(parseService(arg, svc, options.resolveHost) & SERVICE_ADDR))
          fail('illegal virtual server address[:port] specified');
        break;
      }
      case 'f': {
        setOption('service-address');
        svc.af = 4;
        svc.protocol = 'tcp';
        if (!/^[ \t\n\v\f\r]*[+-]?\d+$/.test(arg)) fail(`invalid fwmark value \`${arg}' specified`);
        const l = Number(arg.trim());
        if (l <= 0 || l > 0xffffffff) fail(`invalid fwmark value \`${arg}' specified`);
        svc.fwmark = l;
        break;
      }
      case 's':
        setOption('scheduler');
        svc.sched = arg.slice(0, 15);
        break;
      case 'p':
        setOption('persistent');
        svc.persistent = true;
        svc.timeout = timeoutArg(ev.arg, 1, MAX_TIMEOUT);
        break;
      case 'M':
        setOption('netmask');
        if (svc.af !== 6) {
          const m = inetAton(arg) ?? resolveMask(arg, options.resolveHost);
          if (m === undefined) fail('illegal virtual server persistent mask specified');
          svc.netmask = m;
        } else {
          svc.netmask = atoi(arg);
          if (svc.netmask < 1 || svc.netmask > 128) fail('illegal ipv6 netmask specified');
        }
        break;
      case 'r': {
        setOption('real-server');
        const t: SvcState = { ...svc };
        const parse = parseService(arg, t, options.resolveHost);
        dest.af = t.af;
        dest.addr = t.addr;
        dest.port = t.port;
        if (!(parse & SERVICE_ADDR)) fail('illegal real server address[:port] specified');
        if (parse === SERVICE_ADDR) dest.port = svc.port;
        break;
      }
      case 'i':
        setOption('forwarding-method');
        dest.fwd = 'tunnel';
        break;
      case 'g':
        setOption('forwarding-method');
        dest.fwd = 'route';
        break;
      case 'm':
        setOption('forwarding-method');
        dest.fwd = 'masq';
        break;
      case 'w':
        setOption('weight');
        dest.weight = stringToNumber(arg, 0, 65535);
        if (dest.weight === -1) fail('illegal weight specified');
        break;
      case 'x':
        setOption('u-threshold');
        dest.upper = stringToNumber(arg, 0, INT_MAX);
        if (dest.upper === -1) fail('illegal u_threshold specified');
        break;
      case 'y':
        setOption('l-threshold');
        dest.lower = stringToNumber(arg, 0, INT_MAX);
        if (dest.lower === -1) fail('illegal l_threshold specified');
        break;
      case 'c':
        setOption('connection');
        break;
      case 'n':
        setOption('numeric');
        break;
      case 'mcast-interface':
        setOption('mcast-interface');
        daemon.ifn = arg.slice(0, 15);
        break;
      case 'syncid':
        setOption('syncid');
        daemon.syncid = stringToNumber(arg, 0, 255);
        if (daemon.syncid === -1) fail('illegal syncid specified');
        break;
      case 'timeout':
      case 'daemon':
      case 'stats':
      case 'rate':
      case 'thresholds':
      case 'persistent-conn':
      case 'nosort':
      case 'tun-info':
        setOption(ev.tag);
        break;
      case 'sort':
        // "Sort is the default, this is a no-op for compatibility" (no option bit, may repeat).
        break;
      case 'exact':
        setOption('exact');
        break;
      case '6':
        if (svc.fwmark) {
          svc.af = 6;
          svc.netmask = 128;
        } else fail('-6 used before -f\n');
        break;
      case 'o':
        setOption('ops');
        svc.onePacket = true;
        break;
      case 'pe':
        setOption('pe');
        svc.pe = arg.slice(0, 16);
        break;
      case 'b':
        setOption('sched-flags');
        schedFlagsArg = arg.slice(0, 127);
        break;
      case 'mcast-group': {
        setOption('mcast-group');
        if (arg.includes(':')) {
          const g = new Uint8Array(16);
          if (!inetPton6(arg, g) || g[0] !== 0xff) fail(`invalid IPv6 mcast-group \`${arg}'`);
          daemon.group = inetNtop(6, g);
        } else {
          const g = new Uint8Array(4);
          if (!inetPton4(arg, g) || g[0]! < 224 || g[0]! > 239) fail(`invalid IPv4 mcast-group \`${arg}'`);
          daemon.group = inetNtop(4, g);
        }
        break;
      }
      case 'mcast-port':
        setOption('mcast-port');
        daemon.port = stringToNumber(arg, 1, 65535);
        if (daemon.port === -1) fail('illegal mcast-port specified');
        break;
      case 'mcast-ttl':
        setOption('mcast-ttl');
        daemon.ttl = stringToNumber(arg, 1, 255);
        if (daemon.ttl === -1) fail('illegal mcast-ttl specified');
        break;
      case 'sync-maxlen':
        setOption('sync-maxlen');
        daemon.maxlen = stringToNumber(arg, 1, 65535 - 20 - 8);
        if (daemon.maxlen === -1) fail('illegal sync-maxlen specified');
        break;
      case 'tun-type':
        setOption('tun-type');
        if (arg !== 'ipip' && arg !== 'gue' && arg !== 'gre') fail('illegal tunnel type specified');
        dest.tunType = arg;
        break;
      case 'tun-port':
        setOption('tun-port');
        dest.tunPort = stringToNumber(arg, 1, 65535);
        if (dest.tunPort === -1) fail('illegal tunnel port specified');
        break;
      case 'tun-nocsum':
        setOption('tun-nocsum');
        break;
      case 'tun-csum':
        setOption('tun-csum');
        dest.tunFlags |= 1;
        break;
      case 'tun-remcsum':
        setOption('tun-remcsum');
        dest.tunFlags |= 2;
        break;
      default:
        // A known option the second switch does not handle: a second command, -h, -v, ...
        fail(`invalid option \`${popt.badOption()}'`);
    }
  }

  const leftovers = popt.leftovers;
  let timeouts = { tcp: 0, tcpfin: 0, udp: 0 };
  if (cmd === 'set') {
    if (leftovers.length < 3) fail('--set option requires 3 timeout values');
    timeouts = {
      tcp: timeoutArg(leftovers[0], 0, MAX_TIMEOUT),
      tcpfin: timeoutArg(leftovers[1], 0, MAX_TIMEOUT),
      udp: timeoutArg(leftovers[2], 0, MAX_TIMEOUT),
    };
    leftovers.splice(0, 3);
  }
  if (leftovers.length > 0) fail(`unexpected argument ${leftovers[0]}`);
  if (schedFlagsArg !== '') svc.schedBits = parseSchedFlags(svc.sched, schedFlagsArg);

  // process_options
  genericOptCheck(cmd, opts);
  if (cmd === 'add-service' || cmd === 'edit-service') {
    if (!svc.fwmark && !svc.port && !svc.persistent) fail('Zero port specified for non-persistent service');
    if (svc.onePacket && !svc.fwmark && svc.protocol !== 'udp')
      fail('One-Packet Scheduling is only for UDP virtual services');
    if (svc.sched === '') svc.sched = IPVSADM_DEFAULTS.scheduler;
  }
  if (cmd === 'start-daemon' && daemon.ifn === '') daemon.ifn = IPVSADM_DEFAULTS.mcastInterface;
  if (cmd === 'add-server' || cmd === 'edit-server') {
    if (!svc.fwmark && (dest.fwd === 'tunnel' || dest.fwd === 'route')) dest.port = svc.port;
    if (dest.af !== svc.af && dest.fwd !== 'tunnel')
      fail('Different address family is allowed only for tunneling servers');
    const tunOpts = ['tun-type', 'tun-port', 'tun-nocsum', 'tun-csum', 'tun-remcsum'] as const;
    if (tunOpts.some((o) => opts.has(OPTC[o])) && dest.fwd !== 'tunnel')
      fail('Tunnel options conflict with forward method');
    tunnelOptCheck(dest.tunType, opts);
  }

  const has = (name: OptName) => opts.has(OPTC[name]);
  const key = (): IpvsServiceKey => serviceKey(svc);
  switch (cmd) {
    case 'list': {
      if (
        ((has('connection') || has('timeout') || has('daemon')) &&
          (has('stats') || has('rate') || has('thresholds'))) ||
        ((has('timeout') || has('daemon')) && has('persistent-conn'))
      )
        fail('options conflicts in the list command');
      const format = listFormat(opts);
      if (has('connection')) return { command: 'list', what: 'connections', format };
      if (has('service-address')) return { command: 'list', what: 'services', service: key(), format };
      if (has('timeout')) return { command: 'list', what: 'timeout', format };
      if (has('daemon')) return { command: 'list', what: 'daemon', format };
      return { command: 'list', what: 'services', format };
    }
    case 'restore':
      return { command: 'restore' };
    case 'save':
      return { command: 'save', numeric: has('numeric') };
    case 'flush':
      return { command: 'flush' };
    case 'add-service':
    case 'edit-service':
      return { command: cmd, service: serviceConfig(svc) };
    case 'delete-service':
      return { command: 'delete-service', service: key() };
    case 'zero':
      return has('service-address') ? { command: 'zero', service: key() } : { command: 'zero' };
    case 'add-server':
    case 'edit-server':
      return { command: cmd, service: key(), server: serverConfig(dest) };
    case 'delete-server':
      return { command: 'delete-server', service: key(), server: serverKey(dest) };
    case 'set':
      return { command: 'set', timeouts };
    case 'start-daemon':
      return {
        command: 'start-daemon',
        daemon: {
          state: daemon.state,
          mcastInterface: daemon.ifn,
          syncid: daemon.syncid,
          syncMaxlen: daemon.maxlen,
          mcastGroup: daemon.group,
          mcastPort: daemon.port,
          mcastTtl: daemon.ttl,
        },
      };
    case 'stop-daemon':
      return has('syncid')
        ? { command: 'stop-daemon', state: daemon.state, syncid: daemon.syncid }
        : { command: 'stop-daemon', state: daemon.state };
  }
}

function dropProgram(argv: readonly string[]): readonly string[] {
  return argv.length > 0 && (argv[0] === 'ipvsadm' || argv[0]!.endsWith('/ipvsadm')) ? argv.slice(1) : argv;
}

function resolveMask(text: string, resolve: ((name: string) => string | undefined) | undefined): number | undefined {
  const r = resolve?.(text);
  if (r === undefined) return undefined;
  const b = new Uint8Array(4);
  return inetPton4(r, b) ? ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0 : undefined;
}

function listFormat(opts: Set<number>): IpvsListFormat {
  const has = (name: OptName) => opts.has(OPTC[name]);
  return {
    numeric: has('numeric'),
    stats: has('stats'),
    rate: has('rate'),
    thresholds: has('thresholds'),
    persistentConn: has('persistent-conn'),
    tunInfo: has('tun-info'),
    nosort: has('nosort'),
    exact: has('exact'),
  };
}

function serviceKey(svc: SvcState): IpvsServiceKey {
  const family = svc.af === 6 ? 6 : 4;
  if (svc.fwmark) return { kind: 'fwmark', fwmark: svc.fwmark, family };
  return {
    kind: 'address',
    protocol: svc.protocol ?? 'tcp',
    family,
    address: inetNtop(family, svc.addr),
    port: svc.port,
  };
}

function serviceConfig(svc: SvcState): IpvsServiceConfig {
  const flags: IpvsSchedFlag[] = [];
  if (svc.schedBits & SCHED1) flags.push('flag-1');
  if (svc.schedBits & SCHED2) flags.push('flag-2');
  if (svc.schedBits & SCHED3) flags.push('flag-3');
  return {
    key: serviceKey(svc),
    scheduler: svc.sched,
    schedFlags: flags,
    persistent: svc.persistent,
    timeout: svc.timeout,
    netmask: svc.af === 6 ? svc.netmask : svc.netmask >>> 0,
    pe: svc.pe,
    onePacket: svc.onePacket,
  };
}

function serverKey(dest: { af: 0 | 4 | 6; addr: Uint8Array; port: number }): IpvsServerKey {
  const family = dest.af === 6 ? 6 : 4;
  return { family, address: inetNtop(family, dest.addr), port: dest.port };
}

function serverConfig(dest: DestState): IpvsServerConfig {
  return {
    key: serverKey(dest),
    forwarding: dest.fwd,
    weight: dest.weight,
    upperThreshold: dest.upper,
    lowerThreshold: dest.lower,
    tunnel: {
      type: dest.tunType,
      port: dest.tunPort,
      checksum: dest.tunFlags & 2 ? 'remcsum' : dest.tunFlags & 1 ? 'csum' : 'nocsum',
    },
  };
}
