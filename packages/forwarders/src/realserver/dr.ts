/**
 * The direct-routing real-server setup — the seeds' `lvs_server.sh start|stop` as an API with an exact undo:
 * each VIP on loopback as a host address (/32, /128 for IPv6), `arp_ignore=1` and `arp_announce=2` on `lo`
 * and `all`, loopback up. It records what was there before and `undo()` restores exactly that (an address
 * that was already present stays, sysctls get their old values back). It owns only these settings; it must
 * never touch other interfaces, routes or sysctls, and it acts inside the named network namespace given
 * (`ip netns exec`), or the root namespace only when the caller says so explicitly.
 */
import { type CommandRunner, execCommand, formatIp, LvsError, parseAddress } from '@lvskit/base';

/** The sysctls `lvs_server.sh` sets, with the values it sets them to. */
export const DR_ARP_SYSCTLS: Readonly<Record<string, string>> = Object.freeze({
  // arp_ignore=1: reply only if the target address is configured on the interface the request came in on,
  // so the VIP on lo is never announced to the segment (Documentation/networking/ip-sysctl.rst).
  'net.ipv4.conf.lo.arp_ignore': '1',
  // arp_announce=2: always use the best local address for the target as the ARP source, never the VIP.
  'net.ipv4.conf.lo.arp_announce': '2',
  'net.ipv4.conf.all.arp_ignore': '1',
  'net.ipv4.conf.all.arp_announce': '2',
});

/** Options of {@link applyDrRealServer}. */
export interface DrRealServerOptions {
  /** The virtual addresses the real server must accept (IPv4 or IPv6). */
  readonly vips: readonly string[];
  /**
   * The network namespace to act in (`ip netns exec <netns>`), or `{ root: true }` to act in the
   * process's own namespace — an explicit choice, so a test can never touch the host by omission.
   */
  readonly netns: string | { readonly root: true };
  /** Runs the commands; defaults to `execFile`. Tests pass a fake. */
  readonly run?: CommandRunner;
}

/** What {@link applyDrRealServer} changed, and how to put it back. */
export interface DrRealServer {
  /** The VIPs added to `lo` by this call (those already there are not listed and are left on undo). */
  readonly addedVips: readonly string[];
  /** The sysctls' values before the change, by key. */
  readonly previousSysctls: Readonly<Record<string, string>>;
  /** True when `lo` was down and was brought up. */
  readonly broughtLoopbackUp: boolean;
  /** Restores everything as it was. Throws `RS_STATE` when called twice, `RS_COMMAND_FAILED` when a step fails (the rest are still attempted). */
  undo(): Promise<void>;
}

/** Converts a VIP to its loopback host prefix as `ip addr` prints it, or throws `INVALID_ARGUMENT`. */
function hostPrefix(vip: string): string {
  const { family, bytes } = parseAddress(vip);
  return `${formatIp(bytes, family)}/${family === 4 ? 32 : 128}`;
}

/**
 * Applies the DR real-server setup. Validates everything first (addresses, namespace) and changes nothing
 * when that fails; when a command fails midway, the steps already applied are undone and `RS_COMMAND_FAILED`
 * is thrown.
 */
export async function applyDrRealServer(options: DrRealServerOptions): Promise<DrRealServer> {
  const run = options.run ?? execCommand;
  if (options.vips.length === 0) throw new LvsError('INVALID_ARGUMENT', 'vips: at least one virtual address');
  const prefixes = options.vips.map(hostPrefix);
  const netns = options.netns;
  let prefix: string[];
  if (typeof netns === 'string') {
    const list = await run(['ip', 'netns', 'list']);
    const names = list.stdout.split('\n').map((l) => l.split(' ')[0]);
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(netns) || list.code !== 0 || !names.includes(netns)) {
      throw new LvsError('RS_NAMESPACE_REQUIRED', `network namespace ${JSON.stringify(netns)} does not exist`);
    }
    prefix = ['ip', 'netns', 'exec', netns];
  } else if (netns && netns.root === true) {
    prefix = [];
  } else {
    throw new LvsError('RS_NAMESPACE_REQUIRED', 'netns: give a namespace name, or { root: true } explicitly');
  }
  const exec = async (argv: string[]): Promise<string> => {
    const r = await run([...prefix, ...argv]);
    if (r.code !== 0) {
      throw new LvsError('RS_COMMAND_FAILED', `\`${argv.join(' ')}\` failed (${r.code}): ${r.stderr.trim()}`);
    }
    return r.stdout;
  };

  // Read the state to restore.
  const previous: Record<string, string> = {};
  for (const key of Object.keys(DR_ARP_SYSCTLS)) previous[key] = (await exec(['sysctl', '-n', key])).trim();
  const loLink = await exec(['ip', '-o', 'link', 'show', 'dev', 'lo']);
  const loWasUp = /[<,]UP[,>]/.test(loLink);
  const present = new Set(
    (await exec(['ip', '-o', 'addr', 'show', 'dev', 'lo']))
      .split('\n')
      .map((l) => /\binet6? (\S+)/.exec(l)?.[1])
      .filter((x): x is string => x !== undefined),
  );

  const undoSteps: (() => Promise<void>)[] = [];
  const added: string[] = [];
  const rollback = async (): Promise<string[]> => {
    const failures: string[] = [];
    for (const step of undoSteps.reverse()) {
      try {
        await step();
      } catch (e) {
        failures.push(e instanceof Error ? e.message : String(e));
      }
    }
    undoSteps.length = 0;
    return failures;
  };
  try {
    if (!loWasUp) {
      await exec(['ip', 'link', 'set', 'dev', 'lo', 'up']);
      undoSteps.push(async () => void (await exec(['ip', 'link', 'set', 'dev', 'lo', 'down'])));
    }
    for (let i = 0; i < prefixes.length; i++) {
      const p = prefixes[i]!;
      if (present.has(p)) continue;
      await exec(['ip', 'addr', 'add', p, 'dev', 'lo']);
      added.push(options.vips[i]!);
      undoSteps.push(async () => void (await exec(['ip', 'addr', 'del', p, 'dev', 'lo'])));
    }
    for (const [key, value] of Object.entries(DR_ARP_SYSCTLS)) {
      if (previous[key] === value) continue;
      await exec(['sysctl', '-q', '-w', `${key}=${value}`]);
      const old = previous[key]!;
      undoSteps.push(async () => void (await exec(['sysctl', '-q', '-w', `${key}=${old}`])));
    }
  } catch (e) {
    const failures = await rollback();
    const extra = failures.length ? `; undo also failed: ${failures.join('; ')}` : '';
    throw new LvsError('RS_COMMAND_FAILED', `${e instanceof Error ? e.message : String(e)}${extra}`, { cause: e });
  }
  let undone = false;
  return {
    addedVips: Object.freeze([...added]),
    previousSysctls: Object.freeze({ ...previous }),
    broughtLoopbackUp: !loWasUp,
    async undo() {
      if (undone) throw new LvsError('RS_STATE', 'the DR real-server setup was already undone');
      undone = true;
      const failures = await rollback();
      if (failures.length) throw new LvsError('RS_COMMAND_FAILED', `undo: ${failures.join('; ')}`);
    },
  };
}
