/**
 * ldirectord's negotiate checks for text protocols: ftp (login, RETR `request`, body matches `receive`),
 * pop/pops (greeting, optional USER/PASS), imap/imaps (greeting, optional LOGIN), nntp (a 2xx banner),
 * simpletcp (send `request`, a line matches `receive`). Protocol only; each follows the Perl module
 * ldirectord calls, as cited per function.
 * @see ldirectord.in `check_ftp`, `check_pop`, `check_imap`, `check_imaps`, `check_nntp`, `check_simpletcp`
 */
import { connect as netConnect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { formatEndpoint } from '@lvskit/base';
import { anyString, bool, checkOptions, port, regexp, required, type Shape, text } from '../options.js';
import type { Checker } from '../types.js';
import { guarded } from './common.js';
import { abortError, dial, LineReader, readAll } from './socket.js';

const TEXT_OPTIONS = { host: required(text), port: required(port), tls: bool, key: text } as const satisfies Shape;

/** Common options of these checks. */
export interface TextCheckOptions {
  readonly host: string;
  readonly port: number;
  /** Use TLS (pops, imaps), without certificate verification. */
  readonly tls?: boolean;
  readonly key?: string;
}

function d(o: TextCheckOptions) {
  return { host: o.host, port: o.port, ...(o.tls ? { tls: { verify: false } } : {}) };
}

/** ftp check options. */
export interface FtpCheckOptions extends TextCheckOptions {
  /** `login` (default `anonymous`). */
  readonly login?: string;
  /** `passwd` (default `ldirectord@<hostname>`). */
  readonly passwd?: string;
  /** `request`: the file to RETR. */
  readonly request: string;
  /** `receive`: a regex the file's content must match (empty: any successful transfer). */
  readonly receive?: RegExp;
}

/**
 * ldirectord `check_ftp` (Net::FTP): connect, USER/PASS, CWD /, TYPE I, PASV, RETR request; up when the
 * retrieved content matches `receive`. ldirectord ignores command errors and judges the content only; so
 * do we, except that an empty `receive` needs a completed transfer (Perl's empty pattern would reuse the
 * last successful match — not reproducible).
 */
export function ftpCheck(o: FtpCheckOptions): Checker {
  checkOptions(
    o,
    { ...TEXT_OPTIONS, login: anyString, passwd: anyString, request: required(anyString), receive: regexp },
    'ftpCheck options',
  );
  const where = formatEndpoint(o.host, o.port);
  return {
    kind: 'ldirectord:ftp',
    key: o.key ?? `ldirectord:ftp ${where} ${o.request}`,
    check(signal) {
      return guarded(signal, async () => {
        const sock = await dial(d(o), signal);
        let data: Socket | null = null;
        try {
          const r = new LineReader(sock);
          const greet = await r.reply(signal);
          if (greet.code !== 220) return { ok: false, message: `FTP greeting ${greet.text}` };
          r.send(`USER ${o.login ?? 'anonymous'}`);
          const u = await r.reply(signal);
          if (u.code === 331) {
            r.send(`PASS ${o.passwd ?? `ldirectord@${hostname()}`}`);
            await r.reply(signal);
          }
          r.send('CWD /');
          await r.reply(signal);
          r.send('TYPE I');
          await r.reply(signal);
          r.send('PASV');
          const pasv = await r.reply(signal);
          const m = /(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)/.exec(pasv.text);
          if (pasv.code !== 227 || !m) return { ok: false, message: `PASV failed: ${pasv.text}` };
          const ip = `${m[1]}.${m[2]}.${m[3]}.${m[4]}`;
          const port = Number(m[5]) * 256 + Number(m[6]);
          // A NATed server may announce an unusable address; the control connection's peer is reliable.
          const dataHost = ip === '0.0.0.0' ? o.host : ip;
          data = await new Promise<Socket>((resolve, reject) => {
            const s = netConnect(port, dataHost);
            s.once('connect', () => resolve(s));
            s.once('error', reject);
            signal.addEventListener('abort', () => reject(abortError(signal)), { once: true });
          });
          const body = readAll(data, signal);
          r.send(`RETR ${o.request}`);
          const retr = await r.reply(signal);
          if (retr.code !== 150 && retr.code !== 125) {
            data.destroy();
            return { ok: false, message: `RETR ${o.request}: ${retr.text}` };
          }
          const content = (await body).toString('latin1');
          const done = await r.reply(signal);
          r.send('QUIT');
          if (o.receive && o.receive.source !== '(?:)') {
            return o.receive.test(content)
              ? { ok: true, message: `FTP ${o.request} matched` }
              : { ok: false, message: `FTP ${o.request} did not match ${o.receive}` };
          }
          return done.code === 226 || done.code === 250
            ? { ok: true, message: `FTP ${o.request} retrieved` }
            : { ok: false, message: `FTP transfer: ${done.text}` };
        } finally {
          data?.destroy();
          sock.destroy();
        }
      });
    },
  };
}

/** pop / imap options. */
export interface MailboxCheckOptions extends TextCheckOptions {
  /** `login`: when non-empty, authenticate too. */
  readonly login?: string;
  readonly passwd?: string;
}

/** ldirectord `check_pop` (Mail::POP3Client): `+OK` greeting; with a login, USER/PASS must be accepted. */
export function popCheck(o: MailboxCheckOptions): Checker {
  checkOptions(o, { ...TEXT_OPTIONS, login: anyString, passwd: anyString }, 'popCheck options');
  const kind = o.tls ? 'ldirectord:pops' : 'ldirectord:pop';
  return {
    kind,
    key: o.key ?? `${kind} ${formatEndpoint(o.host, o.port)}`,
    check(signal) {
      return guarded(signal, async () => {
        const sock = await dial(d(o), signal);
        try {
          const r = new LineReader(sock);
          const greet = await r.line(signal);
          if (!greet.startsWith('+OK')) return { ok: false, message: `POP3 greeting ${greet}` };
          if (o.login) {
            r.send(`USER ${o.login}`);
            const u = await r.line(signal);
            if (!u.startsWith('+OK')) return { ok: false, message: `USER refused: ${u}` };
            r.send(`PASS ${o.passwd ?? ''}`);
            const p = await r.line(signal);
            if (!p.startsWith('+OK')) return { ok: false, message: `PASS refused: ${p}` };
          }
          r.send('QUIT');
          return { ok: true, message: 'POP3 ok' };
        } finally {
          sock.destroy();
        }
      });
    },
  };
}

/** ldirectord `check_imap` / `check_imaps` (Net::IMAP::Simple): `* OK` greeting; with a login, LOGIN must succeed. */
export function imapCheck(o: MailboxCheckOptions): Checker {
  checkOptions(o, { ...TEXT_OPTIONS, login: anyString, passwd: anyString }, 'imapCheck options');
  const kind = o.tls ? 'ldirectord:imaps' : 'ldirectord:imap';
  return {
    kind,
    key: o.key ?? `${kind} ${formatEndpoint(o.host, o.port)}`,
    check(signal) {
      return guarded(signal, async () => {
        const sock = await dial(d(o), signal);
        try {
          const r = new LineReader(sock);
          const greet = await r.line(signal);
          if (!/^\* (OK|PREAUTH)/i.test(greet)) return { ok: false, message: `IMAP greeting ${greet}` };
          if (o.login) {
            r.send(`a1 LOGIN ${quote(o.login)} ${quote(o.passwd ?? '')}`);
            for (;;) {
              const l = await r.line(signal);
              if (l.startsWith('a1 ')) {
                if (!/^a1 OK/i.test(l)) return { ok: false, message: `LOGIN refused: ${l}` };
                break;
              }
            }
          }
          r.send('a2 LOGOUT');
          return { ok: true, message: 'IMAP ok' };
        } finally {
          sock.destroy();
        }
      });
    },
  };
}

function quote(s: string): string {
  return `"${s.replace(/(["\\])/g, '\\$1')}"`;
}

/** ldirectord `check_nntp`: read up to 64 bytes of banner; up when it starts with `2`. */
export function nntpCheck(o: TextCheckOptions): Checker {
  checkOptions(o, TEXT_OPTIONS, 'nntpCheck options');
  return {
    kind: 'ldirectord:nntp',
    key: o.key ?? `ldirectord:nntp ${formatEndpoint(o.host, o.port)}`,
    check(signal) {
      return guarded(signal, async () => {
        const sock = await dial(d(o), signal);
        try {
          const r = new LineReader(sock);
          const banner = await r.line(signal);
          return banner.startsWith('2')
            ? { ok: true, message: banner.slice(0, 64) }
            : { ok: false, message: banner.slice(0, 64) };
        } finally {
          sock.destroy();
        }
      });
    },
  };
}

/** simpletcp options. */
export interface SimpleTcpOptions extends TextCheckOptions {
  /** `request` as written after `request =` (ldirectord strips its first character, the added `/`). */
  readonly request: string;
  /** `receive`: a line of the reply must match. */
  readonly receive: RegExp;
}

/**
 * ldirectord `check_simpletcp`: send `request` without its first character and with `\n` escapes
 * expanded, half-close, and be up when one reply line matches `receive`.
 */
export function simpleTcpCheck(o: SimpleTcpOptions): Checker {
  checkOptions(
    o,
    { ...TEXT_OPTIONS, request: required(anyString), receive: required(regexp) },
    'simpleTcpCheck options',
  );
  const payload = o.request.slice(1).replace(/\\n/g, '\n');
  return {
    kind: 'ldirectord:simpletcp',
    key: o.key ?? `ldirectord:simpletcp ${formatEndpoint(o.host, o.port)} ${o.request}`,
    check(signal) {
      return guarded(signal, async () => {
        const sock = await dial(d(o), signal);
        try {
          const r = new LineReader(sock);
          sock.end(payload, 'latin1');
          for (;;) {
            let line: string;
            try {
              line = await r.line(signal);
            } catch (err) {
              if (signal.aborted) throw err;
              return { ok: false, message: 'No OK' };
            }
            if (o.receive.test(line)) return { ok: true, message: `matched: ${line.slice(0, 80)}` };
          }
        } finally {
          sock.destroy();
        }
      });
    },
  };
}
