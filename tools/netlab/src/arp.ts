/**
 * The lab's own `arping`: ARP requests (RFC 826), probes (RFC 5227 §2.1.1, sender address 0.0.0.0) and
 * gratuitous announcements (RFC 5227 §3, the form keepalived sends) on one interface of a lab host, sent
 * and received on an AF_PACKET socket of `@lvskit/native` opened in the host's namespace — no iputils, no
 * child process. Frames come from base's encoders. It must never send on an interface outside the lab.
 */
import {
  ARP_FRAME_LENGTH,
  ARP_REPLY,
  ArpView,
  bytesEqual,
  ETHERTYPE_ARP,
  encodeArpRequest,
  encodeGratuitousArp,
  formatMac,
  LvsError,
  parseIp,
} from '@lvskit/base';
import { interfaceInfo, listAddresses, nativeUnavailableReason, PacketSocket } from '@lvskit/native';
import { isLabAddress } from './address.js';

/** Options of {@link Lab.arping}. */
export interface ArpingOptions {
  /** Frames to send (iputils `-c`). Default 1; 1–1000. */
  readonly count?: number;
  /** Milliseconds between frames (iputils `-i`, in ms). Default 100; 0 sends them back to back. */
  readonly intervalMs?: number;
  /**
   * Milliseconds to wait for replies after the last request (iputils `-w`, in ms). Default 1000. Unused
   * with `announce` (nothing answers a gratuitous ARP).
   */
  readonly timeoutMs?: number;
  /**
   * Sender protocol address (iputils `-s`): default the interface's first IPv4 address; `0.0.0.0` makes
   * each request an RFC 5227 probe (iputils `-D`).
   */
  readonly source?: string;
  /**
   * Send gratuitous ARPs for `address` instead of asking for it (iputils `-U`): sender and target
   * protocol address both `address`, target hardware address broadcast. Resolves once they are sent.
   */
  readonly announce?: boolean;
}

/** What {@link Lab.arping} saw. */
export interface ArpingResult {
  /** Frames the kernel took. */
  readonly sent: number;
  /** ARP replies from `address` addressed to us (every one, duplicates included). */
  readonly received: number;
  /** The distinct MACs that answered for `address`, in the order first seen (lowercase). */
  readonly macs: readonly string[];
}

function intOption(name: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new LvsError('INVALID_ARGUMENT', `netlab arping: ${name} must be an integer ${min}–${max}, not ${value}`);
  }
  return value;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * ARP for `address` on `ifname` of the namespace `ns` (see {@link Lab.arping}).
 * @throws LvsError `NETLAB_BAD_ADDRESS` for an address outside 198.18.0.0/15, `INVALID_ARGUMENT` for bad
 *   options or no IPv4 address to send from, the `NATIVE_*` codes of `@lvskit/native` (addon not built,
 *   unknown interface…)
 */
export async function arpingIn(
  ns: string,
  ifname: string,
  address: string,
  options: ArpingOptions = {},
): Promise<ArpingResult> {
  if (!isLabAddress(address) || parseIp(address).length !== 4) {
    throw new LvsError('NETLAB_BAD_ADDRESS', `netlab arping: ${JSON.stringify(address)} is not a lab IPv4 address`);
  }
  const count = intOption('count', options.count, 1, 1000, 1);
  const intervalMs = intOption('intervalMs', options.intervalMs, 0, 60_000, 100);
  const timeoutMs = intOption('timeoutMs', options.timeoutMs, 0, 60_000, 1000);
  const target = parseIp(address);
  const mac = interfaceInfo(ifname, { netns: ns }).macBytes;
  let sender: Uint8Array = target;
  if (!options.announce) {
    const source =
      options.source ?? listAddresses({ ifname, netns: ns }).find((a) => a.family === 4 && a.scope === 0)?.address;
    if (source === undefined) {
      throw new LvsError('INVALID_ARGUMENT', `netlab arping: ${ifname} in ${ns} has no IPv4 address to send from`);
    }
    sender = parseIp(source);
    if (sender.length !== 4) throw new LvsError('INVALID_ARGUMENT', `netlab arping: source ${source} is not IPv4`);
  }
  const sock = PacketSocket.open({ ifname, netns: ns, batchSize: 16, frameSize: 128, protocol: ETHERTYPE_ARP });
  const macs: string[] = [];
  let received = 0;
  let sent = 0;
  let answered: (() => void) | undefined;
  try {
    const view = new ArpView();
    sock.onBatch((n) => {
      const { buffer, offsets, lengths } = sock.rx;
      for (let i = 0; i < n; i++) {
        const at = offsets[i] as number;
        const len = lengths[i] as number;
        // Ethernet header, then ARP (a VLAN tag never reaches a lab veth).
        view.attach(buffer, at + 14);
        if (len < 14 || !view.isValid(len - 14) || view.operation() !== ARP_REPLY) continue;
        if (!bytesEqual(buffer, view.senderAddressOffset(), target, 0, 4)) continue;
        if (!bytesEqual(buffer, view.targetMacOffset(), mac, 0, 6)) continue;
        received++;
        const who = formatMac(buffer.subarray(view.senderMacOffset()));
        if (!macs.includes(who)) macs.push(who);
      }
      if (received >= count) answered?.();
    });
    const at = sock.tx.offsets[0] as number;
    sock.tx.lengths[0] = options.announce
      ? encodeGratuitousArp(sock.tx.buffer, at, mac, target)
      : encodeArpRequest(sock.tx.buffer, at, mac, sender, target);
    if (sock.tx.lengths[0] !== ARP_FRAME_LENGTH) throw new LvsError('INVALID_ARGUMENT', 'netlab arping: bad frame');
    for (let i = 0; i < count; i++) {
      if (i > 0 && intervalMs > 0) await sleep(intervalMs);
      sent += sock.send(1);
    }
    // Like iputils arping -c N -w T: done at the N-th reply, or T after the last request.
    if (!options.announce && received < count && timeoutMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        answered = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    sock.close();
  }
  return { sent, received, macs };
}

/** Why {@link Lab.arping} cannot work here (the `@lvskit/native` addon is not built), or undefined. */
export function arpingUnavailableReason(): string | undefined {
  return nativeUnavailableReason();
}
