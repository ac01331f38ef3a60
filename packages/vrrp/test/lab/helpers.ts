/**
 * Lab helpers for the keepalived interop tests: start keepalived 2.2.7 in a lab host with a generated
 * config in a temp dir (foreground, its own pid files, ended by PID through netlab), start an lvskit
 * instance fixture, and poll who holds a VIP. Must never touch the root namespace.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Lab, type LabHost, type LabProcess, noteSkip } from '@lvskit/netlab';
import type { TrackingConfig, VrrpInstanceConfig } from '../../src/index.js';

const fixture = fileURLToPath(new URL('./fixtures/instance.ts', import.meta.url));
const tempDirs: string[] = [];

/** Removes the temp dirs made by {@link startKeepalived}. */
export function cleanupTemp(): void {
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Global options of a generated keepalived.conf. */
export interface KeepalivedGlobals {
  /** `vrrp_mcast_group4`. */
  readonly mcastGroup4?: string;
}

/** Writes a keepalived.conf for some vrrp_instances (keepalived.conf(5) syntax). */
export function keepalivedConf(instances: readonly VrrpInstanceConfig[], g: KeepalivedGlobals = {}): string {
  const lines = ['global_defs {', '  router_id lvskit-lab', '  vrrp_garp_master_delay 0'];
  if (g.mcastGroup4) lines.push(`  vrrp_mcast_group4 ${g.mcastGroup4}`);
  lines.push('}');
  for (const c of instances) {
    lines.push(
      `vrrp_instance ${c.name} {`,
      `  state ${c.state ?? 'BACKUP'}`,
      `  interface ${c.interface}`,
      `  virtual_router_id ${c.virtualRouterId}`,
      `  priority ${c.priority ?? 100}`,
      `  advert_int ${c.advertInt ?? 1}`,
      `  version ${c.version ?? 2}`,
    );
    if (c.nopreempt) lines.push('  nopreempt');
    if (c.useVmac) lines.push(c.useVmac === true ? '  use_vmac' : `  use_vmac ${c.useVmac}`);
    if (c.sourceIp) lines.push(`  unicast_src_ip ${c.sourceIp}`);
    if (c.checkUnicastSrc) lines.push('  check_unicast_src');
    if (c.unicastPeers?.length) lines.push('  unicast_peer {', ...c.unicastPeers.map((p) => `    ${p}`), '  }');
    if (c.authentication) {
      lines.push('  authentication {', '    auth_type PASS', `    auth_pass ${c.authentication.password}`, '  }');
    }
    lines.push('  virtual_ipaddress {');
    for (const v of c.virtualIpAddresses) lines.push(`    ${typeof v === 'string' ? v : v.address}`);
    lines.push('  }', '}');
  }
  lines.push('');
  return lines.join('\n');
}

/** Starts keepalived (VRRP only, foreground, log to stderr) in `host`. */
export function startKeepalived(
  lab: Lab,
  host: LabHost,
  c: VrrpInstanceConfig | readonly VrrpInstanceConfig[],
  g: KeepalivedGlobals = {},
): LabProcess {
  const dir = mkdtempSync(join(tmpdir(), 'lvskit-vrrp-ka-'));
  tempDirs.push(dir);
  const conf = join(dir, 'keepalived.conf');
  writeFileSync(conf, keepalivedConf(Array.isArray(c) ? c : [c as VrrpInstanceConfig], g));
  return lab.spawn(host, [
    'keepalived',
    '-n',
    '-l',
    '-D',
    '-P',
    '-f',
    conf,
    '-p',
    join(dir, 'keepalived.pid'),
    '-r',
    join(dir, 'vrrp.pid'),
    '-c',
    join(dir, 'checkers.pid'),
  ]);
}

/** Router options the fixture passes on (JSON-shaped ones only). */
export interface FixtureOptions {
  /** track_script / track_interface. */
  readonly tracking?: TrackingConfig;
  /** Link polling interval, ms. */
  readonly linkPollMs?: number;
}

/** Starts the lvskit instance fixture in `host`. */
export function startLvskit(lab: Lab, host: LabHost, c: VrrpInstanceConfig, o: FixtureOptions = {}): LabProcess {
  return lab.spawn(host, [
    'node',
    '--conditions=@lvskit/source',
    '--import',
    'tsx',
    fixture,
    JSON.stringify(c),
    JSON.stringify(o),
  ]);
}

/** True when `vip` is configured on `ifname` in `host`. */
export async function holds(lab: Lab, host: LabHost, vip: string, ifname = 'eth0'): Promise<boolean> {
  const r = await lab.exec(host, ['ip', vip.includes(':') ? '-6' : '-4', '-o', 'addr', 'show', 'dev', ifname]);
  return r.stdout.includes(` ${vip}/`);
}

/** Polls until `cond` is true; rejects after `timeoutMs` with `what`. */
export async function waitFor(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Who holds the VIP: names of the hosts that have it. */
export async function holders(lab: Lab, hosts: Record<string, LabHost>, vip: string): Promise<string[]> {
  const out: string[] = [];
  for (const [name, h] of Object.entries(hosts)) if (await holds(lab, h, vip)) out.push(name);
  return out.sort();
}

/**
 * True when keepalived is installed. When it is not: throws under `CI=true` (the test must fail), otherwise
 * prints `skipping <what>: keepalived is not installed` and returns false. Cached per process.
 */
export function hasKeepalived(what: string): boolean {
  if (keepalivedFound === undefined) {
    try {
      execFileSync('keepalived', ['--version'], { stdio: 'ignore' });
      keepalivedFound = true;
    } catch {
      keepalivedFound = false;
    }
  }
  if (keepalivedFound) return true;
  if (process.env.CI === 'true') throw new Error('keepalived is not installed (CI=true: failing)');
  noteSkip(`skipping ${what}: keepalived is not installed (Debian: keepalived)`);
  return false;
}
let keepalivedFound: boolean | undefined;
