/**
 * Imports an ipvsadm rule file — what `ipvsadm -S` writes and `ipvsadm -R` reads — into the director's typed
 * config: each line is run, as `ipvsadm -R` would run it, against an in-memory IPVS table (core's
 * `IpvsTable`, so ipvsadm's own grammar, defaults and refusals apply with ipvsadm's own messages), and the
 * table left at the end becomes the config's virtual services. Every problem is reported at its line as
 * `file:line:col: message`, all of them at once; what the director cannot express is an error, never dropped.
 * It owns the mapping from ipvsadm's table to `DirectorConfig` only; it never reads files.
 */
import { formatIp, LvsError, type LvsPathSegment } from '@lvskit/base';
import {
  type IpvsadmCommand,
  type IpvsServiceEntry,
  type IpvsServiceKey,
  IpvsTable,
  parseIpvsadm,
  runIpvsadm,
  splitIpvsadmLine,
} from '@lvskit/core';
import {
  type DirectorConfig,
  type ServiceRealServer,
  type SyncSettings,
  syncSettingsOf,
  type VirtualServiceConfig,
} from '../config.js';
import { validateConfig } from '../director.js';
import { type ImportIssue, importIssue } from './issues.js';

/** Options of {@link importIpvsadmRules}. */
export interface ImportIpvsadmOptions {
  /** Name of the file, for the issues' positions. Default `ipvsadm.rules`. */
  readonly file?: string;
}

/** What {@link importIpvsadmRules} returns. */
export interface IpvsadmImport {
  /** The director config: one VIP `vip-<address>` per virtual address, served without VRRP. */
  readonly config: DirectorConfig;
  /** Lines imported with a difference from what ipvsadm would do (none at present: every line maps or is an error). */
  readonly warnings: readonly ImportIssue[];
}

/** The commands a rule file may hold: the ones `ipvsadm -S` writes, and the other table edits. */
const RULE_COMMANDS: ReadonlySet<IpvsadmCommand['command']> = new Set([
  'add-service',
  'edit-service',
  'delete-service',
  'add-server',
  'edit-server',
  'delete-server',
  'flush',
  'set',
]);

function keyText(key: IpvsServiceKey): string {
  return key.kind === 'fwmark' ? `fwmark|${key.family}|${key.fwmark}` : `${key.protocol}|${key.address}|${key.port}`;
}

/** An IPv4 persistence mask, kept by ipvsadm as a host-order number, in dotted form. */
function dottedMask(mask: number): string {
  return formatIp(Uint8Array.of(mask >>> 24, (mask >>> 16) & 0xff, (mask >>> 8) & 0xff, mask & 0xff));
}

/**
 * Imports an ipvsadm rule file (`ipvsadm -S` output) into a {@link DirectorConfig}. Lines run in order as
 * `ipvsadm -R` runs them (words split as config_stream.c does, optional `ipvsadm` words dropped); lines
 * starting with `#` are comments, as the `ipvsadm-restore` script strips them. Unlike `ipvsadm -R`, a failing
 * line does not stop the import: every failing line is reported. Firewall-mark services, the `sip`
 * persistence engine, one-packet scheduling and GUE/GRE tunnels are refused with the reason (the director
 * config cannot express them yet), never dropped. `--start-daemon master|backup` becomes the config's `sync`
 * block in that fixed role (both lines with the same options: `both`), as `ipvsadm -R` starts the kernel's. The result is checked by the
 * director's `validateConfig`, its issues reported at the line that made the service or real server.
 * @param text - the rules
 * @param options - the file's name
 * @returns the config and the warnings
 * @throws LvsError `DIRECTOR_IMPORT_FAILED` with every error as an {@link ImportIssue}
 */
export function importIpvsadmRules(text: string, options: ImportIpvsadmOptions = {}): IpvsadmImport {
  const file = options.file ?? 'ipvsadm.rules';
  const errors: ImportIssue[] = [];
  const warnings: ImportIssue[] = [];
  const table = new IpvsTable();
  const serviceLine = new Map<string, number>();
  const serverLine = new Map<string, number>();
  let timeouts: { tcp?: number; tcpfin?: number; udp?: number } | undefined;
  let sync: { settings: SyncSettings; roles: 'master' | 'backup' | 'both'; line: number } | undefined;
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.startsWith('#')) return;
    const argv = splitIpvsadmLine(raw);
    if (argv.length === 0) return;
    const column = raw.search(/[^ \t\r]/) + 1;
    let cmd: IpvsadmCommand;
    try {
      cmd = parseIpvsadm(argv);
    } catch (err) {
      if (!LvsError.is(err)) throw err;
      errors.push(importIssue(file, line, column, 'error', err.message.trimEnd() + hostNameHint(argv)));
      return;
    }
    if (cmd.command === 'start-daemon') {
      // As `ipvsadm -R` starts it in the kernel: the config's sync block, in a fixed role. The config holds
      // one set of settings: a second role must have the same ones (then both roles run).
      const d = cmd.daemon;
      const settings = syncSettingsOf(d);
      if (!sync) sync = { settings, roles: d.state, line };
      else if (sync.roles === d.state || sync.roles === 'both')
        errors.push(importIssue(file, line, column, 'error', 'Daemon has already run'));
      else if (JSON.stringify(settings) !== JSON.stringify(sync.settings))
        errors.push(
          importIssue(
            file,
            line,
            column,
            'error',
            `--start-daemon ${d.state}: the director runs its master and backup sync daemons with one set of options; line ${sync.line} gives others`,
          ),
        );
      else sync.roles = 'both';
      return;
    }
    if (!RULE_COMMANDS.has(cmd.command)) {
      errors.push(
        importIssue(file, line, column, 'error', `${argv.join(' ')}: not a rule (a rule file holds table edits only)`),
      );
      return;
    }
    const result = runIpvsadm(table, argv);
    if (result.exitCode !== 0) {
      const message = result.stderr.trim() || `exit status ${result.exitCode}`;
      errors.push(importIssue(file, line, column, 'error', message + hostNameHint(argv)));
      return;
    }
    if (cmd.command === 'add-service' || cmd.command === 'edit-service') {
      if (!serviceLine.has(keyText(cmd.service.key))) serviceLine.set(keyText(cmd.service.key), line);
    } else if (cmd.command === 'add-server' || cmd.command === 'edit-server') {
      const k = `${keyText(cmd.service)}#${cmd.server.key.address}|${cmd.server.key.port}`;
      if (!serverLine.has(k)) serverLine.set(k, line);
    } else if (cmd.command === 'set') {
      // `--set` 0 leaves a timeout unchanged (ipvsadm.c, libipvs ipvs_set_timeout).
      const t = cmd.timeouts;
      timeouts = {
        ...timeouts,
        ...(t.tcp > 0 ? { tcp: t.tcp } : {}),
        ...(t.tcpfin > 0 ? { tcpfin: t.tcpfin } : {}),
        ...(t.udp > 0 ? { udp: t.udp } : {}),
      };
    }
  });

  const vips: Record<string, string> = {};
  const services: VirtualServiceConfig[] = [];
  const positions: { service: number; servers: number[] }[] = [];
  for (const entry of table.snapshot().services) {
    const sLine = serviceLine.get(keyText(entry.key)) ?? 1;
    const mapped = mapService(entry, file, sLine, serverLine, errors);
    if (!mapped) continue;
    vips[mapped.vip] = mapped.address;
    services.push(mapped.service);
    positions.push({ service: sLine, servers: mapped.serverLines });
  }
  const config: DirectorConfig = {
    vips,
    services,
    ...(timeouts !== undefined && Object.keys(timeouts).length > 0 ? { timeouts } : {}),
    ...(sync ? { sync: { ...sync.settings, roles: sync.roles } } : {}),
  };
  if (errors.length === 0) {
    try {
      validateConfig(config);
    } catch (err) {
      if (!LvsError.is(err)) throw err;
      for (const issue of err.issues.length > 0 ? err.issues : [{ path: [], message: err.message }]) {
        errors.push(importIssue(file, lineOf(issue.path, positions), 1, 'error', issue.message));
      }
    }
  }
  if (errors.length > 0) {
    errors.sort((a, b) => a.line - b.line || a.column - b.column);
    throw new LvsError('DIRECTOR_IMPORT_FAILED', `${file}: ${errors.length} error(s) in the rule file`, {
      issues: [...errors, ...warnings],
    });
  }
  return { config, warnings };
}

/**
 * ipvsadm resolves host and service names (`-S` without `-n` writes them, `-A -t cdh1:http`); an import must
 * not depend on this machine's resolver, so a name is refused — with the way out when a word looks like one.
 */
function hostNameHint(argv: readonly string[]): string {
  const named = argv.some(
    (word, i) =>
      i > 0 && /^-[tur]$|^--(tcp|udp)-service$|^--real-server$/.test(argv[i - 1] ?? '') && /[g-z]/i.test(word),
  );
  return named ? ' (host and service names are not resolved: save the rules with ipvsadm -S -n)' : '';
}

/** The line an issue of `validateConfig` points at: its real server's `-a`, else its service's `-A`. */
function lineOf(path: readonly LvsPathSegment[], positions: readonly { service: number; servers: number[] }[]): number {
  if (path[0] !== 'services' || typeof path[1] !== 'number') return 1;
  const p = positions[path[1]];
  if (!p) return 1;
  if (path[2] === 'realServers' && typeof path[3] === 'number') return p.servers[path[3]] ?? p.service;
  return p.service;
}

function mapService(
  entry: IpvsServiceEntry,
  file: string,
  line: number,
  serverLine: ReadonlyMap<string, number>,
  errors: ImportIssue[],
): { vip: string; address: string; service: VirtualServiceConfig; serverLines: number[] } | undefined {
  const key = entry.key;
  const refuse = (what: string): undefined => {
    errors.push(importIssue(file, line, 1, 'error', `${what}: the director config cannot express it yet`));
    return undefined;
  };
  if (key.kind === 'fwmark') return refuse(`firewall-mark service ${key.fwmark}`);
  if (entry.pe !== '') return refuse(`persistence engine ${entry.pe}`);
  if (entry.onePacket) return refuse('one-packet scheduling (-o)');
  const host = key.family === 6 ? `[${key.address}]` : key.address;
  const realServers: ServiceRealServer[] = [];
  const serverLines: number[] = [];
  for (const s of entry.servers) {
    const sl = serverLine.get(`${keyText(key)}#${s.address}|${s.port}`) ?? line;
    if (s.forwarding === 'local') {
      errors.push(importIssue(file, sl, 1, 'error', `real server ${s.address}: local forwarding is not supported`));
      continue;
    }
    if (s.forwarding === 'tunnel' && s.tunnel.type !== 'ipip') {
      errors.push(
        importIssue(file, sl, 1, 'error', `real server ${s.address}: --tun-type ${s.tunnel.type} is not supported`),
      );
      continue;
    }
    realServers.push({
      address: s.address,
      port: s.port,
      weight: s.weight,
      method: s.forwarding,
      ...(s.upperThreshold > 0 ? { upperThreshold: s.upperThreshold } : {}),
      ...(s.lowerThreshold > 0 ? { lowerThreshold: s.lowerThreshold } : {}),
    });
    serverLines.push(sl);
  }
  // ipvsadm keeps the servers as the kernel lists them (newest first); the config lists them in the order
  // they were added, so that a director built from it lists them as ipvsadm did.
  realServers.reverse();
  serverLines.reverse();
  const defaultMask = key.family === 4 ? 0xffffffff : 128;
  const persistence = entry.persistent
    ? {
        timeout: entry.timeout,
        ...(entry.netmask !== defaultMask
          ? { netmask: key.family === 4 ? dottedMask(entry.netmask) : entry.netmask }
          : {}),
      }
    : undefined;
  const vip = `vip-${key.address}`;
  const service: VirtualServiceConfig = {
    name: `${host}:${key.port}/${key.protocol}`,
    vip,
    port: key.port,
    protocol: key.protocol,
    scheduler: entry.scheduler as VirtualServiceConfig['scheduler'],
    ...(entry.schedFlags.length > 0 ? { schedulerFlags: [...entry.schedFlags] } : {}),
    ...(persistence !== undefined ? { persistence } : {}),
    realServers,
  };
  return { vip, address: key.address, service, serverLines };
}
