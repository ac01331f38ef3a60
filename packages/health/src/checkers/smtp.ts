/**
 * keepalived SMTP_CHECK (greeting 220 → `HELO <helo_name>` → 250 → `QUIT`) and ldirectord's smtp /
 * submission negotiate check (Net::SMTP: greeting, EHLO falling back to HELO, QUIT). Protocol only.
 * @see keepalived/check/check_smtp.c `smtp_engine_thread`; ldirectord.in `check_smtp`
 */

import { formatEndpoint } from '@lvskit/base';
import { checkOptions, ip, port, required, text } from '../options.js';
import type { Checker } from '../types.js';
import { guarded } from './common.js';
import { dial, LineReader } from './socket.js';

/** SMTP_CHECK options. */
export interface SmtpCheckOptions {
  readonly host: string;
  readonly port: number;
  /** `helo_name` (default `smtpchecker.keepalived.org`, check_smtp.h SMTP_DEFAULT_HELO). */
  readonly heloName?: string;
  readonly bindTo?: string;
  readonly key?: string;
}

/** Build an SMTP_CHECK. */
export function smtpCheck(o: SmtpCheckOptions): Checker {
  checkOptions(
    o,
    { host: required(text), port: required(port), heloName: text, bindTo: ip, key: text },
    'smtpCheck options',
  );
  const helo = o.heloName ?? 'smtpchecker.keepalived.org';
  const where = formatEndpoint(o.host, o.port);
  return {
    kind: 'SMTP_CHECK',
    key: o.key ?? `SMTP_CHECK ${where}`,
    check(signal) {
      return guarded(signal, async () => {
        const sock = await dial(o, signal);
        try {
          const r = new LineReader(sock);
          const greet = await r.reply(signal);
          if (greet.code !== 220) return { ok: false, message: `bad greeting from ${where}: ${greet.text}` };
          r.send(`HELO ${helo}`);
          const h = await r.reply(signal);
          if (h.code !== 250) return { ok: false, message: `HELO refused by ${where}: ${h.text}` };
          r.send('QUIT');
          return { ok: true, message: `SMTP ${where} answered 220/250` };
        } finally {
          sock.end();
          sock.destroy();
        }
      });
    },
  };
}

/** ldirectord smtp/submission options. */
export interface LdSmtpOptions {
  readonly host: string;
  readonly port: number;
  /** EHLO name (Net::SMTP default `localhost.localdomain`). */
  readonly hello?: string;
  readonly key?: string;
}

/** ldirectord `check_smtp`: up when Net::SMTP->new succeeds (220 greeting and EHLO/HELO accepted). */
export function ldSmtpCheck(o: LdSmtpOptions): Checker {
  checkOptions(o, { host: required(text), port: required(port), hello: text, key: text }, 'ldSmtpCheck options');
  const where = formatEndpoint(o.host, o.port);
  const hello = o.hello ?? 'localhost.localdomain';
  return {
    kind: 'ldirectord:smtp',
    key: o.key ?? `ldirectord:smtp ${where}`,
    check(signal) {
      return guarded(signal, async () => {
        const sock = await dial(o, signal);
        try {
          const r = new LineReader(sock);
          const greet = await r.reply(signal);
          if (greet.code !== 220) return { ok: false, message: `bad greeting: ${greet.text}` };
          r.send(`EHLO ${hello}`);
          let h = await r.reply(signal);
          if (h.code !== 250) {
            r.send(`HELO ${hello}`);
            h = await r.reply(signal);
          }
          if (h.code !== 250) return { ok: false, message: `hello refused: ${h.text}` };
          r.send('QUIT');
          return { ok: true, message: 'SMTP ok' };
        } finally {
          sock.destroy();
        }
      });
    },
  };
}
