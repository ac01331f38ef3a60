/**
 * ldirectord's mysql and pgsql negotiate checks through the npm drivers (mysql2, pg): connect with
 * `login`/`passwd` to `database`, run `request` (a leading `/` stripped) and be up only when it returns at
 * least one row; `receive` is not used. A login and a request are required, as in ldirectord. The signal
 * destroys the connection. Protocol only.
 * @see ldirectord.in `check_sql`
 */
import { formatEndpoint } from '@lvskit/base';
import { createConnection } from 'mysql2/promise';
import PgClient from 'pg/lib/client.js';
import { anyString, checkOptions, port, required, type Shape, text } from '../options.js';
import type { Checker } from '../types.js';
import { guarded } from './common.js';
import { abortError } from './socket.js';

const SQL_OPTIONS: Shape = {
  host: required(text),
  port: required(port),
  login: required(anyString),
  passwd: anyString,
  database: required(text),
  request: required(anyString),
  key: text,
};

/** ldirectord SQL check options. */
export interface SqlCheckOptions {
  readonly host: string;
  readonly port: number;
  /** `login` (required). */
  readonly login: string;
  /** `passwd`. */
  readonly passwd?: string;
  /** `database` (required by ldirectord for SQL checks). */
  readonly database: string;
  /** `request`: the SELECT to run. */
  readonly request: string;
  readonly key?: string;
}

function query(o: SqlCheckOptions): string {
  return o.request.replace(/^\//, '');
}

function onAbort(signal: AbortSignal, fn: () => void): () => void {
  signal.addEventListener('abort', fn, { once: true });
  return () => signal.removeEventListener('abort', fn);
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(abortError(signal));
    else signal.addEventListener('abort', () => reject(abortError(signal)), { once: true });
  });
}

/** ldirectord `service = mysql`. */
export function mysqlCheck(o: SqlCheckOptions): Checker {
  checkOptions(o, SQL_OPTIONS, 'mysqlCheck options');
  const where = formatEndpoint(o.host, o.port);
  return {
    kind: 'ldirectord:mysql',
    key: o.key ?? `ldirectord:mysql ${where} ${o.database} ${query(o)}`,
    check(signal) {
      return guarded(signal, async () => {
        if (!o.login || !query(o)) return { ok: false, message: 'Must specify a login and request string' };
        const aborted = rejectOnAbort(signal);
        aborted.catch(() => {});
        const connecting = createConnection({
          host: o.host,
          port: o.port,
          user: o.login,
          password: o.passwd ?? '',
          database: o.database,
        });
        // A connection that completes after the abort must not leak.
        connecting.then((c) => signal.aborted && c.destroy()).catch(() => {});
        const conn = await Promise.race([connecting, aborted]);
        const off = onAbort(signal, () => conn.destroy());
        try {
          const [rows] = await Promise.race([conn.query(query(o)), aborted]);
          const n = Array.isArray(rows) ? rows.length : 0;
          return n > 0 ? { ok: true, message: `${n} rows` } : { ok: false, message: 'query returned no rows' };
        } finally {
          off();
          conn.destroy();
        }
      });
    },
  };
}

/** ldirectord `service = pgsql`. */
export function pgsqlCheck(o: SqlCheckOptions): Checker {
  checkOptions(o, SQL_OPTIONS, 'pgsqlCheck options');
  const where = formatEndpoint(o.host, o.port);
  return {
    kind: 'ldirectord:pgsql',
    key: o.key ?? `ldirectord:pgsql ${where} ${o.database} ${query(o)}`,
    check(signal) {
      return guarded(signal, async () => {
        if (!o.login || !query(o)) return { ok: false, message: 'Must specify a login and request string' };
        const client = new PgClient({
          host: o.host,
          port: o.port,
          user: o.login,
          password: o.passwd ?? '',
          database: o.database,
        });
        client.on('error', () => {}); // errors surface through the awaited calls
        const aborted = rejectOnAbort(signal);
        aborted.catch(() => {});
        const off = onAbort(signal, () => {
          void client.end().catch(() => {});
        });
        try {
          await Promise.race([client.connect(), aborted]);
          const r = await Promise.race([client.query(query(o)), aborted]);
          const n = r.rowCount ?? r.rows.length;
          return n > 0 ? { ok: true, message: `${n} rows` } : { ok: false, message: 'query returned no rows' };
        } finally {
          off();
          void client.end().catch(() => {});
        }
      });
    },
  };
}
