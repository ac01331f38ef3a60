/**
 * VIP ownership through iproute2 (`ip addr add/del`, `ip -j addr show`), for machines where the
 * `@lvskit/native` addon is not built, and for labelled VIPs. Gratuitous ARPs (an ARP request with sender
 * IP = target IP = VIP, as keepalived's `send_gratuitous_arp_immediate`) go out on `@lvskit/native`'s
 * AF_PACKET socket whenever the addon is built here — as on a fresh machine after `npm install`, with no
 * iputils — and through iputils `arping -U` only where it is not. It runs the commands in the current
 * network namespace, or through `ip netns exec <netns>` when one is given. It must never touch an address
 * that is not a configured VIP.
 */
import { type CommandOutcome, type CommandRunner, describe, execCommand, type Family, LvsError } from '@lvskit/base';
import type { CompiledVirtualAddress } from './config.js';
import { NativeOwnership, nativeOwnershipAvailable } from './native-ownership.js';
import type { AddressOwnership } from './ports.js';

/** How {@link Iproute2Ownership} sends gratuitous ARPs. */
export type GarpSender = 'auto' | 'native' | 'arping';
const GARP_SENDERS: readonly GarpSender[] = ['auto', 'native', 'arping'];

/** Options of {@link Iproute2Ownership}. */
export interface Iproute2OwnershipOptions {
  /** Runs `ip`/`arping`; default base `execCommand` (argv, no shell, 10 s timeout). */
  readonly commandRunner?: CommandRunner;
  /** Run every command in this network namespace (`ip netns exec`). Default: the current one. */
  readonly netns?: string;
  /** Path of `ip`. Default `ip`. */
  readonly ip?: string;
  /** Path of `arping`. Default `arping`. */
  readonly arping?: string;
  /**
   * Gratuitous ARPs: `native` on an AF_PACKET socket of `@lvskit/native` (the frames NativeOwnership
   * sends, no child process), `arping` one `arping -U` per GARP (Debian iputils-arping), `auto` (default)
   * native when the addon is built here, else arping.
   */
  readonly garp?: GarpSender;
}

/** {@link AddressOwnership} through `ip` and `arping` child processes. */
export class Iproute2Ownership implements AddressOwnership {
  readonly #opts: Iproute2OwnershipOptions;

  /** @param opts - namespace and command paths */
  constructor(opts: Iproute2OwnershipOptions = {}) {
    if (typeof opts !== 'object' || opts === null) {
      throw new LvsError('INVALID_ARGUMENT', `Iproute2Ownership options must be an object, not ${describe(opts)}`);
    }
    if (opts.garp !== undefined && !GARP_SENDERS.includes(opts.garp)) {
      throw new LvsError(
        'INVALID_ARGUMENT',
        `Iproute2Ownership garp must be auto, native or arping, not ${describe(opts.garp)}`,
      );
    }
    this.#opts = opts;
    this.#run = opts.commandRunner ?? execCommand;
  }

  readonly #run: CommandRunner;

  #exec(argv: readonly string[]): Promise<CommandOutcome> {
    return this.#run(argv, { timeoutMs: 10_000 });
  }

  #argv(cmd: string, args: readonly string[]): string[] {
    return this.#opts.netns ? ['ip', 'netns', 'exec', this.#opts.netns, cmd, ...args] : [cmd, ...args];
  }

  async add(vip: CompiledVirtualAddress): Promise<void> {
    const args = ['addr', 'add', `${vip.text}/${vip.prefix}`, 'dev', vip.dev];
    if (vip.label) args.push('label', vip.label);
    const r = await this.#exec(this.#argv(this.#opts.ip ?? 'ip', args));
    // keepalived treats an address already present as added.
    // Older iproute2 says "File exists", newer "Address already assigned".
    if (r.code !== 0 && !/File exists|already assigned/.test(r.stderr)) {
      throw new LvsError('VRRP_OWNERSHIP_FAILED', `ip ${args.join(' ')}: ${r.stderr.trim()}`);
    }
  }

  async remove(vip: CompiledVirtualAddress): Promise<void> {
    const args = ['addr', 'del', `${vip.text}/${vip.prefix}`, 'dev', vip.dev];
    const r = await this.#exec(this.#argv(this.#opts.ip ?? 'ip', args));
    if (r.code !== 0 && !/Cannot assign requested address|Address not found/.test(r.stderr)) {
      throw new LvsError('VRRP_OWNERSHIP_FAILED', `ip ${args.join(' ')}: ${r.stderr.trim()}`);
    }
  }

  async announce(vip: CompiledVirtualAddress, repeat: number): Promise<void> {
    if (repeat <= 0) return;
    const garp = this.#opts.garp ?? 'auto';
    if (garp === 'native' || (garp === 'auto' && nativeOwnershipAvailable())) {
      // GARPs (IPv4) or unsolicited NAs (IPv6), back to back in one sendmmsg, as keepalived sends them.
      return new NativeOwnership(this.#opts.netns ? { netns: this.#opts.netns } : {}).announce(vip, repeat);
    }
    if (vip.address.length !== 4) return; // arping has no unsolicited NA: IPv6 needs the addon (README)
    // keepalived sends its garp_rep GARPs back to back (vrrp_garp_interval 0). arping's interval is whole
    // seconds (and -i 0 never ends), so run one single-probe arping per GARP, all at once; each waits ~1 s
    // for replies that never come, which is why the router does not queue address changes behind this.
    const args = ['-U', '-c', '1', '-I', vip.dev, '-s', vip.text, vip.text];
    const results = await Promise.all(
      Array.from({ length: repeat }, () => this.#exec(this.#argv(this.#opts.arping ?? 'arping', args))),
    );
    const bad = results.find((r) => r.code !== 0);
    if (bad) throw new LvsError('VRRP_OWNERSHIP_FAILED', `arping ${args.join(' ')}: ${bad.stderr.trim()}`);
  }

  async primaryAddress(ifname: string, family: Family): Promise<string | undefined> {
    const r = await this.#exec(this.#argv(this.#opts.ip ?? 'ip', ['-j', `-${family}`, 'addr', 'show', 'dev', ifname]));
    if (r.code !== 0) throw new LvsError('VRRP_OWNERSHIP_FAILED', `ip addr show dev ${ifname}: ${r.stderr.trim()}`);
    const links = JSON.parse(r.stdout || '[]') as {
      addr_info?: { local?: string; scope?: string; secondary?: boolean }[];
    }[];
    for (const l of links) {
      for (const a of l.addr_info ?? []) {
        // keepalived uses the first (primary) address; IPv6 prefers link-local (RFC 5798 §5.1.2.1).
        if (a.local && !a.secondary && (family === 4 || a.scope === 'link')) return a.local;
      }
    }
    return undefined;
  }
}
