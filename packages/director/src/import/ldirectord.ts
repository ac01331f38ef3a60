/**
 * The ldirectord.cf importer: ldirectord's line grammar (global `key = value` lines at column 1, `virtual =`
 * sections whose lines are indented by four spaces or a tab, `#` comments) read the way ldirectord's
 * `read_config` reads it, into the director's typed config. Every keyword is either mapped, or reported at its
 * line and column: as an error where ldirectord refuses the file (or lvskit cannot run what it says, such as a
 * fwmark service), as a warning where the file still runs (a directive lvskit does not carry out). Checks
 * become `LDIRECTORD` checks that health's `ldirectordChecker` runs; `quiescent` is `inhibitOnFailure`,
 * `fallback` the sorry server; `autoreload` and `checkinterval` are returned for the daemon. Host names are
 * resolved only through `options.resolve`. It owns the grammar and the mapping; it never reads files, resolves
 * names itself, or starts anything.
 * @see ldirectord.in `read_config`, `add_real_server`, `parse_fallback`, `ld_setup` (ClusterLabs resource-agents)
 */
import { type Family, formatEndpoint, formatIp, formatPath, LvsError, type LvsIssue, parseIp } from '@lvskit/base';
import { type ForwardingMethod, type PersistenceConfig, SERVICE_PORTS } from '@lvskit/core';
import { LDIRECTORD_SERVICES, type LdirectordCheckType, type LdirectordGlobals } from '@lvskit/health';
import { isSchedulerName, type SchedulerName } from '@lvskit/schedulers';
import type {
  DirectorConfig,
  LdirectordCheckConfig,
  ServiceRealServer,
  SorryServerConfig,
  VirtualServiceConfig,
} from '../config.js';
import { validateConfig } from '../director.js';
import { type ImportIssue, importIssue } from './issues.js';

/** Options of {@link importLdirectord}. */
export interface LdirectordImportOptions {
  /** The file name issues carry; default `ldirectord.cf`. */
  readonly file?: string;
  /**
   * Resolves a host name (`real = web1:80 gate`, `fallback = sorry.example:80`) to an address of `family`, or
   * `undefined` when it does not resolve. Without it a host name is an error: the importer does no DNS.
   */
  readonly resolve?: (host: string, family: Family) => string | undefined;
}

/** What ldirectord's daemon does beyond the table, for `lvskit run`. */
export interface LdirectordDaemonSettings {
  /** `autoreload = yes`: reload when the file changes (default no). */
  readonly autoreload: boolean;
  /** Global `checkinterval`, seconds (default 10): how often autoreload looks at the file, and the check rounds. */
  readonly checkinterval: number;
  /** `callback = "path"`: run with the file name when the configuration changes. */
  readonly callback?: string;
  /** `logfile = "path"`. */
  readonly logfile?: string;
  /** `supervised = yes`: stay in the foreground. */
  readonly supervised: boolean;
  /** `fork = yes`: ldirectord checks each virtual in its own process (then a section's `checkinterval` counts). */
  readonly fork: boolean;
  /** `cleanstop = no`: leave the table in place on exit (default yes). */
  readonly cleanstop: boolean;
}

/** The result of {@link importLdirectord}. */
export interface LdirectordImport {
  /** The director config (valid: it passed `validateConfig`). */
  readonly config: DirectorConfig;
  /** What was imported anyway but is not carried out as ldirectord would. */
  readonly warnings: readonly ImportIssue[];
  /** The daemon's own settings. */
  readonly daemon: LdirectordDaemonSettings;
}

interface Pos {
  readonly line: number;
  readonly column: number;
}

const METHOD: Readonly<Record<string, ForwardingMethod>> = { gate: 'route', masq: 'masq', ipip: 'tunnel' };

/** One ldirectord.cf keyword and how the importer treats it, for {@link ldirectordKeywords}. */
export interface LdirectordKeyword {
  /** `''` for a global directive, `virtual` for one inside a `virtual =` / `virtual6 =` section. */
  readonly block: '' | 'virtual';
  /** The keyword. */
  readonly keyword: string;
  /** `mapped` into the director config (or the daemon settings); `warning`: accepted and reported, no effect; `error`: refused. */
  readonly support: 'mapped' | 'warning' | 'error';
  /** Why, for `warning` and `error`; for `mapped`, the values that are reported or refused, if any. */
  readonly note: string;
}

type KeywordTable = Readonly<Record<string, { readonly support: LdirectordKeyword['support']; readonly note: string }>>;
const mapped = (note = '') => ({ support: 'mapped', note }) as const;
const ignored = (note: string) => ({ support: 'warning', note }) as const;
const refusedKeyword = (note: string) => ({ support: 'error', note }) as const;

/**
 * The global directives the importer knows: a directive not listed is an error (`unknown command`), as in
 * ldirectord. `warning` entries not handled by a `case` of their own are reported as ignored.
 */
const GLOBAL_KEYWORDS: KeywordTable = {
  virtual: mapped('opens a section: a virtual service (`host:port`; a fwmark number is refused)'),
  virtual6: mapped('opens a section: an IPv6 virtual service (`[addr]:port`)'),
  checktimeout: mapped(),
  negotiatetimeout: mapped(),
  checkinterval: mapped('also how often autoreload looks at the file'),
  failurecount: mapped(),
  checkcount: mapped('deprecated spelling of failurecount (reported as a warning, as ldirectord does)'),
  fallback: mapped('the sorry server of every IPv4 section without its own'),
  fallback6: mapped('the sorry server of every IPv6 section without its own'),
  autoreload: mapped('returned for the daemon, which reloads when the file changes'),
  supervised: mapped('returned for the daemon (a bare `supervised` is deprecated: a warning)'),
  fork: mapped("returned for the daemon; with fork = no a section's checkinterval is ignored, as in ldirectord"),
  cleanstop: mapped('returned for the daemon'),
  quiescent: mapped('a failed real server keeps weight 0 instead of being removed (inhibitOnFailure)'),
  callback: mapped('returned for the daemon'),
  logfile: mapped('returned for the daemon'),
  readdquiescent: ignored('not carried out: lvskit keeps the table it manages'),
  emailalert: ignored('lvskit sends no e-mail'),
  emailalertfreq: ignored('lvskit sends no e-mail'),
  emailalertstatus: ignored('lvskit sends no e-mail'),
  emailalertfrom: ignored('lvskit sends no e-mail'),
  smtp: ignored('lvskit sends no e-mail'),
  execute: ignored('lvskit does not start other ldirectord configurations'),
  maintenancedir: ignored('maintenance files are not watched'),
  fallbackcommand: ignored('no command is run when the real servers are down'),
  connecttimeout: refusedKeyword('removed from ldirectord in favour of checktimeout and negotiatetimeout'),
  timeout: refusedKeyword('removed from ldirectord in favour of checktimeout and negotiatetimeout'),
};

/** The directives of a `virtual =` section the importer knows, on the same terms as {@link GLOBAL_KEYWORDS}. */
const VIRTUAL_KEYWORDS: KeywordTable = {
  real: mapped('`address[:port] gate|masq|ipip [weight]`, address ranges `a->b` included (IPv4)'),
  real6: mapped(),
  request: mapped(),
  receive: mapped(),
  login: mapped(),
  passwd: mapped(),
  database: mapped(),
  secret: mapped(),
  checktype: mapped(
    'connect, negotiate, ping, on, off, external or a number; external-perl is refused (it evaluates Perl inside ldirectord)',
  ),
  checkcommand: mapped(),
  checktimeout: mapped(),
  negotiatetimeout: mapped(),
  failurecount: mapped(),
  checkcount: mapped('deprecated spelling of failurecount (reported as a warning, as ldirectord does)'),
  checkinterval: mapped('only with fork = yes, as in ldirectord (otherwise a warning)'),
  checkport: mapped(),
  scheduler: mapped('a scheduler lvskit does not implement is refused'),
  persistent: mapped(),
  netmask: mapped('without persistent it is ignored with a warning, as in ldirectord'),
  protocol: mapped('tcp or udp; fwm is refused: the director config has no fwmark services'),
  service: mapped(),
  httpmethod: mapped(),
  virtualhost: mapped(),
  fallback: mapped('the sorry server'),
  fallback6: mapped('the sorry server'),
  quiescent: mapped('a failed real server keeps weight 0 instead of being removed (inhibitOnFailure)'),
  servicename: mapped(),
  ops: ignored('one-packet scheduling is not supported: ops = yes is reported and ignored'),
  cleanstop: ignored('cleanstop = no is not carried out: lvskit removes what it added on stop'),
  schedflags: ignored('not imported: set schedulerFlags in the director config'),
  emailalert: ignored('lvskit sends no e-mail'),
  emailalertfreq: ignored('lvskit sends no e-mail'),
  emailalertstatus: ignored('lvskit sends no e-mail'),
  smtp: ignored('lvskit sends no e-mail'),
  monitorfile: ignored('check results are not logged to a file'),
  fallbackcommand: ignored('no command is run when the real servers are down'),
  load: ignored('load-based weights are not carried out'),
  comment: ignored('lvskit keeps no comment'),
  connecttimeout: refusedKeyword('removed from ldirectord in favour of negotiatetimeout'),
};

/**
 * Every keyword the ldirectord importer knows, global and per `virtual` section, with how it treats it: the
 * table the migration guide is generated from. A keyword not listed is an error (`unknown command`), as in
 * ldirectord.
 * @returns one entry per block and keyword
 */
export function ldirectordKeywords(): readonly LdirectordKeyword[] {
  const rows = (block: LdirectordKeyword['block'], table: KeywordTable) =>
    Object.entries(table).map(([keyword, k]) => ({ block, keyword, support: k.support, note: k.note }));
  return [...rows('', GLOBAL_KEYWORDS), ...rows('virtual', VIRTUAL_KEYWORDS)];
}

class Report {
  readonly errors: ImportIssue[] = [];
  readonly warnings: ImportIssue[] = [];
  constructor(readonly file: string) {}
  error(at: Pos, message: string): void {
    this.errors.push(importIssue(this.file, at.line, at.column, 'error', message));
  }
  warn(at: Pos, message: string): void {
    this.warnings.push(importIssue(this.file, at.line, at.column, 'warning', message));
  }
}

/** One `key = value` directive: where the key and the value start. */
interface Directive {
  readonly key: string;
  readonly value: string;
  readonly at: Pos;
  readonly valueAt: Pos;
}

function directive(text: string, line: number, offset: number): Directive | undefined {
  const m = /^([A-Za-z][\w-]*)\s*=\s*/.exec(text);
  if (!m) return undefined;
  return {
    key: m[1] as string,
    value: text.slice(m[0].length).trimEnd(),
    at: { line, column: offset + 1 },
    valueAt: { line, column: offset + m[0].length + 1 },
  };
}

/** `"text"` → text (the directives ldirectord matches as `\"(.*)\"`); undefined when not quoted. */
function quoted(value: string): string | undefined {
  const m = /^"(.*)"/.exec(value);
  return m ? m[1] : undefined;
}

interface RealLine {
  readonly value: string;
  readonly at: Pos;
  readonly v6: boolean;
}

interface Virtual {
  readonly at: Pos;
  readonly family: Family;
  readonly host: string;
  readonly portText: string;
  readonly reals: RealLine[];
  readonly keys: Map<string, Pos>;
  readonly check: Record<string, string | number>;
  protocol?: 'tcp' | 'udp';
  scheduler?: SchedulerName;
  persistent?: number;
  netmask?: string;
  quiescent?: boolean;
  fallback?: { readonly value: string; readonly at: Pos };
  servicename?: string;
  checkinterval?: { readonly value: number; readonly at: Pos };
}

function isIp(text: string, family: Family): boolean {
  try {
    return parseIp(text).length === (family === 4 ? 4 : 16);
  } catch {
    return false;
  }
}

/**
 * Reads an ldirectord.cf into the director's config. All issues are collected first; when any is an error,
 * nothing is returned.
 * @param text - the file's content
 * @param options - the file name for issues and a host name resolver
 * @returns the config (it passed the director's `validateConfig`), the warnings and the daemon settings
 * @throws LvsError `DIRECTOR_IMPORT_FAILED` with every error as an {@link ImportIssue} `file:line:col: message`
 *   (the warnings too, after them)
 */
export function importLdirectord(text: string, options: LdirectordImportOptions = {}): LdirectordImport {
  if (typeof text !== 'string') throw new LvsError('INVALID_ARGUMENT', 'importLdirectord: text must be a string');
  const report = new Report(options.file ?? 'ldirectord.cf');
  const lines = text.split(/\r?\n/);
  const globals: { -readonly [K in keyof LdirectordGlobals]: LdirectordGlobals[K] } = {};
  const flags = { autoreload: false, supervised: false, fork: false, cleanstop: true, quiescent: false };
  let callback: string | undefined;
  let logfile: string | undefined;
  const fallbacks: Partial<Record<Family, GlobalFallback>> = {};
  const virtuals: Virtual[] = [];

  const yesNo = (d: Directive): boolean | undefined => {
    if (d.value === 'yes' || d.value === 'no') return d.value === 'yes';
    report.error(d.valueAt, `${d.key} must be 'yes' or 'no', got ${JSON.stringify(d.value)}`);
    return undefined;
  };
  // ldirectord reads the first run of digits (`/(\d+)/`) and refuses 0; text after the number is ignored.
  const count = (d: Directive, what: string): number | undefined => {
    const m = /^(\d+)(.*)$/.exec(d.value);
    if (!m || Number(m[1]) === 0) {
      report.error(d.valueAt, `invalid ${what}: ${JSON.stringify(d.value)} (a number > 0)`);
      return undefined;
    }
    const rest = (m[2] as string).trim();
    if (rest !== '' && !rest.startsWith('#'))
      report.warn(d.valueAt, `ignored after the number: ${JSON.stringify(rest)}`);
    return Number(m[1]);
  };

  let i = 0;
  while (i < lines.length) {
    const raw = lines[i] as string;
    const line = i + 1;
    const head = /^virtual(6)?\s*=\s*/.exec(raw);
    if (head) {
      i = readVirtual(lines, i, head[1] !== undefined, head[0].length, report, virtuals);
      continue;
    }
    i++;
    if (/^\s*$/.test(raw) || /^\s*#/.test(raw)) continue;
    if (/^supervised\s*$/.test(raw)) {
      // ldirectord takes a bare `supervised` as yes, with a warning.
      flags.supervised = true;
      report.warn({ line, column: 1 }, "a bare 'supervised' is deprecated: write supervised = yes");
      continue;
    }
    const d = /^\s/.test(raw) ? undefined : directive(raw, line, 0);
    if (!d) {
      report.error(
        { line, column: raw.length - raw.trimStart().length + 1 },
        /^\s/.test(raw)
          ? `indented line outside a virtual section (a blank or unindented line ended it): ${JSON.stringify(raw.trim())}`
          : `unknown command ${JSON.stringify(raw.trim())}`,
      );
      continue;
    }
    if (!Object.hasOwn(GLOBAL_KEYWORDS, d.key) || d.key === 'virtual' || d.key === 'virtual6') {
      report.error(d.at, `unknown command ${JSON.stringify(d.key)}`);
      continue;
    }
    switch (d.key) {
      case 'checktimeout':
      case 'negotiatetimeout':
      case 'checkinterval':
      case 'failurecount':
      case 'checkcount': {
        const n = count(d, d.key);
        if (n !== undefined) globals[d.key] = n;
        if (d.key === 'checkcount') report.warn(d.at, "checkcount is deprecated (ldirectord): use 'failurecount'");
        break;
      }
      case 'connecttimeout':
      case 'timeout':
        report.error(d.at, `${d.key} was removed from ldirectord in favour of checktimeout and negotiatetimeout`);
        break;
      case 'fallback':
      case 'fallback6': {
        // Parsed and resolved where it is written, as ldirectord does; used by every section without its own.
        const family = d.key === 'fallback' ? 4 : 6;
        const server = readFallback(d.value, d.valueAt, family, resolver(report, options), report);
        if (server) fallbacks[family] = { server, at: d.valueAt };
        break;
      }
      case 'autoreload':
      case 'supervised':
      case 'fork':
      case 'cleanstop':
      case 'quiescent': {
        const v = yesNo(d);
        if (v !== undefined) flags[d.key] = v;
        break;
      }
      case 'readdquiescent':
        if (yesNo(d)) report.warn(d.at, 'readdquiescent is not carried out: lvskit keeps the table it manages');
        break;
      case 'callback':
      case 'logfile': {
        const q = quoted(d.value);
        if (q === undefined || q === '')
          report.error(d.valueAt, `${d.key} must be a quoted path, got ${JSON.stringify(d.value)}`);
        else if (d.key === 'callback') callback = q;
        else logfile = q;
        break;
      }
      default:
        if (GLOBAL_KEYWORDS[d.key]?.support === 'warning')
          report.warn(d.at, `${d.key} is not supported by lvskit; ignored`);
        else report.error(d.at, `unknown command ${JSON.stringify(d.key)}`);
    }
  }

  const config = buildConfig(virtuals, globals, flags, fallbacks, report, options);
  if (report.errors.length === 0) {
    try {
      validateConfig(config.config);
    } catch (err) {
      if (!LvsError.is(err)) throw err;
      for (const issue of err.issues)
        report.error(
          config.locate(issue),
          issue.path.length > 0 ? `${formatPath(issue.path)}: ${issue.message}` : issue.message,
        );
    }
  }
  const byPosition = (a: ImportIssue, b: ImportIssue) => a.line - b.line || a.column - b.column;
  const warnings = [...report.warnings].sort(byPosition);
  if (report.errors.length > 0) {
    const errors = [...report.errors].sort(byPosition);
    throw new LvsError(
      'DIRECTOR_IMPORT_FAILED',
      errors.length === 1
        ? (errors[0] as ImportIssue).message
        : `${report.file}: ${errors.length} errors\n${errors.map((e) => `  ${e.message}`).join('\n')}`,
      { issues: [...errors, ...warnings] },
    );
  }
  return {
    config: config.config,
    warnings,
    daemon: {
      autoreload: flags.autoreload,
      checkinterval: globals.checkinterval ?? 10,
      ...(callback !== undefined ? { callback } : {}),
      ...(logfile !== undefined ? { logfile } : {}),
      supervised: flags.supervised,
      fork: flags.fork,
      cleanstop: flags.cleanstop,
    },
  };
}

/** Reads one `virtual =` section from line `start`; returns the index of the first line after it. */
function readVirtual(
  lines: readonly string[],
  start: number,
  v6: boolean,
  valueOffset: number,
  report: Report,
  out: Virtual[],
): number {
  const raw = lines[start] as string;
  const at = { line: start + 1, column: 1 };
  const vattr = raw.slice(valueOffset);
  const valueAt = { line: start + 1, column: valueOffset + 1 };
  let host: string | undefined;
  let portText = '';
  let rest = '';
  const hostPort = v6 ? null : /^(\d+\.\d+\.\d+\.\d+|[0-9A-Za-z._+-]+):([0-9A-Za-z_-]+)/.exec(vattr);
  const mark = v6 || hostPort ? null : /^(\d+)/.exec(vattr);
  const bracketed = hostPort || mark ? null : /^\[([0-9A-Fa-f:.]+)\]:([0-9A-Za-z_-]+)/.exec(vattr);
  if (hostPort) {
    host = hostPort[1] as string;
    portText = hostPort[2] as string;
    rest = vattr.slice(hostPort[0].length);
  } else if (mark) {
    report.error(valueAt, `fwmark virtual services (virtual = ${mark[1]}) are not supported by the director config`);
    rest = vattr.slice(mark[0].length);
  } else if (bracketed) {
    if (!v6) report.error(valueAt, 'an IPv6 address needs "virtual6"');
    else if (!isIp(bracketed[1] as string, 6))
      report.error(valueAt, `invalid IPv6 address for virtual server: ${bracketed[1]}`);
    else host = bracketed[1] as string;
    portText = bracketed[2] as string;
    rest = vattr.slice(bracketed[0].length);
  } else {
    report.error(valueAt, `invalid address for virtual server: ${JSON.stringify(vattr.trim())}`);
  }
  rest = rest.trim();
  if (rest !== '' && !rest.startsWith('#')) {
    report.warn({ line: start + 1, column: raw.indexOf(rest) + 1 }, `ignored by ldirectord: ${JSON.stringify(rest)}`);
  }
  const v: Virtual = {
    at,
    family: v6 ? 6 : 4,
    host: host ?? '',
    portText,
    reals: [],
    keys: new Map(),
    check: {},
  };
  if (host !== undefined) out.push(v);

  let i = start + 1;
  for (; i < lines.length; i++) {
    const text = lines[i] as string;
    const line = i + 1;
    if (/^\s*#/.test(text)) continue;
    const stripped = text.replace(/#.*/, '').trimEnd();
    const lead = /^[ \t]*/.exec(stripped)?.[0] ?? '';
    let width = 0;
    for (const c of lead) width += c === '\t' ? 4 : 1;
    if (width < 4 || stripped.length === lead.length) break;
    const d = directive(stripped.slice(lead.length), line, lead.length);
    if (!d) {
      report.error({ line, column: lead.length + 1 }, `unknown command ${JSON.stringify(stripped.trim())}`);
      continue;
    }
    readVirtualKey(v, d, report);
  }
  return i;
}

function readVirtualKey(v: Virtual, d: Directive, report: Report): void {
  const { key, value } = d;
  const where = d.valueAt;
  v.keys.set(key, d.at);
  const str = (what: string): string | undefined => {
    const q = quoted(value);
    if (q === undefined) report.error(where, `${key} must be quoted: ${key} = "${value}"`);
    else if (q === '') report.error(where, `invalid ${what}: empty`);
    return q === '' ? undefined : q;
  };
  const num = (what: string, zeroOk = false): number | undefined => {
    const m = /^(\d+)\s*$/.exec(value);
    if (!m || (!zeroOk && Number(m[1]) === 0)) {
      report.error(where, `invalid ${what}: ${JSON.stringify(value)}`);
      return undefined;
    }
    return Number(m[1]);
  };
  if (!Object.hasOwn(VIRTUAL_KEYWORDS, key)) {
    report.error(d.at, `unknown command ${JSON.stringify(key)}`);
    return;
  }
  switch (key) {
    case 'real':
    case 'real6':
      if ((key === 'real6') !== (v.family === 6))
        report.error(d.at, `cannot specify "${key}" here: use "${v.family === 6 ? 'real6' : 'real'}"`);
      else v.reals.push({ value, at: where, v6: key === 'real6' });
      return;
    case 'request': {
      const q = str('request string');
      if (q !== undefined) v.check.request = q;
      return;
    }
    case 'receive':
    case 'login':
    case 'passwd':
    case 'database':
    case 'secret': {
      const q = str(`${key} string`);
      if (q !== undefined) v.check[key] = q;
      return;
    }
    case 'checktype': {
      if (/^\d+\s*$/.test(value)) v.check.checktype = Number(value);
      else if (['connect', 'negotiate', 'ping', 'off', 'on', 'external'].includes(value)) v.check.checktype = value;
      else if (value === 'external-perl')
        report.error(where, 'checktype external-perl evaluates Perl in ldirectord; lvskit cannot: use external');
      else
        report.error(
          where,
          `checktype must be connect, negotiate, on, off, ping, external, external-perl or a number, got ${JSON.stringify(value)}`,
        );
      return;
    }
    case 'checkcommand': {
      const c = quoted(value) ?? value;
      if (c === '') report.error(where, 'invalid check command: empty');
      else v.check.checkcommand = c;
      return;
    }
    case 'checktimeout':
    case 'negotiatetimeout':
    case 'failurecount':
    case 'checkcount': {
      const n = num(key);
      if (n !== undefined) v.check[key] = n;
      if (key === 'checkcount') report.warn(d.at, "checkcount is deprecated (ldirectord): use 'failurecount'");
      return;
    }
    case 'checkinterval': {
      const n = num(key);
      if (n !== undefined) v.checkinterval = { value: n, at: d.at };
      return;
    }
    case 'connecttimeout':
      report.error(d.at, 'connecttimeout was removed from ldirectord in favour of negotiatetimeout');
      return;
    case 'checkport': {
      const n = num('port');
      if (n !== undefined && n > 65535) report.error(where, `checkport must be in 1..65535, got ${n}`);
      else if (n !== undefined) v.check.checkport = n;
      return;
    }
    case 'scheduler':
      if (!/^[a-z]+$/.test(value)) report.error(where, 'invalid scheduler: only lowercase letters (a-z)');
      else if (!isSchedulerName(value)) report.error(where, `scheduler ${value} is not one lvskit implements`);
      else v.scheduler = value;
      return;
    case 'persistent': {
      const n = num('persistent timeout', true);
      if (n !== undefined) v.persistent = n;
      return;
    }
    case 'netmask':
      if (v.family === 6 ? !/^\d+$/.test(value) || +value < 1 || +value > 128 : !/^\d+\.\d+\.\d+\.\d+$/.test(value))
        report.error(
          where,
          v.family === 6
            ? 'invalid netmask: a prefix length between 1 and 128 is required'
            : 'invalid netmask: dotted quad notation is required',
        );
      else v.netmask = value;
      return;
    case 'protocol':
      if (value === 'tcp' || value === 'udp') v.protocol = value;
      else if (value === 'fwm')
        report.error(where, 'protocol fwm: fwmark virtual services are not supported by the director config');
      else report.error(where, `protocol must be tcp or udp, got ${JSON.stringify(value)}`);
      return;
    case 'ops':
      if (value !== 'yes' && value !== 'no') report.error(where, "ops must be 'yes' or 'no'");
      else if (value === 'yes') report.warn(d.at, 'ops (one-packet scheduling) is not supported by lvskit; ignored');
      return;
    case 'service':
      if ((LDIRECTORD_SERVICES as readonly string[]).includes(value)) v.check.service = value;
      else
        report.error(where, `service must be one of ${LDIRECTORD_SERVICES.join(', ')}, got ${JSON.stringify(value)}`);
      return;
    case 'httpmethod':
      if (value.toUpperCase() === 'GET' || value.toUpperCase() === 'HEAD') v.check.httpmethod = value.toUpperCase();
      else report.error(where, 'httpmethod must be GET or HEAD');
      return;
    case 'virtualhost': {
      const h = /^"?([^"]*)"?/.exec(value)?.[1] ?? '';
      if (h === '') report.error(where, 'invalid virtualhost: empty');
      else v.check.virtualhost = h;
      return;
    }
    case 'fallback':
    case 'fallback6':
      if ((key === 'fallback6') !== (v.family === 6))
        report.error(d.at, `cannot specify "${key}" here: use "${v.family === 6 ? 'fallback6' : 'fallback'}"`);
      else v.fallback = { value, at: where };
      return;
    case 'quiescent':
    case 'cleanstop':
      if (value !== 'yes' && value !== 'no') report.error(where, `${key} must be 'yes' or 'no'`);
      else if (key === 'quiescent') v.quiescent = value === 'yes';
      else if (value === 'no')
        report.warn(d.at, 'cleanstop = no is not carried out: lvskit removes what it added on stop');
      return;
    case 'servicename':
      if (value === '') report.error(where, 'servicename: empty');
      else v.servicename = quoted(value) ?? value;
      return;
    case 'schedflags':
      report.warn(d.at, 'schedflags is not imported (set schedulerFlags in the director config)');
      return;
    default:
      if (VIRTUAL_KEYWORDS[key]?.support === 'warning') report.warn(d.at, `${key} is not supported by lvskit; ignored`);
      else report.error(d.at, `unknown command ${JSON.stringify(key)}`);
  }
}

function portNumber(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text) <= 65535 ? Number(text) : undefined;
  // getservbyname, from the /etc/services table core's ipvsadm uses (tcp first, as Perl's getservbyname).
  for (const table of [SERVICE_PORTS.tcp, SERVICE_PORTS.udp]) if (Object.hasOwn(table, text)) return table[text];
  return undefined;
}

interface Built {
  readonly config: DirectorConfig;
  /** The position of a validateConfig issue. */
  locate(issue: LvsIssue): Pos;
}

function buildConfig(
  virtuals: readonly Virtual[],
  globals: LdirectordGlobals,
  flags: { readonly fork: boolean; readonly quiescent: boolean },
  fallbacks: Partial<Record<Family, GlobalFallback>>,
  report: Report,
  options: LdirectordImportOptions,
): Built {
  const resolve = resolver(report, options);
  const vips: Record<string, string> = {};
  const services: VirtualServiceConfig[] = [];
  const located: { virtual: Virtual; reals: Pos[]; fallback: Pos | undefined }[] = [];
  for (const v of virtuals) {
    if (v.checkinterval && !flags.fork)
      report.warn(
        v.checkinterval.at,
        'checkinterval in a virtual section is ignored when fork = no (as ldirectord does)',
      );
    const address = resolve(v.host, v.family, v.at, 'virtual server');
    const port = portNumber(v.portText);
    if (port === undefined) report.error(v.at, `invalid port for virtual server: ${JSON.stringify(v.portText)}`);
    const protocol = v.protocol ?? (port === 53 ? 'udp' : 'tcp');
    const check: Record<string, string | number> = { ...v.check };
    if (v.checkinterval && flags.fork) check.checkinterval = v.checkinterval.value;
    const checktype = check.checktype as LdirectordCheckType | undefined;
    const realServers: ServiceRealServer[] = [];
    const realAt: Pos[] = [];
    for (const r of v.reals) {
      for (const rs of readReal(r, v.family, check, resolve, report)) {
        realServers.push(rs);
        realAt.push(r.at);
      }
    }
    const own = v.fallback;
    const global = fallbacks[v.family];
    let sorryServer: SorryServerConfig | undefined;
    if (own) sorryServer = readFallback(own.value, own.at, v.family, resolve, report);
    else if (global) sorryServer = global.server;
    const fb = own ?? global;
    if (checktype === 'off' && sorryServer) {
      report.warn(fb?.at ?? v.at, 'checktype off: ldirectord activates neither the real servers nor the fallback');
      sorryServer = undefined;
    }
    if (address === undefined || port === undefined) continue;
    vips[address] = address;
    const persistence: PersistenceConfig | undefined =
      v.persistent !== undefined
        ? {
            timeout: v.persistent,
            // IPv4 a dotted mask, IPv6 a prefix length (ipvsadm -M).
            ...(v.netmask !== undefined ? { netmask: v.family === 6 ? Number(v.netmask) : v.netmask } : {}),
          }
        : undefined;
    if (v.netmask !== undefined && v.persistent === undefined)
      report.warn(v.keys.get('netmask') ?? v.at, 'netmask without persistent is ignored (as ldirectord does)');
    const quiescent = v.quiescent ?? flags.quiescent;
    const health = {
      ...(quiescent ? { inhibitOnFailure: true } : {}),
      ...(sorryServer ? { sorryServer } : {}),
    };
    services.push({
      name: v.servicename ?? `${protocol.toUpperCase()} ${formatEndpoint(address, port)}`,
      vip: address,
      port,
      protocol,
      scheduler: v.scheduler ?? 'wrr',
      ...(persistence ? { persistence } : {}),
      realServers,
      ...(Object.keys(health).length > 0 ? { health } : {}),
    });
    located.push({ virtual: v, reals: realAt, fallback: fb?.at });
  }
  // Every LDIRECTORD check carries the global timing it falls back to (ldirectord's ld_setup order).
  if (Object.keys(globals).length > 0) {
    for (const s of services)
      for (const rs of s.realServers)
        for (const c of rs.checks ?? []) (c as { globals?: LdirectordGlobals }).globals = { ...globals };
  }
  return {
    config: { vips, services },
    locate(issue) {
      const [root, si, key, j, sub, , checkKey] = issue.path;
      const at = root === 'services' && typeof si === 'number' ? located[si] : undefined;
      if (!at) {
        const byVip = located.find((l) => root === 'vips' && services[located.indexOf(l)]?.vip === si);
        return byVip?.virtual.at ?? { line: 1, column: 1 };
      }
      if (key === 'realServers' && typeof j === 'number') {
        // A check's key: where the section writes it; one it lacks is the section's (its header), except a
        // per-real request/receive pair.
        if (sub === 'checks' && typeof checkKey === 'string' && checkKey !== 'globals') {
          const k = at.virtual.keys.get(checkKey);
          if (k) return k;
          if (checkKey !== 'request' && checkKey !== 'receive') return at.virtual.at;
        }
        return at.reals[j] ?? at.virtual.at;
      }
      if (key === 'health' && at.fallback) return at.fallback;
      if (typeof key === 'string') {
        const k = at.virtual.keys.get(key === 'persistence' ? 'persistent' : key);
        if (k) return k;
      }
      return at.virtual.at;
    },
  };
}

type Resolve = (host: string, family: Family, at: Pos, what: string) => string | undefined;

interface GlobalFallback {
  readonly server: SorryServerConfig;
  readonly at: Pos;
}

/** Host text → canonical address of `family`: an address as written, else `options.resolve`, else an error. */
function resolver(report: Report, options: LdirectordImportOptions): Resolve {
  return (host, family, at, what) => {
    const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
    if (isIp(bare, family)) return formatIp(parseIp(bare));
    if (isIp(bare, family === 4 ? 6 : 4)) {
      report.error(at, `${what} ${bare} is not an IPv${family} address`);
      return undefined;
    }
    if (!/^[A-Za-z0-9.-]+$/.test(bare)) {
      report.error(at, `invalid address for ${what}: ${JSON.stringify(host)}`);
      return undefined;
    }
    const r = options.resolve?.(bare, family);
    if (r !== undefined && isIp(r, family)) return formatIp(parseIp(r));
    report.error(
      at,
      options.resolve
        ? `could not resolve ${what} ${bare} (IPv${family})`
        : `${what} ${bare} is a host name: write an address or pass options.resolve`,
    );
    return undefined;
  };
}

/** One `real =` line: `host[->host][:port] gate|masq|ipip [weight] ["request", "receive"]` (a range is several). */
function readReal(
  r: RealLine,
  family: Family,
  section: Record<string, string | number>,
  resolve: Resolve,
  report: Report,
): ServiceRealServer[] {
  const host = '(\\d+\\.\\d+\\.\\d+\\.\\d+|[A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+\\])';
  const m = new RegExp(`^${host}(?:->${host})?(?::(\\d+|[A-Za-z0-9_-]+))?\\s+(.*)$`).exec(r.value);
  if (!m) {
    report.error(r.at, `invalid real server: ${JSON.stringify(r.value)} (address[:port] gate|masq|ipip [weight])`);
    return [];
  }
  const [, first, last, portText, flagText] = m as unknown as [
    string,
    string,
    string | undefined,
    string | undefined,
    string,
  ];
  let port: number | undefined;
  if (portText !== undefined) {
    port = portNumber(portText);
    if (port === undefined) {
      report.error(r.at, `invalid port (${portText}) for real server`);
      return [];
    }
  }
  const f = /^(\w+)(.*)$/.exec(flagText);
  const method = f ? METHOD[f[1] as string] : undefined;
  if (!f || method === undefined) {
    report.error(r.at, `forward method must be gate, masq or ipip, got ${JSON.stringify(flagText.split(/\s/)[0])}`);
    return [];
  }
  let rest = f[2] as string;
  let weight = 1;
  const w = /^\s+(\d+)(.*)$/.exec(rest);
  if (w) {
    weight = Number(w[1]);
    rest = w[2] as string;
  }
  let request: string | undefined;
  let receive: string | undefined;
  const q = /^\s+"(.*)"[, ]\s*"(.*)"(.*)$/.exec(rest);
  if (q) {
    request = q[1] as string;
    receive = q[2] as string;
    rest = q[3] as string;
  }
  if (/\S/.test(rest)) {
    report.error(r.at, `invalid real server line, around ${JSON.stringify(rest.trim())}`);
    return [];
  }
  const from = resolve(first, family, r.at, 'real server');
  const to = last !== undefined ? resolve(last, family, r.at, 'real server') : from;
  if (from === undefined || to === undefined) return [];
  const addresses: string[] = [];
  if (last === undefined) addresses.push(from);
  else if (family === 6) {
    report.error(r.at, 'an address range for IPv6 is not supported (as in ldirectord)');
    return [];
  } else {
    const n = (a: string) => parseIp(a).reduce((x, b) => x * 256 + b, 0);
    const a = n(from);
    const b = n(to);
    if (a > b) {
      report.error(r.at, `invalid range ${from}->${to}: the first address must not be above the last`);
      return [];
    }
    if (b - a >= 4096) {
      report.error(r.at, `range ${from}->${to} has ${b - a + 1} addresses (at most 4096)`);
      return [];
    }
    for (let x = a; x <= b; x++)
      addresses.push(formatIp(Uint8Array.of(x >>> 24, (x >>> 16) & 255, (x >>> 8) & 255, x & 255)));
  }
  const check: LdirectordCheckConfig = {
    type: 'LDIRECTORD',
    ...(section as Omit<LdirectordCheckConfig, 'type'>),
    // A per-real "request", "receive" pair replaces the section's (ld_setup).
    ...(request !== undefined ? { request: request.startsWith('/') ? request : `/${request}` } : {}),
    ...(receive !== undefined ? { receive } : {}),
  };
  return addresses.map((address) => ({
    address,
    ...(port !== undefined && port !== 0 ? { port } : {}),
    weight,
    method,
    checks: [check],
  }));
}

/** `fallback = ip|host[:port] [gate|masq|ipip]` (`parse_fallback`): weight 1, default gate. */
function readFallback(
  value: string,
  at: Pos,
  family: Family,
  resolve: Resolve,
  report: Report,
): SorryServerConfig | undefined {
  const m = /^(\S+?)(?::(\d+|[A-Za-z0-9_-]+))?(?:\s+(\S+))?\s*$/.exec(value);
  if (!m) {
    report.error(at, `invalid fallback server: ${JSON.stringify(value)}`);
    return undefined;
  }
  const [, host, portText, fwd] = m as unknown as [string, string, string | undefined, string | undefined];
  const method = fwd === undefined ? 'route' : METHOD[fwd];
  if (method === undefined) {
    report.error(at, `forward method must be gate, masq or ipip, got ${JSON.stringify(fwd)}`);
    return undefined;
  }
  let port: number | undefined;
  if (portText !== undefined) {
    port = portNumber(portText);
    if (port === undefined) {
      report.error(at, `invalid port for fallback server: ${portText}`);
      return undefined;
    }
  }
  const address = resolve(host, family, at, 'fallback server');
  if (address === undefined) return undefined;
  return { address, ...(port !== undefined && port !== 0 ? { port } : {}), weight: 1, method };
}
