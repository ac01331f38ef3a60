/**
 * keepalived.conf → the director's typed {@link DirectorConfig}. It owns the keyword level of keepalived's
 * grammar (lvs-semantics.md §4): which keywords exist in which block, how many words each takes — so the
 * one-line brace form (a whole config on one line) parses as well as the usual one — and how each maps to
 * lvskit's config. Every keyword lvskit supports is mapped; every other one is reported at its
 * `file:line:col`: an error where keepalived's own config test refuses the file or where keepalived does
 * something lvskit does not, a warning where the keyword changes nothing lvskit serves (mail, SNMP,
 * router_id). The result is checked by the director's `validateConfig`, whose issues are reported at the
 * position of the keyword they came from. It reads files only through the injected file access and never
 * starts anything.
 * @see keepalived.conf(5); keepalived/core/parser.c, keepalived/check/check_parser.c, keepalived/vrrp/vrrp_parser.c
 */
import { formatIp, formatPath, LvsError, type LvsPathSegment, parseIp } from '@lvskit/base';
import type { DirectorConfig } from '../config.js';
import { validateConfig } from '../director.js';
import { type ImportIssue, importIssue } from './issues.js';
import { type ImportFileAccess, type LexIssue, type Token, tokenize } from './lexer.js';

export type { ImportIssue } from './issues.js';

/** Options of {@link importKeepalived}. */
export interface ImportKeepalivedOptions extends ImportFileAccess {
  /** Name of the file `text` came from (positions and relative includes); default `keepalived.conf`. */
  readonly file?: string;
}

/** What {@link importKeepalived} returns: the config (already accepted by `validateConfig`) and the warnings. */
export interface ImportResult {
  /** The director config. */
  readonly config: DirectorConfig;
  /** Keywords keepalived accepts that change nothing in lvskit, deprecated spellings, dropped details. */
  readonly warnings: readonly ImportIssue[];
  /**
   * The warnings `keepalived -t` gives too, so that it exits non-zero on the file: a default filled in (no
   * `lb_kind`, `lb_algo` or `protocol`), a value keepalived corrects (quorum above the real servers' total
   * weight, a hysteresis not below the quorum, `nopreempt` on an address owner, `auth_pass` truncated), a
   * deprecated spelling. Empty exactly when keepalived's config test would pass the file (as far as lvskit
   * knows); a `check` command agreeing with `keepalived -t` fails when this is not empty.
   */
  readonly keepalivedComplaints: readonly ImportIssue[];
}

type Obj = Record<string, unknown>;
type Handler = (kw: Token, p: Parser) => void;
type Context = Readonly<Record<string, Handler>>;

const isBrace = (t: Token | undefined): boolean => t !== undefined && !t.quoted && (t.text === '{' || t.text === '}');
const sameLine = (a: Token, b: Token): boolean => a.file === b.file && a.line === b.line;

function canonicalIp(text: string): { text: string; family: 4 | 6 } | undefined {
  try {
    const b = parseIp(text);
    return { text: formatIp(b), family: b.length === 4 ? 4 : 6 };
  } catch {
    return undefined;
  }
}

/** Cursor over the tokens with issue collection and the position of every config path it writes. */
class Parser {
  readonly issues: ImportIssue[] = [];
  /** The warnings keepalived's config test gives too. */
  readonly complaints = new Set<ImportIssue>();
  readonly positions = new Map<string, Token>();
  #i = 0;
  readonly #toks: readonly Token[];
  readonly #ctx: Context[] = [];

  readonly #names: string[] = [];
  readonly #onBlock: ((name: string, ctx: Context) => void) | undefined;

  constructor(toks: readonly Token[], onBlock?: (name: string, ctx: Context) => void) {
    this.#toks = toks;
    this.#onBlock = onBlock;
  }
  peek(): Token | undefined {
    return this.#toks[this.#i];
  }
  next(): Token | undefined {
    return this.#toks[this.#i++];
  }
  get last(): Token | undefined {
    return this.#toks[this.#toks.length - 1];
  }
  issue(t: Pick<Token, 'file' | 'line' | 'col'>, severity: 'error' | 'warning', message: string): void {
    this.issues.push(importIssue(t.file, t.line, t.col, severity, message));
  }
  error(t: Token, message: string): void {
    this.issue(t, 'error', message);
  }
  /** @param complaint - keepalived -t reports it too (and so exits non-zero) */
  warn(t: Token, message: string, complaint = false): void {
    this.issue(t, 'warning', message);
    if (complaint) this.complaints.add(this.issues[this.issues.length - 1] as ImportIssue);
  }
  at(path: readonly LvsPathSegment[], t: Token): void {
    this.positions.set(path.join('\u0000'), t);
  }
  isKeyword(t: Token): boolean {
    const ctx = this.#ctx[this.#ctx.length - 1];
    return !t.quoted && ctx !== undefined && Object.hasOwn(ctx, t.text);
  }
  /**
   * The words after `kw` on its line: at most `max`, never a brace, and past `min` not a keyword of the
   * current block (that is where the next statement of a one-line block starts).
   */
  args(kw: Token, min: number, max: number): Token[] {
    const out: Token[] = [];
    for (;;) {
      const t = this.peek();
      if (!t || isBrace(t) || !sameLine(kw, t) || out.length >= max) break;
      if (out.length >= min && this.isKeyword(t)) break;
      out.push(t);
      this.#i++;
    }
    if (out.length < min) {
      this.error(kw, `${kw.text} needs ${min === max ? min : `at least ${min}`} argument${min === 1 ? '' : 's'}`);
    }
    const extra = this.peek();
    if (extra && !isBrace(extra) && sameLine(kw, extra) && !this.isKeyword(extra) && out.length >= max) {
      // keepalived reads the words it wants and ignores the rest of the line (`virtual_router_id 5 x` is 5).
      this.warn(
        extra,
        `${kw.text}: ${JSON.stringify(extra.text)} and what follows on the line are ignored, as keepalived does`,
      );
      for (;;) {
        const t = this.peek();
        if (!t || isBrace(t) || !sameLine(kw, t) || this.isKeyword(t)) break;
        this.#i++;
      }
    }
    return out;
  }
  one(kw: Token): Token | undefined {
    return this.args(kw, 1, 1)[0];
  }
  skipLine(kw: Token): void {
    for (;;) {
      const t = this.peek();
      if (!t || isBrace(t) || !sameLine(kw, t)) return;
      this.#i++;
    }
  }
  /** Expects `{` and parses statements of `ctx` up to the matching `}`. */
  block(kw: Token, ctx: Context): boolean {
    const open = this.peek();
    if (!open || open.quoted || open.text !== '{') {
      this.error(open ?? kw, `${kw.text} needs a { … } block`);
      return false;
    }
    this.#i++;
    this.#ctx.push(ctx);
    this.#names.push(kw.text);
    this.#onBlock?.(this.#names.join(' '), ctx);
    for (;;) {
      const t = this.next();
      if (!t) {
        this.error(open, `${kw.text}: this { is never closed`);
        break;
      }
      if (!t.quoted && t.text === '}') break;
      if (!t.quoted && t.text === '{') {
        this.error(t, 'unexpected {');
        this.skipBlockBody(t);
        continue;
      }
      this.statement(t, ctx);
    }
    this.#ctx.pop();
    this.#names.pop();
    return true;
  }
  statement(t: Token, ctx: Context): void {
    const h = !t.quoted && Object.hasOwn(ctx, t.text) ? ctx[t.text] : undefined;
    if (h) h(t, this);
    else {
      this.error(t, `unknown keyword ${JSON.stringify(t.text)}`);
      this.skipStatement(t);
    }
  }
  /** Skips a statement's words and its block, if it has one. */
  skipStatement(kw: Token): void {
    this.args(kw, 0, Number.POSITIVE_INFINITY);
    const t = this.peek();
    if (t && !t.quoted && t.text === '{') {
      this.#i++;
      this.skipBlockBody(t);
    }
  }
  skipBlockBody(open: Token): void {
    let depth = 1;
    for (;;) {
      const t = this.next();
      if (!t) {
        this.error(open, 'this { is never closed');
        return;
      }
      if (t.quoted) continue;
      if (t.text === '{') depth++;
      else if (t.text === '}' && --depth === 0) return;
    }
  }
  /**
   * The entries of a list block (`virtual_ipaddress { … }`): one per line, and in the one-line form a new
   * entry wherever `starts` says one begins.
   */
  list(kw: Token, starts: (t: Token, cur: readonly Token[]) => boolean): Token[][] {
    const open = this.peek();
    if (!open || open.quoted || open.text !== '{') {
      this.error(open ?? kw, `${kw.text} needs a { … } block`);
      return [];
    }
    this.#i++;
    const out: Token[][] = [];
    let cur: Token[] | undefined;
    for (;;) {
      const t = this.next();
      if (!t) {
        this.error(open, `${kw.text}: this { is never closed`);
        break;
      }
      if (!t.quoted && t.text === '}') break;
      if (!t.quoted && t.text === '{') {
        this.error(t, `unexpected { in ${kw.text}`);
        this.skipBlockBody(t);
        continue;
      }
      const prev = cur?.[cur.length - 1];
      if (!cur || !prev || !sameLine(prev, t) || starts(t, cur)) {
        cur = [t];
        out.push(cur);
      } else cur.push(t);
    }
    return out;
  }
  num(t: Token | undefined, what: string, min: number, max: number, integer = true): number | undefined {
    if (!t) return undefined;
    const n = integer ? (/^[+-]?\d+$/.test(t.text) ? Number(t.text) : Number.NaN) : Number(t.text);
    if (!Number.isFinite(n) || t.text.trim() === '' || n < min || n > max) {
      this.error(
        t,
        `${what} must be ${integer ? 'an integer' : 'a number'} in ${min}..${max}, got ${JSON.stringify(t.text)}`,
      );
      return undefined;
    }
    return n;
  }
  /** An optional boolean argument (`nopreempt`, `alpha yes`); absent = true. */
  flag(kw: Token): boolean | undefined {
    const t = this.args(kw, 0, 1)[0];
    if (!t) return true;
    const v = t.text.toLowerCase();
    if (['true', 'yes', 'on', '1'].includes(v)) return true;
    if (['false', 'no', 'off', '0'].includes(v)) return false;
    this.error(t, `${kw.text}: expected a boolean (true/false, yes/no, on/off), got ${JSON.stringify(t.text)}`);
    return undefined;
  }
  /** A script line: one quoted string (any later words are keepalived's user/group, ignored) or the rest of the line. */
  script(kw: Token): string | undefined {
    const words = this.args(kw, 1, Number.POSITIVE_INFINITY);
    const first = words[0];
    if (!first) return undefined;
    if (first.quoted) {
      const user = words[1];
      if (user)
        this.warn(user, `${kw.text}: the user/group to run it as is not supported; lvskit runs scripts as itself`);
      return first.text;
    }
    return words.map((w) => w.text).join(' ');
  }
}

// ------------------------------------------------------------------ shared keyword tables

/** How lvskit treats one keepalived keyword, for {@link keepalivedKeywords}. */
const TAGS = new WeakMap<Handler, { support: KeepalivedKeyword['support']; note: string }>();
function tag(h: Handler, support: KeepalivedKeyword['support'], note: string): Handler {
  TAGS.set(h, { support, note });
  return h;
}

/** Keywords keepalived accepts and lvskit ignores without changing what it serves. */
const warnIgnored = (why: string): Handler =>
  tag(
    (kw, p) => {
      p.warn(kw, `${kw.text} is ignored: ${why}`);
      p.skipStatement(kw);
    },
    'warning',
    why,
  );
/** Keywords keepalived implements and lvskit does not: refusing is better than running something else. */
const unsupported = (why: string): Handler =>
  tag(
    (kw, p) => {
      p.error(kw, `${kw.text} is not supported by lvskit${why ? `: ${why}` : ''}`);
      p.skipStatement(kw);
    },
    'error',
    why,
  );

const MAIL = 'lvskit sends no mail';
const SNMP = 'lvskit has no SNMP agent';

const TIMING_KEYS = ['delay_loop', 'retry', 'delay_before_retry', 'warmup', 'connect_timeout'] as const;

/** Timing keywords shared by virtual_server, real_server and checkers, written into `target`. */
function timingContext(target: () => Obj, path: () => readonly LvsPathSegment[]): Record<string, Handler> {
  const ctx: Record<string, Handler> = {};
  for (const k of TIMING_KEYS) {
    ctx[k] = (kw, p) => {
      const v = p.num(p.one(kw), k, k === 'retry' ? 0 : 0, 2_147_483, k === 'retry');
      if (v !== undefined) {
        target()[k] = v;
        p.at([...path(), k], kw);
      }
    };
  }
  ctx.nb_get_retry = (kw: Token, p: Parser) => {
    p.warn(kw, 'nb_get_retry is deprecated in keepalived; read as retry', true);
    const v = p.num(p.one(kw), 'nb_get_retry', 0, 2_147_483_647);
    if (v !== undefined) {
      target().retry = v;
      p.at([...path(), 'retry'], kw);
    }
  };
  tag(ctx.nb_get_retry, 'mapped', 'deprecated spelling, read as retry (with a warning)');
  ctx.alpha = (kw, p) => {
    const v = p.flag(kw);
    if (v !== undefined) target().alpha = v;
  };
  ctx.virtualhost = (kw, p) => {
    const t = p.one(kw);
    if (t) target().virtualhost = t.text;
  };
  ctx.smtp_alert = warnIgnored(MAIL);
  ctx.snmp_name = warnIgnored(SNMP);
  return ctx;
}

// ------------------------------------------------------------------ the importer state

interface Vip {
  name: string;
  address: string;
  iface?: string;
}

class Importer {
  readonly vips: Vip[] = [];
  readonly vipByAddress = new Map<string, Vip>();
  readonly interfaces: string[] = [];
  readonly services: Obj[] = [];
  readonly instances: Obj[] = [];
  readonly syncGroups: Obj[] = [];
  readonly scripts: Obj[] = [];
  readonly globals: Obj = {};
  readonly instanceDefaults: Obj = {};
  timeouts: Obj | undefined;
  /** The sync block (`lvs_sync_daemon`, or a vrrp_instance's `lvs_sync_daemon_interface`), with where it was set. */
  sync: { readonly config: Obj; readonly interface: string; readonly instance: string | undefined } | undefined;
  readonly groups = new Map<string, { entries: { address: string; port: number; tok: Token }[]; tok: Token }>();
  /** virtual_server blocks naming a group, resolved after the whole file is read (groups may come later). */
  readonly pendingGroups: { tok: Token; name: string; service: Obj; index: number }[] = [];

  addInterface(name: string): void {
    if (!this.interfaces.includes(name)) this.interfaces.push(name);
  }
}

// ------------------------------------------------------------------ global_defs

function globalDefs(im: Importer): Context {
  const ig = warnIgnored;
  const ctx: Record<string, Handler> = {
    vrrp_version: (kw, p) => {
      const v = p.num(p.one(kw), 'vrrp_version', 2, 3);
      if (v !== undefined) {
        im.globals.version = v;
        p.at(['vrrp', 'globals', 'version'], kw);
      }
    },
    vrrp_mcast_group4: (kw, p) => {
      const t = p.one(kw);
      if (t) {
        im.globals.multicastGroup4 = t.text;
        p.at(['vrrp', 'globals', 'multicastGroup4'], t);
      }
    },
    vrrp_mcast_group6: (kw, p) => {
      const t = p.one(kw);
      if (t) {
        im.globals.multicastGroup6 = t.text;
        p.at(['vrrp', 'globals', 'multicastGroup6'], t);
      }
    },
    lvs_timeouts: (kw, p) => {
      const words = p.args(kw, 2, 6);
      const t: Obj = { ...im.timeouts };
      for (let i = 0; i + 1 < words.length; i += 2) {
        const k = words[i] as Token;
        if (!['tcp', 'tcpfin', 'udp'].includes(k.text)) {
          p.error(k, `lvs_timeouts: expected tcp, tcpfin or udp, got ${JSON.stringify(k.text)}`);
          continue;
        }
        const v = p.num(words[i + 1], `lvs_timeouts ${k.text}`, 0, 2_147_483);
        if (v !== undefined) t[k.text] = v;
      }
      if (words.length % 2 === 1) p.error(words[words.length - 1] as Token, 'lvs_timeouts: a value is missing');
      im.timeouts = t;
      p.at(['timeouts'], kw);
    },
    notification_email: tag(
      (kw, p) => {
        p.warn(kw, `notification_email is ignored: ${MAIL}`);
        p.list(kw, () => true);
      },
      'warning',
      MAIL,
    ),
    notification_email_from: ig(MAIL),
    smtp_server: ig(MAIL),
    smtp_connect_timeout: ig(MAIL),
    smtp_helo_name: ig(MAIL),
    smtp_alert: ig(MAIL),
    smtp_alert_vrrp: ig(MAIL),
    smtp_alert_checker: ig(MAIL),
    email_faults: ig(MAIL),
    router_id: ig('lvskit uses it only in mail and SNMP, which it does not have'),
    enable_snmp_vrrp: ig(SNMP),
    enable_snmp_checker: ig(SNMP),
    enable_snmp_rfc: ig(SNMP),
    enable_snmp_rfcv2: ig(SNMP),
    enable_snmp_rfcv3: ig(SNMP),
    enable_snmp_keepalived: ig(SNMP),
    enable_traps: ig(SNMP),
    snmp_socket: ig(SNMP),
    enable_dbus: ig('lvskit has no D-Bus interface'),
    script_user: ig('lvskit runs scripts as its own user'),
    enable_script_security: ig('lvskit runs scripts as its own user, without a shell'),
    vrrp_strict: ig("strict mode is not implemented; keepalived's non-strict rules apply"),
    vrrp_iptables: ig('lvskit adds no iptables rules'),
    vrrp_garp_interval: ig('lvskit sends a GARP burst back to back'),
    vrrp_gna_interval: ig('lvskit sends an NA burst back to back'),
    max_auto_priority: ig('lvskit does not change its process priority'),
    vrrp_priority: ig('lvskit does not change its process priority'),
    checker_priority: ig('lvskit does not change its process priority'),
    process_names: ig('lvskit runs one process'),
    dynamic_interfaces: ig('lvskit reads interfaces when it starts'),
    lvs_flush: ig('lvskit owns its own IPVS table'),
    lvs_sync_daemon: (kw, p) => syncDaemon(im, kw, p),
    lvs_id: ig('obsolete'),
  };
  const defaults: [string, string, 'bool' | 'num'][] = [
    ['vrrp_skip_check_adv_addr', 'skipCheckAdvAddr', 'bool'],
    ['vrrp_check_unicast_src', 'checkUnicastSrc', 'bool'],
    ['vrrp_lower_prio_no_advert', 'lowerPrioNoAdvert', 'bool'],
    ['vrrp_higher_prio_send_advert', 'higherPrioSendAdvert', 'bool'],
    ['vrrp_garp_master_delay', 'garpMasterDelay', 'num'],
    ['vrrp_garp_master_repeat', 'garpMasterRepeat', 'num'],
    ['vrrp_garp_master_refresh', 'garpMasterRefresh', 'num'],
    ['vrrp_garp_master_refresh_repeat', 'garpMasterRefreshRepeat', 'num'],
    ['vrrp_garp_lower_prio_delay', 'garpLowerPrioDelay', 'num'],
    ['vrrp_garp_lower_prio_repeat', 'garpLowerPrioRepeat', 'num'],
  ];
  for (const [k, field, kind] of defaults) {
    ctx[k] = (kw, p) => {
      const v = kind === 'bool' ? p.flag(kw) : p.num(p.one(kw), k, 0, 2_147_483);
      if (v !== undefined) im.instanceDefaults[field] = v;
    };
  }
  return ctx;
}

// ------------------------------------------------------------------ lvs_sync_daemon

/**
 * `lvs_sync_daemon <IF> [[inst] <VRRP_INSTANCE>] [id N] [maxlen N] [port N] [ttl N] [group IP]` in
 * global_defs, as keepalived/core/global_parser.c `lvs_syncd_handler` reads it: the interface first (under 16
 * characters), then the options in any order; a bare word in third place is the instance and a bare number in
 * fourth place the syncid (the old form, which keepalived accepts with "Please use keyword \"id\""). No `id`:
 * the followed instance's virtual_router_id (vrrp.c `vrrp_complete_init`), 0 without an instance — the
 * config's own default. A second one is refused, as keepalived ignores it. Where keepalived reports a bad
 * value and goes on without it, the import refuses it (keepalived -t fails on it too).
 */
function syncDaemon(im: Importer, kw: Token, p: Parser): void {
  const words = p.args(kw, 0, Number.POSITIVE_INFINITY);
  if (im.sync) {
    p.error(
      kw,
      `lvs_sync_daemon has already been specified as ${im.sync.interface} ${im.sync.instance ?? ''} - ignoring`,
    );
    return;
  }
  const ifname = words[0];
  if (!ifname) {
    p.error(kw, 'lvs_sync_daemon requires interface');
    return;
  }
  if (ifname.text.length >= 16) {
    p.error(ifname, `lvs_sync_daemon interface name '${ifname.text}' too long - ignoring`);
    return;
  }
  const sync: Obj = { interface: ifname.text };
  p.at(['sync'], kw);
  p.at(['sync', 'interface'], ifname);
  let instance: string | undefined;
  const setInstance = (t: Token) => {
    if (instance !== undefined) {
      p.error(t, `lvs_sync_daemon vrrp instance has already been specified as ${instance} - ignoring`);
      return;
    }
    instance = t.text;
    sync.instance = t.text;
    p.at(['sync', 'instance'], t);
    p.at(['sync', 'roles'], t);
  };
  const options: Record<string, { field: string; what: string; min: number; max: number; missing: string }> = {
    id: { field: 'syncid', what: 'syncid', min: 0, max: 255, missing: 'defaulting to vrid' },
    maxlen: { field: 'maxLen', what: 'lvs_sync_daemon maxlen', min: 1, max: 65535 - 20 - 8, missing: 'ignoring' },
    port: { field: 'port', what: 'lvs_sync_daemon port', min: 1, max: 65535, missing: 'ignoring' },
    ttl: { field: 'ttl', what: 'lvs_sync_daemon ttl', min: 1, max: 255, missing: 'ignoring' },
  };
  const number = (t: Token, o: (typeof options)[string]): number | undefined => {
    const n = /^\d+$/.test(t.text) ? Number(t.text) : Number.NaN;
    if (Number.isInteger(n) && n >= o.min && n <= o.max) return n;
    const why = Number.isNaN(n)
      ? `invalid number '${t.text}'`
      : `number '${t.text}' outside range [${o.min}, ${o.max}]`;
    p.error(t, `Invalid ${o.what} (${t.text}) - ${o.missing}: ${why}`);
    return undefined;
  };
  for (let i = 1; i < words.length; i++) {
    const w = words[i] as Token;
    const value = words[i + 1];
    if (w.text === 'inst') {
      if (value) setInstance(value);
      else p.error(w, 'No value specified for lvs_sync_daemon inst');
      i++;
      continue;
    }
    const o = Object.hasOwn(options, w.text) ? options[w.text] : undefined;
    if (o) {
      if (!value) {
        p.error(w, `No value specified for lvs_sync_daemon ${w.text}, ${o.missing}`);
        continue;
      }
      const n = number(value, o);
      if (n !== undefined) {
        sync[o.field] = n;
        p.at(['sync', o.field], value);
      }
      i++;
      continue;
    }
    if (w.text === 'group') {
      if (!value) {
        p.error(w, 'No value specified for lvs_sync_daemon group - ignoring');
        continue;
      }
      const ip = canonicalIp(value.text);
      let multicast = false;
      if (ip) {
        const b = parseIp(ip.text);
        multicast = b.length === 4 ? (b[0] as number) >>> 4 === 0xe : b[0] === 0xff;
      }
      if (!ip) p.error(value, `Invalid lvs_sync_daemon group (${value.text}) - ignoring`);
      else if (!multicast) p.error(value, `lvs_sync_daemon group address ${value.text} is not multicast - ignoring`);
      else {
        sync.group = ip.text;
        p.at(['sync', 'group'], value);
      }
      i++;
      continue;
    }
    // keepalived's backward compatibility: `lvs_sync_daemon IF VRRP_INSTANCE [SYNC_ID]`.
    if (i === 1) {
      setInstance(w);
      continue;
    }
    if (i === 2) {
      const n = number(w, options.id as (typeof options)[string]);
      if (n !== undefined) {
        p.warn(w, 'Please use keyword "id" before lvs_sync_daemon SYNCID', true);
        sync.syncid = n;
        p.at(['sync', 'syncid'], w);
      }
      continue;
    }
    p.error(w, `Unknown option ${w.text} specified for lvs_sync_daemon`);
  }
  im.sync = { config: sync, interface: ifname.text, instance };
}

/**
 * A vrrp_instance's `lvs_sync_daemon_interface IF` (keepalived/vrrp/vrrp_parser.c `vrrp_lvs_syncd_handler`):
 * deprecated (keepalived -t complains), the daemons follow this instance on IF. keepalived sets the instance
 * directly, not its name, so `vrrp_complete_init` does not default the syncid to the VRID: it is 0.
 */
function syncDaemonInterface(im: Importer, instance: string, kw: Token, p: Parser): void {
  const ifname = p.one(kw);
  p.warn(
    kw,
    `(${instance}) Specifying lvs_sync_daemon_interface against a vrrp is deprecated. Please use global lvs_sync_daemon`,
    true,
  );
  if (!ifname) return;
  if (im.sync) {
    p.error(
      kw,
      `(${instance}) lvs_sync_daemon_interface has already been specified as ${im.sync.interface} - ignoring`,
    );
    return;
  }
  im.sync = { config: { interface: ifname.text, instance, syncid: 0 }, interface: ifname.text, instance };
  p.at(['sync'], kw);
  p.at(['sync', 'interface'], ifname);
  p.at(['sync', 'instance'], kw);
}

// ------------------------------------------------------------------ vrrp_script / vrrp_sync_group

function vrrpScript(im: Importer, kw: Token, p: Parser): void {
  const name = p.one(kw);
  const s: Obj = { name: name?.text ?? '' };
  const index = im.scripts.length;
  const path = ['vrrp', 'scripts', index];
  p.at(path, kw);
  const numKey =
    (k: string, min: number, max: number, integer: boolean): Handler =>
    (t, q) => {
      const v = q.num(q.one(t), k, min, max, integer);
      if (v !== undefined) {
        s[k] = v;
        q.at([...path, k], t);
      }
    };
  p.block(kw, {
    script: (t, q) => {
      const v = q.script(t);
      if (v !== undefined) s.script = v;
      q.at([...path, 'script'], t);
    },
    interval: numKey('interval', 0, 2_147_483, false),
    timeout: numKey('timeout', 0, 2_147_483, false),
    rise: numKey('rise', 1, 2_147_483_647, true),
    fall: numKey('fall', 1, 2_147_483_647, true),
    weight: (t, q) => {
      const words = q.args(t, 1, 2);
      const v = q.num(words[0], 'weight', -253, 253);
      if (v !== undefined) s.weight = v;
      const r = words[1];
      if (r && r.text === 'reverse') s.reverse = true;
      else if (r && r.text !== 'noreverse') q.error(r, `weight: expected reverse, got ${JSON.stringify(r.text)}`);
      q.at([...path, 'weight'], t);
    },
    init_fail: (t, q) => {
      q.args(t, 0, 0);
      s.initFail = true;
    },
    user: warnIgnored('lvskit runs scripts as its own user'),
  });
  if (name && s.script === undefined) p.error(kw, `vrrp_script ${name.text} has no script`);
  im.scripts.push(s);
}

function trackList(kw: Token, p: Parser, what: string): Obj[] {
  const entries = p.list(kw, (t, cur) => {
    const prev = cur[cur.length - 1] as Token;
    return !(t.text === 'weight' || t.text === 'reverse' || t.text === 'noreverse' || prev.text === 'weight');
  });
  const out: Obj[] = [];
  for (const e of entries) {
    const [name, ...rest] = e as [Token, ...Token[]];
    const ref: Obj = { name: name.text };
    for (let i = 0; i < rest.length; i++) {
      const w = rest[i] as Token;
      if (w.text === 'weight') {
        const v = p.num(rest[i + 1], `${what} weight`, -253, 253);
        if (rest[i + 1] === undefined) p.error(w, 'weight needs a value');
        if (v !== undefined) ref.weight = v;
        i++;
      } else if (w.text === 'reverse') ref.reverse = true;
      else if (w.text === 'noreverse') ref.reverse = false;
      else p.error(w, `${what} ${name.text}: unexpected ${JSON.stringify(w.text)}`);
    }
    out.push(ref);
  }
  return out;
}

function notifyContext(notify: () => Obj): Record<string, Handler> {
  const n =
    (field: string): Handler =>
    (kw, p) => {
      const v = p.script(kw);
      if (v !== undefined) notify()[field] = v;
    };
  return {
    notify_master: n('master'),
    notify_backup: n('backup'),
    notify_fault: n('fault'),
    notify_stop: n('stop'),
    notify: n('any'),
    notify_deleted: unsupported('there is no DELETED state in lvskit'),
    notify_master_rx_lower_pri: unsupported(''),
    notify_priority_changes: unsupported(''),
  };
}

function syncGroup(im: Importer, kw: Token, p: Parser): void {
  const name = p.one(kw);
  const g: Obj = { name: name?.text ?? '' };
  const notify: Obj = {};
  p.at(['vrrp', 'syncGroups', im.syncGroups.length], kw);
  p.block(kw, {
    group: (t, q) => {
      g.instances = q.list(t, () => true).map((e) => (e[0] as Token).text);
    },
    ...notifyContext(() => notify),
    smtp_alert: warnIgnored(MAIL),
    track_interface: unsupported('track it in each member instance'),
    track_script: unsupported('track it in each member instance'),
    track_file: unsupported(''),
    track_process: unsupported(''),
    track_bfd: unsupported(''),
    global_tracking: warnIgnored('deprecated in keepalived'),
    sync_group_tracking_weight: unsupported(''),
  });
  if (Object.keys(notify).length > 0) g.notify = notify;
  im.syncGroups.push(g);
}

// ------------------------------------------------------------------ vrrp_instance

function vrrpInstance(im: Importer, kw: Token, p: Parser): void {
  const name = p.one(kw);
  const index = im.instances.length;
  const path = ['vrrp', 'instances', index];
  const inst: Obj = { name: name?.text ?? '' };
  const notify: Obj = {};
  const tracking: Obj = {};
  const addresses: { tok: Token; address: string; dev?: string }[] = [];
  p.at(path, kw);
  const set = (field: string, v: unknown, t: Token) => {
    if (v === undefined) return;
    inst[field] = v;
    p.at([...path, field], t);
  };
  const numField =
    (field: string, min: number, max: number, integer = true): Handler =>
    (t, q) =>
      set(field, q.num(q.one(t), t.text, min, max, integer), t);
  const boolField =
    (field: string): Handler =>
    (t, q) =>
      set(field, q.flag(t), t);
  const ig = warnIgnored;
  p.block(kw, {
    state: (t, q) => {
      const v = q.one(t);
      if (!v) return;
      // keepalived reads state case-sensitively: `master` is unknown and the instance starts BACKUP.
      if (v.text !== 'MASTER' && v.text !== 'BACKUP') {
        q.error(
          v,
          `state must be MASTER or BACKUP (keepalived reads ${JSON.stringify(v.text)} as unknown and starts BACKUP)`,
        );
      } else set('state', v.text, t);
    },
    interface: (t, q) => {
      const v = q.one(t);
      if (v) {
        set('interface', v.text, t);
        im.addInterface(v.text);
      }
    },
    virtual_router_id: numField('virtualRouterId', 1, 255),
    priority: numField('priority', 1, 255),
    advert_int: numField('advertInt', 0, 255, false),
    version: numField('version', 2, 3),
    authentication: (t, q) => {
      const auth: Obj = {};
      q.block(t, {
        auth_type: (a, r) => {
          const v = r.one(a);
          if (!v) return;
          if (v.text === 'PASS') auth.type = 'PASS';
          else if (v.text === 'AH') r.error(v, 'auth_type AH is not supported by lvskit (PASS is)');
          else r.error(v, `auth_type must be PASS or AH, got ${JSON.stringify(v.text)}`);
        },
        auth_pass: (a, r) => {
          const v = r.one(a);
          if (!v) return;
          if (v.text.length > 8)
            r.warn(
              v,
              'auth_pass is longer than 8 characters: keepalived uses the first 8, and so does the import',
              true,
            );
          auth.password = v.text.slice(0, 8);
        },
      });
      if (auth.type === 'PASS' && auth.password !== undefined) set('authentication', auth, t);
      else if (auth.type === 'PASS') q.error(t, 'authentication: auth_type PASS needs auth_pass');
    },
    virtual_ipaddress: (t, q) => {
      const VIP_OPTS = new Set(['dev', 'brd', 'broadcast', 'label', 'scope', 'peer', 'preferred_lft', 'metric']);
      const VIP_FLAGS = new Set(['home', '-nodad', 'nodad', 'mngtmpaddr', 'noprefixroute', 'autojoin', 'no_track']);
      const entries = q.list(t, (w, cur) => {
        const prev = cur[cur.length - 1] as Token;
        return !VIP_OPTS.has(prev.text) && !VIP_OPTS.has(w.text) && !VIP_FLAGS.has(w.text) && w.text !== 'use_vmac';
      });
      for (const e of entries) {
        const [a, ...rest] = e as [Token, ...Token[]];
        const [addr, prefix] = a.text.split('/');
        const ip = canonicalIp(addr ?? '');
        if (!ip) {
          q.error(a, `virtual_ipaddress: not an IP address: ${JSON.stringify(a.text)}`);
          continue;
        }
        if (prefix !== undefined && prefix !== (ip.family === 4 ? '32' : '128')) {
          q.warn(
            a,
            `virtual_ipaddress ${a.text}: the prefix /${prefix} is not kept (lvskit serves a VIP as a host address)`,
          );
        }
        const entry: { tok: Token; address: string; dev?: string } = { tok: a, address: ip.text };
        for (let i = 0; i < rest.length; i++) {
          const w = rest[i] as Token;
          if (w.text === 'dev') {
            const d = rest[++i];
            if (!d) q.error(w, 'dev needs an interface name');
            else entry.dev = d.text;
          } else if (w.text === 'label' || w.text === 'brd' || w.text === 'broadcast' || w.text === 'scope') {
            q.warn(w, `virtual_ipaddress ${w.text} is ignored: lvskit does not add the VIP to a kernel interface`);
            i++;
          } else {
            q.error(w, `virtual_ipaddress option ${JSON.stringify(w.text)} is not supported by lvskit`);
            if (VIP_OPTS.has(w.text)) i++;
          }
        }
        addresses.push(entry);
      }
    },
    virtual_ipaddress_excluded: unsupported('put the addresses in virtual_ipaddress'),
    no_virtual_ipaddress: unsupported('an lvskit instance needs at least one VIP'),
    unicast_src_ip: (t, q) => set('sourceIp', q.one(t)?.text, t),
    mcast_src_ip: (t, q) => set('sourceIp', q.one(t)?.text, t),
    mcast_dst_ip: (t, q) => set('multicastGroup', q.one(t)?.text, t),
    unicast_peer: (t, q) => {
      const peers: string[] = [];
      for (const e of q.list(
        t,
        (w, cur) =>
          !['min_ttl', 'max_ttl'].includes(w.text) &&
          !['min_ttl', 'max_ttl'].includes((cur[cur.length - 1] as Token).text),
      )) {
        const [a, ...rest] = e as [Token, ...Token[]];
        peers.push(a.text);
        for (let i = 0; i < rest.length; i++) {
          const w = rest[i] as Token;
          if (w.text === 'min_ttl' || w.text === 'max_ttl') {
            q.error(w, `unicast_peer ${w.text} is not supported by lvskit`);
            i++;
          } else q.error(w, `unicast_peer ${a.text}: unexpected ${JSON.stringify(w.text)}`);
        }
      }
      set('unicastPeers', peers, t);
    },
    unicast_ttl: numField('unicastTtl', 0, 255),
    nopreempt: (t, q) => {
      q.args(t, 0, 0);
      set('nopreempt', true, t);
    },
    preempt: (t, q) => {
      q.args(t, 0, 0);
      set('nopreempt', false, t);
    },
    preempt_delay: numField('preemptDelay', 0, 1000, false),
    lower_prio_no_advert: boolField('lowerPrioNoAdvert'),
    higher_prio_send_advert: boolField('higherPrioSendAdvert'),
    skip_check_adv_addr: boolField('skipCheckAdvAddr'),
    check_unicast_src: boolField('checkUnicastSrc'),
    v3_checksum_as_v2: boolField('v3ChecksumAsV2'),
    dont_track_primary: (t, q) => {
      q.args(t, 0, 0);
      set('dontTrackPrimary', true, t);
    },
    down_timer_adverts: numField('downTimerAdverts', 1, 100),
    garp_master_delay: numField('garpMasterDelay', 0, 2_147_483, false),
    garp_master_repeat: numField('garpMasterRepeat', 0, 2_147_483_647),
    garp_master_refresh: numField('garpMasterRefresh', 0, 2_147_483, false),
    garp_master_refresh_repeat: numField('garpMasterRefreshRepeat', 0, 2_147_483_647),
    garp_lower_prio_delay: numField('garpLowerPrioDelay', 0, 2_147_483, false),
    garp_lower_prio_repeat: numField('garpLowerPrioRepeat', 0, 2_147_483_647),
    use_vmac: (t, q) => {
      const words = q.args(t, 0, 1);
      set('useVmac', words[0] ? words[0].text : true, t);
    },
    track_script: (t, q) => {
      tracking.trackScripts = trackList(t, q, 'track_script');
      q.at([...path, 'tracking', 'trackScripts'], t);
    },
    track_interface: (t, q) => {
      tracking.trackInterfaces = trackList(t, q, 'track_interface');
      q.at([...path, 'tracking', 'trackInterfaces'], t);
    },
    ...notifyContext(() => notify),
    smtp_alert: ig(MAIL),
    debug: ig('lvskit logs every transition'),
    native_ipv6: ig('deprecated in keepalived'),
    lvs_sync_daemon_interface: tag(
      (t, q) => syncDaemonInterface(im, name?.text ?? '', t, q),
      'mapped',
      'deprecated in keepalived (use global_defs lvs_sync_daemon): the sync daemons follow this instance, syncid 0',
    ),
    garp_extra_if: unsupported(''),
    accept: unsupported('accept mode is not implemented'),
    no_accept: ig('lvskit never accepts packets for the VIPs outside the virtual services'),
    strict_mode: unsupported("strict mode is not implemented; keepalived's non-strict rules apply"),
    track_file: unsupported(''),
    track_process: unsupported(''),
    track_bfd: unsupported(''),
    track_src_ip: unsupported(''),
    vrf: unsupported(''),
    use_vmac_addr: unsupported(''),
    vmac_xmit_base: unsupported(''),
    use_ipvlan: unsupported(''),
    virtual_routes: unsupported(''),
    virtual_rules: unsupported(''),
    promote_secondaries: unsupported(''),
    unicast_fault_no_peer: unsupported(''),
    old_unicast_checksum: unsupported(''),
    timer_expired_backup: unsupported(''),
    auth_hmac: unsupported(''),
    kernel_rx_buf_size: ig('lvskit sizes its own socket buffers'),
    linkbeat_use_polling: ig('lvskit reads link state from sysfs'),
  });
  if (name === undefined) return;
  if (inst.interface === undefined) p.error(kw, `vrrp_instance ${name.text} has no interface`);
  if (inst.virtualRouterId === undefined) p.error(kw, `vrrp_instance ${name.text} has no virtual_router_id`);
  if (addresses.length === 0) p.error(kw, `vrrp_instance ${name.text} has no virtual_ipaddress`);
  const owner = inst.priority === 255 || (inst.priority === undefined && inst.state === 'MASTER');
  if (inst.nopreempt === true && owner) {
    // vrrp.c: "nopreempt is incompatible with priority 255. resetting nopreempt".
    p.warn(
      p.positions.get([...path, 'nopreempt'].join('\u0000')) ?? kw,
      'nopreempt on an address owner (priority 255): keepalived resets it, and so does the import',
      true,
    );
    delete inst.nopreempt;
  }
  const ifs = tracking.trackInterfaces as Obj[] | undefined;
  if (ifs?.some((r) => r.name === inst.interface)) {
    p.warn(
      p.positions.get([...path, 'tracking', 'trackInterfaces'].join('\u0000')) ?? kw,
      `track_interface ${String(inst.interface)}: the instance's own interface, which keepalived ignores here, and so does the import`,
      true,
    );
    const rest = ifs.filter((r) => r.name !== inst.interface);
    if (rest.length > 0) tracking.trackInterfaces = rest;
    else delete tracking.trackInterfaces;
  }
  const names: string[] = [];
  addresses.forEach((a, i) => {
    const vipName = `${name.text}-${i + 1}`;
    const prev = im.vipByAddress.get(a.address);
    if (prev) {
      p.error(a.tok, `${a.address} is already a VIP (${prev.name}); an address belongs to one instance`);
      return;
    }
    const iface = a.dev ?? (typeof inst.interface === 'string' ? inst.interface : undefined);
    if (iface !== undefined) im.addInterface(iface);
    const vip: Vip = { name: vipName, address: a.address, ...(iface !== undefined ? { iface } : {}) };
    im.vips.push(vip);
    im.vipByAddress.set(a.address, vip);
    p.at(['vips', vipName], a.tok);
    p.at([...path, 'vips', names.length], a.tok);
    names.push(vipName);
  });
  for (const [k, v] of Object.entries(im.instanceDefaults)) if (inst[k] === undefined) inst[k] = v;
  inst.vips = names;
  if (Object.keys(notify).length > 0) inst.notify = notify;
  if (Object.keys(tracking).length > 0) inst.tracking = tracking;
  im.instances.push(inst);
}

// ------------------------------------------------------------------ virtual_server_group

function virtualServerGroup(im: Importer, kw: Token, p: Parser): void {
  const name = p.one(kw);
  const entries: { address: string; port: number; tok: Token }[] = [];
  for (const e of p.list(kw, (w) => canonicalIp(w.text.split(/[-/]/)[0] ?? '') !== undefined || w.text === 'fwmark')) {
    const [a, ...rest] = e as [Token, ...Token[]];
    if (a.text === 'fwmark') {
      p.error(a, 'virtual_server_group fwmark entries are not supported by lvskit (services are address and port)');
      continue;
    }
    const port = rest[0] ? p.num(rest[0], 'port', 0, 65535) : 0;
    for (const extra of rest.slice(1)) p.error(extra, `unexpected ${JSON.stringify(extra.text)}`);
    if (port === undefined) continue;
    const range = /^([^-/]+)(?:-(.+)|\/(\d+))?$/.exec(a.text);
    const base = range?.[1] ? canonicalIp(range[1]) : undefined;
    if (!range || !base) {
      p.error(a, `not an IP address or range: ${JSON.stringify(a.text)}`);
      continue;
    }
    if (range[2] === undefined && range[3] === undefined) {
      entries.push({ address: base.text, port, tok: a });
      continue;
    }
    if (base.family !== 4) {
      // keepalived: an IPv6 range replaces the last 16-bit group (`ae00::2-9`), the end in hex.
      if (range[2] === undefined || !/^[0-9a-f]{1,4}$/i.test(range[2])) {
        p.error(a, `IPv6 range ${a.text}: lvskit reads a range of the last group only (e.g. 2001:db8::2-9)`);
        continue;
      }
      const b = parseIp(base.text);
      const first = ((b[14] as number) << 8) | (b[15] as number);
      const last = Number.parseInt(range[2], 16);
      if (last < first) {
        p.error(a, `range ${a.text}: end before start`);
        continue;
      }
      for (let n = first; n <= last; n++) {
        const x = Uint8Array.from(b);
        x[14] = n >> 8;
        x[15] = n & 0xff;
        entries.push({ address: formatIp(x), port, tok: a });
      }
      continue;
    }
    const start = parseIp(base.text);
    const startN =
      ((start[0] as number) << 24) | ((start[1] as number) << 16) | ((start[2] as number) << 8) | (start[3] as number);
    let endN: number;
    if (range[3] !== undefined) {
      const bits = Number(range[3]);
      if (bits < 16 || bits > 32) {
        p.error(a, `range ${a.text}: lvskit expands /16 to /32 only`);
        continue;
      }
      endN = (startN | (2 ** (32 - bits) - 1)) >>> 0;
    } else if (/^\d+$/.test(range[2] as string)) {
      endN = ((startN & ~0xff) | Number(range[2])) >>> 0;
    } else {
      const e2 = canonicalIp(range[2] as string);
      if (e2?.family !== 4) {
        p.error(a, `range ${a.text}: bad end address`);
        continue;
      }
      const b = parseIp(e2.text);
      endN = (((b[0] as number) << 24) | ((b[1] as number) << 16) | ((b[2] as number) << 8) | (b[3] as number)) >>> 0;
    }
    const s = startN >>> 0;
    if (endN < s || endN - s > 65535) {
      p.error(a, `range ${a.text}: end before start or more than 65536 addresses`);
      continue;
    }
    for (let n = s; n <= endN; n++) {
      entries.push({ address: `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`, port, tok: a });
    }
  }
  if (name) {
    if (im.groups.has(name.text)) p.error(name, `virtual_server_group ${name.text} is defined twice`);
    im.groups.set(name.text, { entries, tok: name });
  }
}

// ------------------------------------------------------------------ virtual_server

const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'mh', 'sed', 'nq', 'fo', 'ovf', 'twos'];

function methodOf(kw: Token, p: Parser): string | undefined {
  const words = p.args(kw, 1, 6);
  const m = words[0];
  if (!m) return undefined;
  const v = ({ DR: 'route', NAT: 'masq', TUN: 'tunnel' } as Record<string, string>)[m.text.toUpperCase()];
  if (v === undefined) {
    p.error(m, `${kw.text} must be NAT, DR or TUN, got ${JSON.stringify(m.text)}`);
    return undefined;
  }
  const rest = words.slice(1);
  if (v === 'tunnel' && rest[0]?.text === 'type' && rest[1]?.text === 'ipip' && rest.length === 2) return v;
  if (rest[0])
    p.error(
      rest[0],
      `${kw.text} ${m.text} ${rest.map((w) => w.text).join(' ')}: only plain IPIP tunnels are supported by lvskit`,
    );
  return v;
}

/** The connection keywords of a checker (check_api.c `install_checker_common_keywords`), written into `c`. */
function connectContext(c: Obj): Record<string, Handler> {
  const str =
    (k: string): Handler =>
    (t, q) => {
      const v = q.one(t);
      if (v) c[k] = v.text;
    };
  const portKey =
    (k: string): Handler =>
    (t, q) => {
      const v = q.num(q.one(t), k, 1, 65535);
      if (v !== undefined) c[k] = v;
    };
  return {
    connect_ip: str('connect_ip'),
    bindto: str('bindto'),
    connect_port: portKey('connect_port'),
    bind_port: portKey('bind_port'),
    bind_if: unsupported(''),
    fwmark: unsupported(''),
  };
}

function checkerContext(
  type: string,
  c: Obj,
  urls: Obj[],
  hosts: Obj[],
  path: () => readonly LvsPathSegment[],
): Context {
  const ctx: Record<string, Handler> = { ...timingContext(() => c, path) };
  const str =
    (k: string): Handler =>
    (t, q) => {
      const v = q.one(t);
      if (v) c[k] = v.text;
    };
  if (type !== 'MISC_CHECK') {
    Object.assign(ctx, connectContext(c));
    ctx.log_all_failures = warnIgnored('lvskit logs every check result it reports');
  } else {
    delete ctx.connect_timeout;
  }
  switch (type) {
    case 'HTTP_GET':
    case 'SSL_GET':
      ctx.url = (t, q) => {
        const u: Obj = {};
        q.block(t, {
          path: (a, r) => {
            const v = r.one(a);
            if (v) u.path = v.text;
          },
          digest: (a, r) => {
            const v = r.one(a);
            if (v) u.digest = v.text;
          },
          status_code: (a, r) => {
            const codes: (number | [number, number])[] = [];
            for (const w of r.args(a, 1, Number.POSITIVE_INFINITY)) {
              for (const part of w.text.split(',')) {
                const m = /^(\d+)(?:-(\d+))?$/.exec(part);
                if (!m) r.error(w, `status_code: expected a code or a range n-m, got ${JSON.stringify(part)}`);
                else codes.push(m[2] === undefined ? Number(m[1]) : [Number(m[1]), Number(m[2])]);
              }
            }
            u.status_code = codes;
          },
          virtualhost: (a, r) => {
            const v = r.one(a);
            if (v) u.virtualhost = v.text;
          },
          regex: (a, r) => {
            const v = r.one(a);
            if (v) u.regex = v.text;
          },
          regex_no_match: (a, r) => {
            r.args(a, 0, 0);
            u.regex_no_match = true;
          },
          regex_options: unsupported(''),
          regex_stack: unsupported(''),
          regex_min_offset: unsupported(''),
          regex_max_offset: unsupported(''),
          tls_compliant: unsupported(''),
        });
        if (u.path === undefined) q.warn(t, 'url without path: keepalived ignores it, and so does the import');
        else urls.push(u);
      };
      ctx.http_protocol = (t, q) => {
        const v = q.one(t);
        if (!v) return;
        if (!['1.0', '1.0C', '1.1'].includes(v.text))
          q.error(v, `http_protocol must be 1.0, 1.0C or 1.1, got ${JSON.stringify(v.text)}`);
        else c.http_protocol = v.text;
      };
      ctx.fast_recovery = unsupported('');
      if (type === 'SSL_GET') {
        ctx.enable_sni = (t, q) => {
          const v = q.flag(t);
          if (v !== undefined) c.enable_sni = v;
        };
        ctx.sni_name = str('sni_name');
        ctx.tls_compliant = unsupported('');
      }
      break;
    case 'SMTP_CHECK':
      ctx.helo_name = str('helo_name');
      // keepalived 2.x: each `host { }` is a checker of its own, the block's keywords its defaults (check_smtp.c).
      ctx.host = (t, q) => {
        const h: Obj = {};
        const timing = timingContext(() => h, path);
        q.block(t, { ...connectContext(h), connect_timeout: timing.connect_timeout as Handler });
        hosts.push(h);
      };
      break;
    case 'DNS_CHECK':
      ctx.type = str('dns_type');
      ctx.name = str('name');
      break;
    case 'UDP_CHECK':
      ctx.payload = str('payload');
      ctx.require_reply = (t, q) => {
        const v = q.args(t, 0, 1)[0];
        c.require_reply = v ? v.text : true;
      };
      ctx.min_reply_length = (t, q) => {
        const v = q.num(q.one(t), 'min_reply_length', 0, 65535);
        if (v !== undefined) c.min_reply_length = v;
      };
      ctx.max_reply_length = (t, q) => {
        const v = q.num(q.one(t), 'max_reply_length', 0, 65535);
        if (v !== undefined) c.max_reply_length = v;
      };
      break;
    case 'MISC_CHECK':
      ctx.misc_path = (t, q) => {
        const v = q.script(t);
        if (v !== undefined) c.misc_path = v;
      };
      ctx.misc_timeout = (t, q) => {
        const v = q.num(q.one(t), 'misc_timeout', 0, 2_147_483, false);
        if (v !== undefined) c.misc_timeout = v;
      };
      ctx.misc_dynamic = (t, q) => {
        q.args(t, 0, 0);
        c.misc_dynamic = true;
      };
      ctx.user = str('user');
      break;
  }
  return ctx;
}

const CHECKERS = [
  'TCP_CHECK',
  'HTTP_GET',
  'SSL_GET',
  'SMTP_CHECK',
  'DNS_CHECK',
  'MISC_CHECK',
  'UDP_CHECK',
  'PING_CHECK',
];

function realServer(kw: Token, p: Parser, sPath: () => readonly LvsPathSegment[], index: number): Obj {
  const words = p.args(kw, 1, 2);
  const rs: Obj = {};
  const timing: Obj = {};
  const checks: Obj[] = [];
  const path = () => [...sPath(), 'realServers', index];
  const a = words[0];
  if (a) {
    const ip = canonicalIp(a.text);
    if (!ip) p.error(a, `real_server: not an IP address: ${JSON.stringify(a.text)}`);
    rs.address = ip?.text ?? a.text;
  }
  if (words[1]) {
    const port = p.num(words[1], 'port', 0, 65535);
    if (port !== undefined) rs.port = port;
  }
  p.at(path(), kw);
  const ctx: Record<string, Handler> = {
    ...timingContext(
      () => timing,
      () => [...path(), 'timing'],
    ),
    weight: (t, q) => {
      const v = q.num(q.one(t), 'weight', 0, 65535);
      if (v !== undefined) {
        rs.weight = v;
        q.at([...path(), 'weight'], t);
      }
    },
    lvs_method: (t, q) => {
      const m = methodOf(t, q);
      if (m) rs.method = m;
    },
    lb_kind: (t, q) => {
      const m = methodOf(t, q);
      if (m) rs.method = m;
    },
    inhibit_on_failure: (t, q) => {
      const v = q.flag(t);
      if (v !== undefined) rs.inhibitOnFailure = v;
    },
    notify_up: (t, q) => {
      const v = q.script(t);
      if (v !== undefined) rs.notifyUp = v;
    },
    notify_down: (t, q) => {
      const v = q.script(t);
      if (v !== undefined) rs.notifyDown = v;
    },
    uthreshold: (t, q) => {
      const v = q.num(q.one(t), 'uthreshold', 0, 2_147_483_647);
      if (v !== undefined) rs.upperThreshold = v;
    },
    lthreshold: (t, q) => {
      const v = q.num(q.one(t), 'lthreshold', 0, 2_147_483_647);
      if (v !== undefined) rs.lowerThreshold = v;
    },
    BFD_CHECK: unsupported('there is no BFD in lvskit'),
    FILE_CHECK: unsupported('there is no track_file in lvskit'),
  };
  for (const type of CHECKERS) {
    ctx[type] = (t, q) => {
      const c: Obj = { type };
      const urls: Obj[] = [];
      const hosts: Obj[] = [];
      const ci = checks.length;
      const cPath = () => [...path(), 'checks', ci];
      q.at(cPath(), t);
      q.block(t, checkerContext(type, c, urls, hosts, cPath));
      if (hosts.length > 0) {
        for (const h of hosts) checks.push({ ...c, ...h });
        return;
      }
      if (type === 'HTTP_GET' || type === 'SSL_GET') {
        if (urls.length === 0) {
          q.error(t, `${type} has no url { path … }`);
          return;
        }
        c.url = urls;
      }
      if (type === 'MISC_CHECK' && c.misc_path === undefined) {
        q.error(t, 'MISC_CHECK has no misc_path');
        return;
      }
      checks.push(c);
    };
  }
  p.block(kw, ctx);
  if (Object.keys(timing).length > 0) rs.timing = timing;
  if (checks.length > 0) rs.checks = checks;
  return rs;
}

function virtualServer(im: Importer, kw: Token, p: Parser): void {
  const head = p.args(kw, 1, 2);
  const index = im.services.length;
  const path = (): readonly LvsPathSegment[] => ['services', index];
  const s: Obj = {};
  const health: Obj = {};
  const timing: Obj = {};
  const realServers: Obj[] = [];
  const flags: string[] = [];
  let vsWeight: number | undefined;
  let persistence: Obj | undefined;
  let address: Token | undefined;
  let group: Token | undefined;
  let supported = true;
  const first = head[0];
  if (first?.text === 'fwmark') {
    p.error(first, 'virtual_server fwmark is not supported by lvskit: a virtual service is an address and a port');
    supported = false;
  } else if (first?.text === 'group') {
    group = head[1];
    if (!group) p.error(first, 'virtual_server group needs a group name');
  } else if (first) {
    address = first;
    const port = head[1] ? p.num(head[1], 'port', 0, 65535) : 0;
    if (!canonicalIp(first.text)) {
      p.error(first, `virtual_server: not an IP address: ${JSON.stringify(first.text)}`);
      supported = false;
    }
    if (port !== undefined) s.port = port;
  }
  p.at(path(), kw);
  const ctx: Record<string, Handler> = {
    ...timingContext(
      () => timing,
      () => [...path(), 'health', 'timing'],
    ),
    lb_algo: (t, q) => sched(t, q),
    lvs_sched: (t, q) => sched(t, q),
    lb_kind: (t, q) => {
      const m = methodOf(t, q);
      if (m) s.method = m;
    },
    lvs_method: (t, q) => {
      const m = methodOf(t, q);
      if (m) s.method = m;
    },
    protocol: (t, q) => {
      const v = q.one(t);
      if (!v) return;
      const pr = v.text.toLowerCase();
      if (!['tcp', 'udp', 'sctp'].includes(pr))
        q.error(v, `protocol must be TCP, UDP or SCTP, got ${JSON.stringify(v.text)}`);
      else {
        s.protocol = pr;
        q.at([...path(), 'protocol'], t);
      }
    },
    persistence_timeout: (t, q) => {
      const v = q.args(t, 0, 1)[0];
      const n = v ? q.num(v, 'persistence_timeout', 1, 2_678_400) : 360;
      if (n !== undefined) persistence = { ...persistence, timeout: n };
      q.at([...path(), 'persistence'], t);
    },
    persistence_granularity: (t, q) => {
      const v = q.one(t);
      if (v) persistence = { ...persistence, netmask: /^\d+$/.test(v.text) ? Number(v.text) : v.text };
      q.at([...path(), 'persistence'], t);
    },
    persistence_engine: unsupported('there is no SIP persistence engine in lvskit'),
    quorum: (t, q) => {
      const v = q.num(q.one(t), 'quorum', 0, 0x7fffffff);
      if (v !== undefined) health.quorum = v;
      q.at([...path(), 'health', 'quorum'], t);
    },
    hysteresis: (t, q) => {
      const v = q.num(q.one(t), 'hysteresis', 0, 0x7fffffff);
      if (v !== undefined) health.hysteresis = v;
      q.at([...path(), 'health', 'hysteresis'], t);
    },
    quorum_up: (t, q) => {
      const v = q.script(t);
      if (v !== undefined) health.quorumUp = v;
    },
    quorum_down: (t, q) => {
      const v = q.script(t);
      if (v !== undefined) health.quorumDown = v;
    },
    inhibit_on_failure: (t, q) => {
      const v = q.flag(t);
      if (v !== undefined) health.inhibitOnFailure = v;
    },
    sorry_server: (t, q) => {
      const words = q.args(t, 1, 2);
      const a = words[0];
      if (!a) return;
      const ip = canonicalIp(a.text);
      if (!ip) q.error(a, `sorry_server: not an IP address: ${JSON.stringify(a.text)}`);
      const sorry: Obj = { ...(health.sorryServer as Obj | undefined), address: ip?.text ?? a.text };
      const port = words[1] ? q.num(words[1], 'port', 0, 65535) : undefined;
      if (port !== undefined) sorry.port = port;
      health.sorryServer = sorry;
      q.at([...path(), 'health', 'sorryServer'], t);
    },
    sorry_server_inhibit: (t, q) => {
      const v = q.flag(t);
      if (v !== undefined) health.sorryServerInhibit = v;
    },
    sorry_server_lvs_method: (t, q) => {
      const m = methodOf(t, q);
      if (m) health.sorryServerMethod = m;
    },
    weight: (t, q) => {
      vsWeight = q.num(q.one(t), 'weight', 0, 65535);
    },
    ha_suspend: unsupported('checkers run whether or not this node holds the VIP'),
    alpha: (t, q) => {
      const v = q.flag(t);
      if (v !== undefined) timing.alpha = v;
    },
    omega: warnIgnored('quorum_down and notify_down scripts do not run when lvskit stops'),
    ip_family: warnIgnored('the family comes from the address'),
    real_server: (t, q) => {
      realServers.push(realServer(t, q, path, realServers.length));
    },
  };
  for (const f of ['flag-1', 'flag-2', 'flag-3', 'sh-port', 'sh-fallback', 'mh-port', 'mh-fallback']) {
    ctx[f] = (t, q) => {
      q.args(t, 0, 0);
      flags.push(f);
    };
  }
  ctx.ops = unsupported('one-packet scheduling is not in the director config');
  ctx.hashed = unsupported('');
  const sched = (t: Token, q: Parser) => {
    const v = q.one(t);
    if (!v) return;
    if (!SCHEDULERS.includes(v.text))
      q.error(v, `unknown scheduler ${JSON.stringify(v.text)} (known: ${SCHEDULERS.join(' ')})`);
    else {
      s.scheduler = v.text;
      q.at([...path(), 'scheduler'], t);
    }
  };
  p.block(kw, ctx);
  if (!supported) return;
  if (s.protocol === undefined) {
    // check_data.c: "no protocol set - defaulting to UDP" (the kernel reads protocol 0 as UDP).
    p.warn(kw, 'virtual_server has no protocol: keepalived defaults to UDP, and so does the import', true);
    s.protocol = 'udp';
  }
  if (s.method === undefined) {
    // keepalived's default is NAT, not ipvsadm's DR (check_data.c "no forwarding method set, setting default NAT").
    p.warn(kw, 'virtual_server has no lb_kind: keepalived defaults to NAT, and so does the import', true);
    s.method = 'masq';
  }
  if (s.scheduler === undefined) {
    p.warn(kw, 'virtual_server has no lb_algo: keepalived defaults to wlc, and so does the import', true);
    s.scheduler = 'wlc';
  }
  if (flags.length > 0) s.schedulerFlags = flags;
  if (persistence) s.persistence = persistence;
  const sorry = health.sorryServer as Obj | undefined;
  if (sorry) {
    if (health.sorryServerInhibit !== undefined) sorry.inhibit = health.sorryServerInhibit;
    if (health.sorryServerMethod !== undefined) sorry.method = health.sorryServerMethod;
  }
  delete health.sorryServerInhibit;
  delete health.sorryServerMethod;
  if (Object.keys(timing).length > 0) health.timing = timing;
  if (Object.keys(health).length > 0) s.health = health;
  if (realServers.length === 0)
    p.warn(kw, 'virtual_server has no real_server: keepalived ignores it, and so does the import', true);
  // check_data.c: a quorum above the total weight is reduced to it, a hysteresis not below the quorum to quorum-1.
  const total = realServers.reduce((sum, rs) => sum + (typeof rs.weight === 'number' ? rs.weight : (vsWeight ?? 1)), 0);
  const quorum = typeof health.quorum === 'number' ? health.quorum : 1;
  if (realServers.length > 0 && quorum > total) {
    p.warn(
      kw,
      `quorum ${quorum} exceeds the real servers' total weight ${total}: keepalived reduces it to ${total}, and so does the import`,
      true,
    );
    health.quorum = total;
    s.health = health;
  }
  const q2 = typeof health.quorum === 'number' ? health.quorum : 1;
  const hysteresis = typeof health.hysteresis === 'number' ? health.hysteresis : 0;
  if (realServers.length > 0 && hysteresis >= q2) {
    p.warn(
      kw,
      `hysteresis ${hysteresis} is not below the quorum ${q2}: keepalived lowers it, and so does the import`,
      true,
    );
    health.hysteresis = Math.max(q2 - 1, 0);
    s.health = health;
  }
  s.realServers = realServers.map((rs) =>
    rs.weight === undefined && vsWeight !== undefined ? { ...rs, weight: vsWeight } : rs,
  );
  if (realServers.length === 0) return;
  if (group) {
    im.pendingGroups.push({ tok: group, name: group.text, service: s, index });
    im.services.push(s);
    return;
  }
  if (!address) return;
  serviceAt(im, p, s, address.text, address);
  im.services.push(s);
}

/** Names a service and points it at the VIP of its address, adding a VIP served without VRRP when none has it. */
function serviceAt(im: Importer, p: Parser, s: Obj, addressText: string, tok: Token): void {
  const ip = canonicalIp(addressText);
  if (!ip) return;
  let vip = im.vipByAddress.get(ip.text);
  if (!vip) {
    vip = { name: `vip-${ip.text}`, address: ip.text };
    im.vips.push(vip);
    im.vipByAddress.set(ip.text, vip);
    p.at(['vips', vip.name], tok);
  }
  s.vip = vip.name;
  const host = ip.family === 6 ? `[${ip.text}]` : ip.text;
  s.name = `${host}:${String(s.port)}/${String(s.protocol)}`;
}

// ------------------------------------------------------------------ top level

function topLevel(im: Importer): Context {
  return {
    global_defs: (kw, p) => {
      p.args(kw, 0, 0);
      p.block(kw, globalDefs(im));
    },
    vrrp_script: (kw, p) => vrrpScript(im, kw, p),
    vrrp_sync_group: (kw, p) => syncGroup(im, kw, p),
    vrrp_instance: (kw, p) => vrrpInstance(im, kw, p),
    virtual_server: (kw, p) => virtualServer(im, kw, p),
    virtual_server_group: (kw, p) => virtualServerGroup(im, kw, p),
    static_ipaddress: unsupported('lvskit adds no addresses outside VRRP'),
    static_routes: unsupported('lvskit adds no routes'),
    static_rules: unsupported('lvskit adds no routing rules'),
    SSL: unsupported('give SSL_GET material through the director config'),
    linkbeat_interfaces: warnIgnored('lvskit reads link state from sysfs'),
    vrrp_track_process: unsupported(''),
    vrrp_track_file: unsupported(''),
    track_file: unsupported(''),
    bfd_instance: unsupported('there is no BFD in lvskit'),
  };
}

/**
 * Maps an issue of the director's `validateConfig` (a config path) to the keyword it came from: the
 * longest prefix of its path the importer wrote.
 */
function positionOf(p: Parser, path: readonly LvsPathSegment[], fallback: Token): Token {
  for (let n = path.length; n > 0; n--) {
    const t = p.positions.get(path.slice(0, n).join('\u0000'));
    if (t) return t;
  }
  return fallback;
}

/**
 * Imports a keepalived.conf into a {@link DirectorConfig}: every keyword lvskit supports is mapped, every other
 * one reported at its position (`file:line:col: message`), and the result checked by the director's
 * `validateConfig`, its issues reported at the keyword they came from. VIPs are written once in `vips`: a
 * `vrrp_instance`'s addresses are named `<instance>-<n>`, a `virtual_server` address that no instance holds
 * becomes a VIP `vip-<address>` served without VRRP. keepalived defaults that differ from lvskit's are written
 * out (forwarding method NAT, protocol UDP when unset).
 * @param text - the file's contents
 * @param options - the file's name, and file access for `include` (default `node:fs`)
 * @returns the config and the warnings
 * @throws LvsError `DIRECTOR_IMPORT_FAILED` with every error as an {@link ImportIssue} (the warnings too, after them)
 */
export function importKeepalived(text: string, options: ImportKeepalivedOptions = {}): ImportResult {
  return run(text, options);
}

function run(
  text: string,
  options: ImportKeepalivedOptions,
  onBlock?: (name: string, ctx: Context) => void,
): ImportResult {
  const file = options.file ?? 'keepalived.conf';
  const lexIssues: LexIssue[] = [];
  const toks = tokenize(text, file, options, lexIssues);
  const p = new Parser(toks, onBlock);
  for (const i of lexIssues) p.issue(i, 'error', i.message);
  const im = new Importer();
  const top = topLevel(im);
  onBlock?.('', top);
  for (;;) {
    const t = p.next();
    if (!t) break;
    if (isBrace(t)) {
      p.error(t, t.text === '}' ? 'unexpected } (no block open)' : 'unexpected {');
      if (t.text === '{') p.skipBlockBody(t);
      continue;
    }
    p.statement(t, top);
  }
  for (const g of im.pendingGroups) {
    const grp = im.groups.get(g.name);
    if (!grp) {
      p.error(g.tok, `no virtual_server_group named ${JSON.stringify(g.name)}`);
      continue;
    }
    // One service per group member: the director's services are one address and port each.
    const pos = im.services.indexOf(g.service);
    const made: Obj[] = grp.entries.map((e) => {
      const s: Obj = { ...g.service, port: e.port };
      serviceAt(im, p, s, e.address, e.tok);
      return s;
    });
    im.services.splice(pos, 1, ...made);
  }
  const config: Obj = {
    vips: Object.fromEntries(
      im.vips.map((v) => [v.name, v.iface !== undefined ? { address: v.address, interface: v.iface } : v.address]),
    ),
    services: im.services,
  };
  if (im.interfaces.length > 0) config.interfaces = im.interfaces.map((name) => ({ name }));
  if (im.instances.length > 0 || im.scripts.length > 0 || Object.keys(im.globals).length > 0) {
    const vrrp: Obj = { instances: im.instances };
    if (im.syncGroups.length > 0) vrrp.syncGroups = im.syncGroups;
    if (im.scripts.length > 0) vrrp.scripts = im.scripts;
    if (Object.keys(im.globals).length > 0) vrrp.globals = im.globals;
    config.vrrp = vrrp;
  }
  if (im.timeouts) config.timeouts = im.timeouts;
  if (im.sync) {
    const name = im.sync.instance;
    if (name !== undefined && !im.instances.some((i) => i.name === name)) {
      // vrrp.c vrrp_complete_init: keepalived then runs no sync daemon at all; lvskit refuses instead.
      const at = p.positions.get(['sync', 'instance'].join('\u0000')) ?? fallbackToken(toks, file);
      p.error(
        at,
        `Unable to find vrrp instance ${name} for lvs_syncd (keepalived then clears the lvs_syncd config and runs no sync daemon)`,
      );
    }
    config.sync = im.sync.config;
  }
  const fallback = fallbackToken(toks, file);
  if (!p.issues.some((i) => i.severity === 'error')) {
    try {
      validateConfig(config as unknown as DirectorConfig);
    } catch (err) {
      if (!LvsError.is(err)) throw err;
      for (const i of err.issues) {
        const where = positionOf(p, i.path, fallback);
        p.error(where, i.path.length > 0 ? `${formatPath(i.path)}: ${i.message}` : i.message);
      }
    }
  }
  // In file order: files as they were first reached, then line and column.
  const fileOrder = new Map<string, number>();
  for (const t of toks) if (!fileOrder.has(t.file)) fileOrder.set(t.file, fileOrder.size);
  const rank = (i: ImportIssue) => fileOrder.get(i.file) ?? -1;
  const sorted = [...p.issues].sort((a, b) => rank(a) - rank(b) || a.line - b.line || a.column - b.column);
  const errors = sorted.filter((i) => i.severity === 'error');
  const warnings = sorted.filter((i) => i.severity === 'warning');
  if (errors.length > 0) {
    const head =
      errors.length === 1
        ? (errors[0] as ImportIssue).message
        : `${file}: ${errors.length} errors\n${errors.map((e) => `  ${e.message}`).join('\n')}`;
    const err = new LvsError('DIRECTOR_IMPORT_FAILED', head, { issues: [...errors, ...warnings] });
    throw err;
  }
  return {
    config: config as unknown as DirectorConfig,
    warnings,
    keepalivedComplaints: warnings.filter((w) => p.complaints.has(w)),
  };
}

/** Where an issue with no keyword of its own is reported: the first token, or the file's start. */
function fallbackToken(toks: readonly Token[], file: string): Token {
  return toks[0] ?? { text: '', file, line: 1, col: 1, quoted: false };
}

/** One keepalived keyword and how the importer treats it. */
export interface KeepalivedKeyword {
  /** The block it is written in, as the keywords that open it (`vrrp_instance`, `virtual_server real_server HTTP_GET url`); `''` at the top level. */
  readonly block: string;
  /** The keyword. */
  readonly keyword: string;
  /** `mapped` into the director config; `warning`: accepted and reported, no effect; `error`: refused. */
  readonly support: 'mapped' | 'warning' | 'error';
  /** Why, for `warning` and `error` (and deprecated spellings). */
  readonly note: string;
}

/** A config that opens every block the importer knows, so each block's keyword table is seen once. */
const PROBE = `global_defs { }
vrrp_script s { script x }
vrrp_sync_group g { group { a b } }
vrrp_instance i { authentication { } }
virtual_server_group vg { }
virtual_server 192.0.2.1 80 { real_server 192.0.2.2 80 {
  TCP_CHECK { } HTTP_GET { url { } } SSL_GET { url { } } SMTP_CHECK { host { } } DNS_CHECK { } MISC_CHECK { }
  UDP_CHECK { } PING_CHECK { } } }
`;

/**
 * Every keyword the keepalived importer knows, by block, with how it treats it: the table the migration guide
 * is checked against. A keyword not listed is an error ("unknown keyword"), as in `keepalived -t`. List
 * blocks (`virtual_ipaddress`, `unicast_peer`, `track_script`, `group` …) hold entries, not keywords.
 */
export function keepalivedKeywords(): readonly KeepalivedKeyword[] {
  const out: KeepalivedKeyword[] = [];
  const seen = new Set<string>();
  const record = (block: string, ctx: Context) => {
    if (seen.has(block)) return;
    seen.add(block);
    for (const [keyword, h] of Object.entries(ctx)) {
      const t = TAGS.get(h);
      out.push({ block, keyword, support: t?.support ?? 'mapped', note: t?.note ?? '' });
    }
  };
  try {
    run(PROBE, { file: 'probe', readFile: () => '', glob: () => [] }, record);
  } catch (err) {
    // The probe is not a valid config (empty blocks); only the tables it opened matter.
    if (!LvsError.is(err)) throw err;
  }
  return out;
}
