/**
 * The tunnelling real-server setup: the DR setup (VIP on lo, ARP silent about it) plus a way to
 * decapsulate IPIP. When the kernel has its `ipip` fallback device `tunl0`, that is used — brought up, with
 * reverse-path filtering off on it and on `all` (the inner source is a client not routed via tunl0, and
 * rp_filter uses the maximum of `all` and the interface). When it has not (this machine's kernel), the
 * result says `user-space`: run {@link startTunnelDecapAgent} (or `tun-agent-cli.ts`) in that namespace.
 * Everything is recorded and `undo()` restores it exactly. Must never touch other interfaces or sysctls.
 */
import { type CommandRunner, execCommand, LvsError } from '@lvskit/base';
import { applyDrRealServer, type DrRealServerOptions } from './dr.js';

/** The result of {@link applyTunRealServer}. */
export interface TunRealServer {
  /** `kernel`: tunl0 decapsulates; `user-space`: start the IPIP agent in this namespace. */
  readonly mode: 'kernel' | 'user-space';
  /** Restores everything; `RS_STATE` when called twice. */
  undo(): Promise<void>;
}

/** The sysctls set in kernel mode. */
export const TUN_RP_FILTER_SYSCTLS: Readonly<Record<string, string>> = Object.freeze({
  'net.ipv4.conf.tunl0.rp_filter': '0',
  'net.ipv4.conf.all.rp_filter': '0',
});

/**
 * Applies the LVS-TUN real-server setup in `options.netns` (same rules as {@link applyDrRealServer}).
 * Throws `RS_COMMAND_FAILED` (after undoing what was done) when a step fails.
 */
export async function applyTunRealServer(options: DrRealServerOptions): Promise<TunRealServer> {
  const run: CommandRunner = options.run ?? execCommand;
  const dr = await applyDrRealServer({ ...options, run });
  const prefix = typeof options.netns === 'string' ? ['ip', 'netns', 'exec', options.netns] : [];
  const exec = async (argv: string[]): Promise<string> => {
    const r = await run([...prefix, ...argv]);
    if (r.code !== 0)
      throw new LvsError('RS_COMMAND_FAILED', `\`${argv.join(' ')}\` failed (${r.code}): ${r.stderr.trim()}`);
    return r.stdout;
  };
  const link = await run([...prefix, 'ip', '-o', 'link', 'show', 'dev', 'tunl0']);
  const undoSteps: (() => Promise<unknown>)[] = [];
  let mode: 'kernel' | 'user-space' = 'user-space';
  try {
    if (link.code === 0) {
      mode = 'kernel';
      if (!/[<,]UP[,>]/.test(link.stdout)) {
        await exec(['ip', 'link', 'set', 'dev', 'tunl0', 'up']);
        undoSteps.push(() => exec(['ip', 'link', 'set', 'dev', 'tunl0', 'down']));
      }
      for (const [key, value] of Object.entries(TUN_RP_FILTER_SYSCTLS)) {
        const old = (await exec(['sysctl', '-n', key])).trim();
        if (old === value) continue;
        await exec(['sysctl', '-q', '-w', `${key}=${value}`]);
        undoSteps.push(() => exec(['sysctl', '-q', '-w', `${key}=${old}`]));
      }
    }
  } catch (e) {
    for (const step of undoSteps.reverse()) await step().catch(() => undefined);
    await dr.undo().catch(() => undefined);
    throw e;
  }
  let undone = false;
  return {
    mode,
    async undo() {
      if (undone) throw new LvsError('RS_STATE', 'the TUN real-server setup was already undone');
      undone = true;
      const failures: string[] = [];
      for (const step of undoSteps.reverse()) {
        await step().catch((e: unknown) => failures.push(e instanceof Error ? e.message : String(e)));
      }
      await dr.undo().catch((e: unknown) => failures.push(e instanceof Error ? e.message : String(e)));
      if (failures.length) throw new LvsError('RS_COMMAND_FAILED', `undo: ${failures.join('; ')}`);
    },
  };
}
