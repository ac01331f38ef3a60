/**
 * The virtual-MAC interface of a `use_vmac` instance, the way keepalived 2.2.7 builds it: a macvlan in
 * mode private on the instance interface carrying 00-00-5E-00-01-{VRID} (vrrp_vmac.c
 * `netlink_link_add_vmac`), with IPv6 off on it (`link_set_ipv6(ifp, false)`: no link-local address, no
 * MLD reports from the shared MAC), the sysctls of vrrp_if_config.c `set_interface_parameters` — on the
 * vmac `arp_ignore` 1, `accept_local` 1, `rp_filter` 0; on the base interface `arp_ignore` 1, `arp_filter`
 * 1, put back as they were when the vmac is deleted (`reset_interface_parameters`). Links through iproute2
 * (`ip link`), sysctls through /proc/sys (or `sysctl` inside another namespace). It must never delete an
 * interface that is not a macvlan it was asked to manage, and never touch an address.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { type CommandOutcome, type CommandRunner, describe, execCommand, formatMac, LvsError } from '@lvskit/base';
import type { CompiledVmac } from './config.js';
import type { VirtualMacLink } from './ports.js';

/** Options of {@link Iproute2VirtualMac}. */
export interface Iproute2VirtualMacOptions {
  /** Runs `ip`/`arping`; default base `execCommand` (argv, no shell, 10 s timeout). */
  readonly commandRunner?: CommandRunner;
  /** Network namespace (name under /run/netns); default the caller's. */
  readonly netns?: string;
}

/** {@link VirtualMacLink} through `ip link` and /proc/sys. */
export class Iproute2VirtualMac implements VirtualMacLink {
  readonly #netns: string | undefined;
  /** Base-interface sysctls as they were before we changed them, by base interface. */
  // Counted per base, as keepalived's `reset_arp_config`: restored when its last vmac goes.
  readonly #saved = new Map<string, { arpIgnore: string; arpFilter: string; users: number }>();

  /** @param opts - namespace */
  constructor(opts: Iproute2VirtualMacOptions = {}) {
    if (typeof opts !== 'object' || opts === null) {
      throw new LvsError('INVALID_ARGUMENT', `Iproute2VirtualMac options must be an object, not ${describe(opts)}`);
    }
    this.#netns = opts.netns;
    this.#run = opts.commandRunner ?? execCommand;
  }

  readonly #run: CommandRunner;

  #exec(argv: readonly string[]): Promise<CommandOutcome> {
    return this.#run(argv, { timeoutMs: 10_000 });
  }

  #ip(args: readonly string[]): Promise<CommandOutcome> {
    return this.#exec(this.#netns ? ['ip', '-n', this.#netns, ...args] : ['ip', ...args]);
  }

  async #read(key: string): Promise<string> {
    if (!this.#netns) return readFileSync(`/proc/sys/${key}`, 'utf8').trim();
    const r = await this.#exec(['ip', 'netns', 'exec', this.#netns, 'sysctl', '-n', key]);
    if (r.code !== 0) throw new Error(`sysctl ${key}: ${r.stderr.trim()}`);
    return r.stdout.trim();
  }

  async #write(key: string, value: string): Promise<void> {
    if (!this.#netns) {
      writeFileSync(`/proc/sys/${key}`, value);
      return;
    }
    // Slash-separated keys: interface names such as vrrp.51 contain dots.
    const r = await this.#exec(['ip', 'netns', 'exec', this.#netns, 'sysctl', '-q', '-w', `${key}=${value}`]);
    if (r.code !== 0) throw new Error(`sysctl ${key}: ${r.stderr.trim()}`);
  }

  async create(vmac: CompiledVmac): Promise<void> {
    const name = vmac.ifname;
    try {
      // keepalived reuses a vmac left by an earlier run only when it is ours (same MAC, same base); we
      // refuse anything already there rather than guess.
      const exists = await this.#ip(['-d', '-j', 'link', 'show', 'dev', name]);
      if (exists.code === 0) {
        throw new Error(`interface ${name} already exists`);
      }
      const saved = this.#saved.get(vmac.base);
      if (saved) saved.users++;
      else {
        this.#saved.set(vmac.base, {
          arpIgnore: await this.#read(`net/ipv4/conf/${vmac.base}/arp_ignore`),
          arpFilter: await this.#read(`net/ipv4/conf/${vmac.base}/arp_filter`),
          users: 1,
        });
      }
      const add = await this.#ip([
        'link',
        'add',
        'link',
        vmac.base,
        'name',
        name,
        'address',
        formatMac(vmac.mac),
        'type',
        'macvlan',
        'mode',
        'private',
      ]);
      try {
        if (add.code !== 0) throw new Error(`ip link add ${name}: ${add.stderr.trim()}`);
        // Before the link comes up, so the shared MAC never sends IPv6 (DAD, MLD) from a backup.
        await this.#write(`net/ipv6/conf/${name}/disable_ipv6`, '1');
        await this.#write(`net/ipv4/conf/${name}/arp_ignore`, '1');
        await this.#write(`net/ipv4/conf/${name}/accept_local`, '1');
        await this.#write(`net/ipv4/conf/${name}/rp_filter`, '0');
        await this.#write(`net/ipv4/conf/${vmac.base}/arp_ignore`, '1');
        await this.#write(`net/ipv4/conf/${vmac.base}/arp_filter`, '1');
        const up = await this.#ip(['link', 'set', 'dev', name, 'up']);
        if (up.code !== 0) throw new Error(`ip link set ${name} up: ${up.stderr.trim()}`);
      } catch (err) {
        await this.destroy(vmac).catch(() => {});
        throw err;
      }
    } catch (err) {
      throw new LvsError(
        'VRRP_OWNERSHIP_FAILED',
        `use_vmac ${name} on ${vmac.base}: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
  }

  async destroy(vmac: CompiledVmac): Promise<void> {
    const name = vmac.ifname;
    try {
      const show = await this.#ip(['-d', '-j', 'link', 'show', 'dev', name]);
      if (show.code === 0) {
        const [link] = JSON.parse(show.stdout || '[]') as { linkinfo?: { info_kind?: string } }[];
        // Never delete a physical interface that happens to carry the name.
        if (link?.linkinfo?.info_kind !== 'macvlan') throw new Error(`${name} is not a macvlan; left alone`);
        const del = await this.#ip(['link', 'del', 'dev', name]);
        if (del.code !== 0) throw new Error(`ip link del ${name}: ${del.stderr.trim()}`);
      }
      const saved = this.#saved.get(vmac.base);
      if (saved && --saved.users === 0) {
        this.#saved.delete(vmac.base);
        await this.#write(`net/ipv4/conf/${vmac.base}/arp_ignore`, saved.arpIgnore);
        await this.#write(`net/ipv4/conf/${vmac.base}/arp_filter`, saved.arpFilter);
      }
    } catch (err) {
      throw new LvsError(
        'VRRP_OWNERSHIP_FAILED',
        `remove use_vmac ${name}: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
  }
}
