/**
 * ldirectord mysql and pgsql checks against MariaDB and PostgreSQL started from scratch here (temp data
 * dirs, 127.0.0.1 high ports, stopped by PID). Up means: logged in and the request returned ≥ 1 row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mysqlCheck, pgsqlCheck } from '../../src/index.js';
import { type Daemon, missing, startMariadb, startPostgres } from './fixtures.js';

const HOST = '127.0.0.1';
const signal = (ms = 10_000) => AbortSignal.timeout(ms);

describe('ldirectord mysql against MariaDB', () => {
  let db: Daemon | string = 'not started';
  beforeAll(async () => {
    db = await startMariadb();
  }, 120_000);
  afterAll(async () => {
    if (typeof db !== 'string') await db.stop();
  }, 60_000);

  it('a SELECT returning a row is up; no rows, bad password, bad SQL and a stopped server are down', async (ctx) => {
    if (missing(typeof db === 'string' ? db : null)) return ctx.skip();
    const d = db as Daemon;
    const base = { host: HOST, port: d.port, login: 'lvs', passwd: 'pw', database: 'health' };
    expect(
      await mysqlCheck({ ...base, request: '/SELECT * FROM director WHERE enabled = 1' }).check(signal()),
    ).toMatchObject({ ok: true });
    expect(
      (await mysqlCheck({ ...base, request: 'SELECT * FROM director WHERE enabled = 0' }).check(signal())).ok,
    ).toBe(false);
    expect((await mysqlCheck({ ...base, passwd: 'wrong', request: 'SELECT 1' }).check(signal())).ok).toBe(false);
    expect((await mysqlCheck({ ...base, request: 'SELEKT 1' }).check(signal())).ok).toBe(false);
    expect((await mysqlCheck({ ...base, login: '', request: 'SELECT 1' }).check(signal())).message).toMatch(
      /login and request/,
    );
    await d.stop();
    db = 'stopped';
    expect((await mysqlCheck({ ...base, request: 'SELECT 1' }).check(signal())).ok).toBe(false);
  });
});

describe('ldirectord pgsql against PostgreSQL', () => {
  let db: Daemon | string = 'not started';
  beforeAll(async () => {
    db = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    if (typeof db !== 'string') await db.stop();
  }, 60_000);

  it('a SELECT returning a row is up; no rows, bad SQL, wrong database and a stopped server are down', async (ctx) => {
    if (missing(typeof db === 'string' ? db : null)) return ctx.skip();
    const d = db as Daemon;
    const base = { host: HOST, port: d.port, login: 'postgres', database: 'postgres' };
    expect(await pgsqlCheck({ ...base, request: 'SELECT 1' }).check(signal())).toMatchObject({ ok: true });
    expect((await pgsqlCheck({ ...base, request: 'SELECT 1 WHERE false' }).check(signal())).ok).toBe(false);
    expect((await pgsqlCheck({ ...base, request: 'SELEKT 1' }).check(signal())).ok).toBe(false);
    expect((await pgsqlCheck({ ...base, database: 'absent', request: 'SELECT 1' }).check(signal())).ok).toBe(false);
    await d.stop();
    db = 'stopped';
    expect((await pgsqlCheck({ ...base, request: 'SELECT 1' }).check(signal())).ok).toBe(false);
  });
});
