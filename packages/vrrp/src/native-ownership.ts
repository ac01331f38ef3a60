/**
 * VIP ownership through `@lvskit/native`: addresses by rtnetlink (RTM_NEWADDR/RTM_DELADDR), gratuitous
 * ARP (IPv4) and unsolicited neighbour advertisements (IPv6) sent on an AF_PACKET socket, exactly the
 * frames keepalived sends. No child processes. An address
 * with a `label` goes through iproute2 (the netlink wrapper takes no label). It must never touch an address
 * that is not a configured VIP.
 */
import { readFileSync } from 'node:fs';
import {
  ETHERTYPE_ARP,
  ETHERTYPE_IPV6,
  encodeGratuitousArp,
  encodeUnsolicitedNa,
  type Family,
  LvsError,
} from '@lvskit/base';
import {
  addAddress,
  interfaceInfo,
  listAddresses,
  nativeUnavailableReason,
  PacketSocket,
  removeAddress,
} from '@lvskit/native';
import type { CompiledVirtualAddress } from './config.js';
import { Iproute2Ownership } from './iproute2-ownership.js';
import type { AddressOwnership } from './ports.js';

/** Options of {@link NativeOwnership}. */
export interface NativeOwnershipOptions {
  /** Network namespace (name under /run/netns); default the caller's. */
  readonly netns?: string;
}

/** True when `@lvskit/native` is built and usable here. */
export function nativeOwnershipAvailable(): boolean {
  return nativeUnavailableReason() === undefined;
}

/** {@link AddressOwnership} through `@lvskit/native` (netlink + AF_PACKET). */
export class NativeOwnership implements AddressOwnership {
  readonly #netns: string | undefined;
  readonly #labelled: Iproute2Ownership;

  /** @param opts - namespace */
  constructor(opts: NativeOwnershipOptions = {}) {
    this.#netns = opts.netns;
    this.#labelled = new Iproute2Ownership(opts.netns ? { netns: opts.netns } : {});
  }

  async add(vip: CompiledVirtualAddress): Promise<void> {
    if (vip.label) return this.#labelled.add(vip);
    try {
      addAddress({ ifname: vip.dev, address: vip.text, prefixLength: vip.prefix, netns: this.#netns });
    } catch (err) {
      // keepalived treats an address already present as added.
      if (LvsError.is(err) && err.code === 'NATIVE_EXISTS') return;
      throw new LvsError(
        'VRRP_OWNERSHIP_FAILED',
        `add ${vip.text}/${vip.prefix} on ${vip.dev}: ${err instanceof Error ? err.message : String(err)}`,
        {
          cause: err,
        },
      );
    }
  }

  async remove(vip: CompiledVirtualAddress): Promise<void> {
    try {
      removeAddress({ ifname: vip.dev, address: vip.text, prefixLength: vip.prefix, netns: this.#netns });
    } catch (err) {
      if (LvsError.is(err) && err.code === 'NATIVE_NOT_FOUND') return;
      throw new LvsError(
        'VRRP_OWNERSHIP_FAILED',
        `remove ${vip.text}/${vip.prefix} on ${vip.dev}: ${err instanceof Error ? err.message : String(err)}`,
        {
          cause: err,
        },
      );
    }
  }

  async announce(vip: CompiledVirtualAddress, repeat: number): Promise<void> {
    if (repeat <= 0) return;
    const v6 = vip.address.length === 16;
    let sock: PacketSocket | undefined;
    try {
      const mac = interfaceInfo(vip.dev, { netns: this.#netns }).macBytes;
      const router = v6 && this.#forwarding(vip.dev);
      const batch = Math.min(repeat, 64);
      sock = PacketSocket.open({
        ifname: vip.dev,
        netns: this.#netns,
        batchSize: batch,
        frameSize: 128,
        protocol: v6 ? ETHERTYPE_IPV6 : ETHERTYPE_ARP,
      });
      // keepalived sends its garp_rep frames back to back (vrrp_garp_interval 0): one sendmmsg batch.
      let left = repeat;
      while (left > 0) {
        const n = Math.min(left, batch);
        for (let i = 0; i < n; i++) {
          const at = sock.tx.offsets[i] as number;
          sock.tx.lengths[i] = v6
            ? encodeUnsolicitedNa(sock.tx.buffer, at, mac, vip.address, router)
            : encodeGratuitousArp(sock.tx.buffer, at, mac, vip.address);
        }
        let sent = 0;
        while (sent < n) {
          const s = sock.send(n - sent);
          if (s === 0) break; // kernel queue full: the rest of this burst is lost, as a dropped GARP would be
          sent += s;
        }
        left -= n;
      }
    } catch (err) {
      throw new LvsError(
        'VRRP_OWNERSHIP_FAILED',
        `announce ${vip.text} on ${vip.dev}: ${err instanceof Error ? err.message : String(err)}`,
        {
          cause: err,
        },
      );
    } finally {
      sock?.close();
    }
  }

  /** keepalived sets the NA router flag when IPv6 forwarding is on (only readable in our own namespace). */
  #forwarding(ifname: string): boolean {
    if (this.#netns) return false;
    try {
      return readFileSync(`/proc/sys/net/ipv6/conf/${ifname}/forwarding`, 'utf8').trim() === '1';
    } catch {
      return false;
    }
  }

  async primaryAddress(ifname: string, family: Family): Promise<string | undefined> {
    try {
      // The kernel dumps an interface's primary address of a subnet before its secondaries.
      const list = listAddresses({ ifname, netns: this.#netns });
      const hit = list.find((a) => a.family === family && (family === 4 ? a.scope === 0 : a.scope === 253));
      return hit?.address;
    } catch (err) {
      throw new LvsError(
        'VRRP_OWNERSHIP_FAILED',
        `list addresses of ${ifname}: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
  }
}
