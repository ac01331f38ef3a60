/**
 * Real servers for the lab tests, started from scratch in temp dirs on 127.0.0.1 high ports and stopped
 * by PID: dnsmasq, MariaDB, PostgreSQL, a self-signed certificate from `openssl`. Under CI=true a missing
 * prerequisite fails the test; elsewhere the caller skips with the printed reason. Never kills by name.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noteSkip } from '@lvskit/netlab';

/** A binary's path, or null. */
export function which(name: string, extra: readonly string[] = []): string | null {
  for (const dir of [...extra, '/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/bin']) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return null;
}

/** Returns a skip reason, or throws under CI when something is missing. */
export function missing(what: string | null): string | null {
  if (what === null) return null;
  if (process.env.CI === 'true') throw new Error(`lab prerequisite missing under CI: ${what}`);
  noteSkip(`skipping: ${what}`);
  return what;
}

/** A free TCP (and, likely, UDP) port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** A fresh temp dir. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `lvskit-health-${prefix}-`));
}

/** Wait until `probe` resolves true or the deadline passes. */
export async function waitFor(probe: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Does something accept TCP connections on 127.0.0.1:port? */
export function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** A daemon we started. */
export interface Daemon {
  readonly pid: number;
  readonly port: number;
  stop(): Promise<void>;
}

/** The handle of a daemon started in `dir`: stopping it ends the child by PID and removes its directories. */
function daemon(child: ChildProcess, port: number, dirs: string[], graceMs?: number): Daemon {
  return {
    pid: child.pid as number,
    port,
    async stop() {
      await stopChild(child, graceMs);
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}

/** Stop a child by PID: SIGTERM, then SIGKILL after `graceMs`. */
export function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
      resolve();
      return;
    }
    const t = setTimeout(() => {
      if (child.pid !== undefined) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {}
      }
    }, graceMs);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    try {
      process.kill(child.pid, 'SIGTERM');
    } catch {
      clearTimeout(t);
      resolve();
    }
  });
}

/** A self-signed certificate for CN=`cn` made with openssl at test time. */
export function selfSigned(cn: string): { key: string; cert: string; dir: string } | null {
  const openssl = which('openssl');
  if (!openssl) return null;
  const dir = tempDir('tls');
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync(
    openssl,
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      `/CN=${cn}`,
      '-addext',
      `subjectAltName=DNS:${cn}`,
    ],
    { stdio: 'ignore' },
  );
  return { key, cert, dir };
}

/** dnsmasq serving `www.example.test` → 192.0.2.7 on 127.0.0.1:port (UDP), nothing else (no upstream). */
export async function startDnsmasq(): Promise<Daemon | string> {
  const bin = which('dnsmasq');
  if (!bin) return 'dnsmasq not installed (Debian package dnsmasq-base)';
  const port = await freePort();
  const dir = tempDir('dns');
  const child = spawn(
    bin,
    [
      '--keep-in-foreground',
      '--no-daemon',
      '--conf-file=/dev/null',
      '--no-resolv',
      '--no-hosts',
      '--bind-interfaces',
      '--listen-address=127.0.0.1',
      `--port=${port}`,
      '--host-record=www.example.test,192.0.2.7',
      `--pid-file=${join(dir, 'pid')}`,
      '--user=root',
      '--log-facility=-',
    ],
    { stdio: 'ignore' },
  );
  // Ready once dnsmasq holds the UDP port (our own bind then fails with EADDRINUSE).
  const held = () =>
    new Promise<boolean>((resolve) => {
      const probe = createSocket('udp4');
      probe.once('error', () => {
        probe.close();
        resolve(true);
      });
      probe.bind(port, '127.0.0.1', () => probe.close(() => resolve(false)));
    });
  try {
    await waitFor(async () => child.exitCode !== null || (await held()), 10_000, 'dnsmasq');
  } catch (err) {
    await stopChild(child);
    return `dnsmasq did not start: ${String(err)}`;
  }
  if (child.exitCode !== null) return `dnsmasq exited with ${child.exitCode}`;
  return daemon(child, port, [dir]);
}

/** MariaDB from scratch: datadir in a temp dir, TCP on 127.0.0.1, user lvs/pw, database health with one row. */
export async function startMariadb(): Promise<Daemon | string> {
  const mariadbd = which('mariadbd') ?? which('mysqld');
  const install = which('mariadb-install-db') ?? which('mysql_install_db');
  if (!mariadbd || !install) return 'MariaDB not installed (Debian package mariadb-server)';
  const port = await freePort();
  const dir = tempDir('mariadb');
  const data = join(dir, 'data');
  execFileSync(
    install,
    [`--datadir=${data}`, '--user=root', '--auth-root-authentication-method=normal', '--skip-test-db'],
    {
      stdio: 'ignore',
    },
  );
  const init = join(dir, 'init.sql');
  writeFileSync(
    init,
    [
      'CREATE DATABASE IF NOT EXISTS health;',
      "CREATE USER IF NOT EXISTS 'lvs'@'127.0.0.1' IDENTIFIED BY 'pw';",
      "GRANT ALL ON health.* TO 'lvs'@'127.0.0.1';",
      'CREATE TABLE IF NOT EXISTS health.director (enabled INT);',
      'INSERT INTO health.director VALUES (1);',
      '',
    ].join('\n'),
  );
  const child = spawn(
    mariadbd,
    [
      '--no-defaults',
      `--datadir=${data}`,
      '--user=root',
      `--socket=${join(dir, 'sock')}`,
      `--pid-file=${join(dir, 'pid')}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      '--skip-name-resolve',
      `--init-file=${init}`,
      '--innodb-buffer-pool-size=16M',
      '--skip-log-bin',
    ],
    { stdio: 'ignore' },
  );
  // Ready means the init file has run: the lvs user can log in and see its row.
  const admin = which('mariadb') ?? which('mysql');
  const ready = async () => {
    if (!(await tcpOpen(port))) return false;
    if (!admin) return true;
    try {
      const out = execFileSync(
        admin,
        [
          '--no-defaults',
          '-h',
          '127.0.0.1',
          '-P',
          String(port),
          '-u',
          'lvs',
          '-ppw',
          '-N',
          '-e',
          'SELECT COUNT(*) FROM health.director',
        ],
        { stdio: ['ignore', 'pipe', 'ignore'] },
      );
      return out.toString().trim() === '1';
    } catch {
      return false;
    }
  };
  try {
    await waitFor(ready, 60_000, 'mariadbd');
  } catch (err) {
    await stopChild(child);
    return `mariadbd did not start: ${String(err)}`;
  }
  return daemon(child, port, [dir], 20_000);
}

/** PostgreSQL from scratch, run as the `postgres` user (it refuses root): trust auth, database health. */
export async function startPostgres(): Promise<Daemon | string> {
  const bindir = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'].find((d) =>
    existsSync(join(d, 'postgres')),
  );
  const runuser = which('runuser');
  if (!bindir || !runuser) return 'PostgreSQL not installed (Debian package postgresql)';
  let uid: number;
  let gid: number;
  try {
    uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  } catch {
    return 'no postgres user';
  }
  const port = await freePort();
  const dir = tempDir('pg');
  chmodSync(dir, 0o755);
  const data = join(dir, 'data');
  const sock = join(dir, 'sock');
  execFileSync('mkdir', ['-p', sock]);
  chownSync(dir, uid, gid);
  chownSync(sock, uid, gid);
  execFileSync(
    runuser,
    ['-u', 'postgres', '--', join(bindir, 'initdb'), '-D', data, '--auth=trust', '-U', 'postgres'],
    {
      stdio: 'ignore',
    },
  );
  const child = spawn(
    runuser,
    [
      '-u',
      'postgres',
      '--',
      join(bindir, 'postgres'),
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      sock,
      '-c',
      'listen_addresses=127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  // The port opens before recovery ends ("the database system is starting up"): wait for pg_isready.
  const ready = () => {
    try {
      execFileSync(join(bindir as string, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port)], {
        stdio: 'ignore',
      });
      return true;
    } catch {
      return false;
    }
  };
  try {
    await waitFor(() => ready(), 60_000, 'postgres');
  } catch (err) {
    await stopChild(child);
    return `postgres did not start: ${String(err)}`;
  }
  // runuser forwards SIGTERM to postgres ("smart" shutdown); escalate by PID if needed.
  return daemon(child, port, [dir], 20_000);
}

/** vsftpd serving `dir` anonymously (read-only) on 127.0.0.1, passive ports from the same range. */
export async function startVsftpd(files: Record<string, string>): Promise<Daemon | string> {
  const bin = which('vsftpd');
  if (!bin) return 'vsftpd not installed (Debian package vsftpd)';
  try {
    execFileSync('id', ['-u', 'ftp'], { stdio: 'ignore' });
  } catch {
    return 'no ftp user (created by the vsftpd package)';
  }
  const port = await freePort();
  const dir = tempDir('ftp');
  chmodSync(dir, 0o755);
  const root = join(dir, 'root');
  const empty = join(dir, 'empty');
  execFileSync('mkdir', ['-p', root, empty]);
  chmodSync(root, 0o755);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, name), text, { mode: 0o644 });
  const pasv = await freePort();
  const conf = join(dir, 'vsftpd.conf');
  writeFileSync(
    conf,
    [
      'listen=YES',
      'listen_ipv6=NO',
      'listen_address=127.0.0.1',
      `listen_port=${port}`,
      'background=NO',
      'anonymous_enable=YES',
      `anon_root=${root}`,
      'no_anon_password=YES',
      'local_enable=NO',
      'write_enable=NO',
      'pasv_enable=YES',
      'pasv_address=127.0.0.1',
      `pasv_min_port=${pasv}`,
      `pasv_max_port=${pasv}`,
      `secure_chroot_dir=${empty}`,
      'ftp_username=ftp',
      'seccomp_sandbox=NO',
      'xferlog_enable=NO',
      '',
    ].join('\n'),
  );
  const child = spawn(bin, [conf], { stdio: 'ignore' });
  try {
    await waitFor(() => tcpOpen(port), 10_000, 'vsftpd');
  } catch (err) {
    await stopChild(child);
    return `vsftpd did not start: ${String(err)}`;
  }
  return daemon(child, port, [dir]);
}

/** Dovecot with IMAP, IMAPS, POP3, POP3S on 127.0.0.1; any user, password `secret`. Ports in `ports`. */
export async function startDovecot(): Promise<
  (Daemon & { ports: { imap: number; imaps: number; pop3: number; pop3s: number } }) | string
> {
  const bin = which('dovecot');
  if (!bin) return 'dovecot not installed (Debian packages dovecot-imapd dovecot-pop3d)';
  const cert = selfSigned('mail.example.test');
  if (!cert) return 'openssl not installed (Debian package openssl)';
  const dir = tempDir('dovecot');
  chmodSync(dir, 0o755);
  for (const d of ['run', 'state', 'mail']) execFileSync('mkdir', ['-p', join(dir, d)]);
  chmodSync(join(dir, 'mail'), 0o777);
  const ports = { imap: await freePort(), imaps: await freePort(), pop3: await freePort(), pop3s: await freePort() };
  const conf = join(dir, 'dovecot.conf');
  writeFileSync(
    conf,
    `base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = /dev/null
protocols = imap pop3
listen = 127.0.0.1
ssl = yes
ssl_cert = <${cert.cert}
ssl_key = <${cert.key}
disable_plaintext_auth = no
auth_mechanisms = plain
passdb {
  driver = static
  args = password=secret
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=${dir}/mail/%u
}
mail_location = maildir:${dir}/mail/%u
service imap-login {
  inet_listener imap {
    port = ${ports.imap}
  }
  inet_listener imaps {
    port = ${ports.imaps}
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    port = ${ports.pop3}
  }
  inet_listener pop3s {
    port = ${ports.pop3s}
    ssl = yes
  }
}
`,
  );
  const child = spawn(bin, ['-F', '-c', conf], { stdio: 'ignore' });
  try {
    await waitFor(async () => (await tcpOpen(ports.imap)) && (await tcpOpen(ports.pop3s)), 15_000, 'dovecot');
  } catch (err) {
    await stopChild(child);
    return `dovecot did not start: ${String(err)}`;
  }
  return { ...daemon(child, ports.imap, [dir, cert.dir]), ports };
}

/** slapd (mdb) with suffix dc=example,dc=test, rootdn cn=admin,dc=example,dc=test / secret. */
export async function startSlapd(): Promise<Daemon | string> {
  const slapd = which('slapd');
  const slapadd = which('slapadd');
  if (!slapd || !slapadd || !existsSync('/etc/ldap/schema/core.schema'))
    return 'slapd not installed (Debian package slapd)';
  const port = await freePort();
  const dir = tempDir('ldap');
  chmodSync(dir, 0o755);
  execFileSync('mkdir', ['-p', join(dir, 'db')]);
  const conf = join(dir, 'slapd.conf');
  writeFileSync(
    conf,
    [
      'include /etc/ldap/schema/core.schema',
      `pidfile ${dir}/slapd.pid`,
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      'database mdb',
      'suffix "dc=example,dc=test"',
      'rootdn "cn=admin,dc=example,dc=test"',
      'rootpw secret',
      `directory ${dir}/db`,
      '',
    ].join('\n'),
  );
  const ldif = join(dir, 'base.ldif');
  writeFileSync(
    ldif,
    'dn: dc=example,dc=test\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n',
  );
  execFileSync(slapadd, ['-f', conf, '-l', ldif], { stdio: 'ignore' });
  // -d 0: stay in the foreground so we own the PID.
  const child = spawn(slapd, ['-f', conf, '-h', `ldap://127.0.0.1:${port}/`, '-d', '0'], { stdio: 'ignore' });
  try {
    await waitFor(() => tcpOpen(port), 10_000, 'slapd');
  } catch (err) {
    await stopChild(child);
    return `slapd did not start: ${String(err)}`;
  }
  return daemon(child, port, [dir]);
}

/** FreeRADIUS with one site: user `lvs` / `pw`, client 127.0.0.1 secret `testing123` (Debian default). */
export async function startFreeradius(): Promise<Daemon | string> {
  const bin = which('freeradius');
  if (!bin || !existsSync('/etc/freeradius/3.0')) return 'freeradius not installed (Debian package freeradius)';
  const port = await freePort();
  const dir = tempDir('radius');
  chmodSync(dir, 0o755);
  const raddb = join(dir, 'raddb');
  execFileSync('cp', ['-rL', '/etc/freeradius/3.0', raddb]);
  execFileSync('sh', ['-c', `rm -f '${raddb}'/sites-enabled/* '${raddb}/mods-enabled/eap'`]);
  writeFileSync(join(raddb, 'mods-config', 'files', 'authorize'), 'lvs Cleartext-Password := "pw"\n');
  writeFileSync(
    join(raddb, 'sites-enabled', 'lvs'),
    `server lvs {
  listen {
    type = auth
    ipaddr = 127.0.0.1
    port = ${port}
  }
  authorize {
    files
    pap
  }
  authenticate {
    Auth-Type PAP {
      pap
    }
  }
}
`,
  );
  // freeradius drops to the freerad user; let it read the copied configuration.
  execFileSync('chmod', ['-R', 'a+rX', raddb]);
  const child = spawn(bin, ['-f', '-d', raddb, '-l', 'stdout'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  try {
    await waitFor(() => out.includes('Ready to process requests'), 15_000, 'freeradius');
  } catch (err) {
    await stopChild(child);
    return `freeradius did not start: ${String(err)} ${out.slice(-300)}`;
  }
  return daemon(child, port, [dir]);
}
