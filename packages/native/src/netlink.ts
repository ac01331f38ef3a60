/**
 * Interfaces, addresses and neighbours: interface index/MAC/MTU (ioctl) and rtnetlink address add/remove/
 * list and neighbour (ARP/ND) get/set/remove/list, each optionally inside a named network namespace.
 * Control-path code: it parses text addresses and allocates freely. It must never change anything that
 * was not asked for, and never leave the thread in another namespace (the addon switches back itself).
 */
import { type Family, formatIp, formatMac, LvsError, parseAddress, parseMac } from '@lvskit/base';
import { native } from './binding.js';
import { toLvsError } from './errors.js';

/** Where a call runs: a named network namespace (as in `ip netns`), or the caller's own when omitted. */
export interface NetnsOption {
  /** Name under /run/netns (e.g. a lab host's `ns`); omit for the current namespace. */
  readonly netns?: string | undefined;
}

/** What the kernel says about one interface. */
export interface InterfaceInfo {
  /** Interface name. */
  readonly name: string;
  /** Interface index (stable while the interface exists). */
  readonly index: number;
  /** Hardware address, lowercase `aa:bb:cc:dd:ee:ff`. */
  readonly mac: string;
  /** Hardware address as 6 bytes. */
  readonly macBytes: Uint8Array;
  /** MTU in bytes (IP packet size, without the Ethernet header). */
  readonly mtu: number;
  /** Administratively up (IFF_UP). */
  readonly up: boolean;
  /** Operationally running (IFF_RUNNING). */
  readonly running: boolean;
  /** Raw `IFF_*` flags. */
  readonly flags: number;
}

const IFF_UP = 0x1;
const IFF_RUNNING = 0x40;

function checkNetns(netns: string | undefined): void {
  if (
    netns !== undefined &&
    (typeof netns !== 'string' || !/^[A-Za-z0-9_.-]{1,255}$/.test(netns) || netns.startsWith('.'))
  ) {
    throw new LvsError('INVALID_ARGUMENT', `native: bad network namespace name ${JSON.stringify(netns)}`);
  }
}

function checkIfname(ifname: string): void {
  if (typeof ifname !== 'string' || ifname.length === 0 || Buffer.byteLength(ifname) > 15 || /[\s/:]/.test(ifname)) {
    throw new LvsError('INVALID_ARGUMENT', `native: bad interface name ${JSON.stringify(ifname)}`);
  }
}

/**
 * Index, MAC, MTU and flags of an interface.
 * @throws LvsError `NATIVE_NO_INTERFACE`, `NATIVE_NO_NETNS`, `NATIVE_PERMISSION`
 */
export function interfaceInfo(ifname: string, options: NetnsOption = {}): InterfaceInfo {
  checkIfname(ifname);
  checkNetns(options.netns);
  const b = native();
  try {
    const r = b.interfaceInfo(ifname, options.netns);
    return {
      name: ifname,
      index: r.index,
      mac: formatMac(r.mac),
      macBytes: new Uint8Array(r.mac),
      mtu: r.mtu,
      up: (r.flags & IFF_UP) !== 0,
      running: (r.flags & IFF_RUNNING) !== 0,
      flags: r.flags,
    };
  } catch (err) {
    throw toLvsError(err, `interface ${ifname}${options.netns ? ` in ${options.netns}` : ''}`);
  }
}

/** An address to add or remove. */
export interface AddressSpec extends NetnsOption {
  /** Interface name. */
  readonly ifname: string;
  /** The address, IPv4 or IPv6 text. */
  readonly address: string;
  /** Prefix length (0–32 or 0–128); default a host address (32 or 128). */
  readonly prefixLength?: number;
  /** IPv6: skip duplicate address detection (IFA_F_NODAD), usable at once. Default false. */
  readonly nodad?: boolean;
  /** Do not add the prefix route for the address's subnet (IFA_F_NOPREFIXROUTE, `ip addr … noprefixroute`). */
  readonly noPrefixRoute?: boolean;
  /** Address scope (`ip addr … scope`). Default `global`. */
  readonly scope?: AddressScope;
  /** IPv4 label, e.g. `eth0:vip` (`ip addr … label`; must start with the interface name, at most 15 bytes). */
  readonly label?: string;
}

/** Address scopes (the kernel's RT_SCOPE_* values, include/uapi/linux/rtnetlink.h). */
export type AddressScope = 'global' | 'site' | 'link' | 'host';

const SCOPES: Readonly<Record<AddressScope, number>> = { global: 0, site: 200, link: 253, host: 254 };

/** One configured address. */
export interface AddressEntry {
  /** Interface index. */
  readonly ifindex: number;
  /** 4 or 6. */
  readonly family: Family;
  /** Address text (IPv6 in RFC 5952 form). */
  readonly address: string;
  /** Prefix length. */
  readonly prefixLength: number;
  /** Scope (0 global, 200 site, 253 link, 254 host). */
  readonly scope: number;
  /** IPv4 label as the kernel reports it (the interface name unless a label was set); undefined for IPv6. */
  readonly label: string | undefined;
}

const IFA_F_NODAD = 0x02;
const IFA_F_NOPREFIXROUTE = 0x200;

function addrBytes(text: string): { family: Family; bytes: Buffer } {
  const { family, bytes } = parseAddress(text);
  return { family, bytes: Buffer.from(family === 4 ? bytes.subarray(0, 4) : bytes) };
}

function changeAddress(spec: AddressSpec, remove: boolean): void {
  checkNetns(spec.netns);
  const { family, bytes } = addrBytes(spec.address);
  const max = family === 4 ? 32 : 128;
  const plen = spec.prefixLength ?? max;
  if (!Number.isInteger(plen) || plen < 0 || plen > max) {
    throw new LvsError('INVALID_ARGUMENT', `native: prefix length ${plen} out of range for IPv${family}`);
  }
  const scope = SCOPES[spec.scope ?? 'global'];
  if (scope === undefined) throw new LvsError('INVALID_ARGUMENT', `native: bad address scope ${String(spec.scope)}`);
  // The kernel wants an IPv4 label that starts with the device name (devinet.c: inet_rtm_newaddr checks it).
  if (spec.label !== undefined) {
    if (family !== 4 || Buffer.byteLength(spec.label) > 15 || !spec.label.startsWith(spec.ifname)) {
      throw new LvsError(
        'INVALID_ARGUMENT',
        `native: label ${JSON.stringify(spec.label)} must be IPv4, start with ${spec.ifname}, at most 15 bytes`,
      );
    }
  }
  const index = interfaceInfo(spec.ifname, spec).index;
  let flags = family === 6 && spec.nodad === true ? IFA_F_NODAD : 0;
  if (spec.noPrefixRoute === true) flags |= IFA_F_NOPREFIXROUTE;
  try {
    native().addressChange(spec.netns, index, bytes, plen, remove, flags, scope, spec.label);
  } catch (err) {
    throw toLvsError(err, `${remove ? 'remove' : 'add'} address ${spec.address}/${plen} on ${spec.ifname}`);
  }
}

/**
 * Adds an address to an interface (RTM_NEWADDR, like `ip addr add`).
 * @throws LvsError `NATIVE_EXISTS` when it is already there, `NATIVE_NO_INTERFACE`, `NATIVE_PERMISSION`
 */
export function addAddress(spec: AddressSpec): void {
  changeAddress(spec, false);
}

/**
 * Removes an address from an interface (RTM_DELADDR, like `ip addr del`).
 * @throws LvsError `NATIVE_NOT_FOUND` when it is not there
 */
export function removeAddress(spec: AddressSpec): void {
  changeAddress(spec, true);
}

/** Lists addresses (RTM_GETADDR dump), optionally of one interface. */
export function listAddresses(options: NetnsOption & { readonly ifname?: string } = {}): AddressEntry[] {
  checkNetns(options.netns);
  const index = options.ifname === undefined ? undefined : interfaceInfo(options.ifname, options).index;
  let raw: ReturnType<ReturnType<typeof native>['addressList']>;
  try {
    raw = native().addressList(options.netns);
  } catch (err) {
    throw toLvsError(err, 'list addresses');
  }
  return raw
    .filter((a) => index === undefined || a.ifindex === index)
    .map((a) => ({
      ifindex: a.ifindex,
      family: a.family,
      address: formatIp(a.address, a.family),
      prefixLength: a.prefixLength,
      scope: a.scope,
      label: a.label ?? undefined,
    }));
}

/** Neighbour states (the kernel's NUD_* bits, include/uapi/linux/neighbour.h). */
export type NeighbourState =
  | 'incomplete'
  | 'reachable'
  | 'stale'
  | 'delay'
  | 'probe'
  | 'failed'
  | 'noarp'
  | 'permanent'
  | 'none';

const NUD: Readonly<Record<NeighbourState, number>> = {
  none: 0x00,
  incomplete: 0x01,
  reachable: 0x02,
  stale: 0x04,
  delay: 0x08,
  probe: 0x10,
  failed: 0x20,
  noarp: 0x40,
  permanent: 0x80,
};

function stateName(bits: number): NeighbourState {
  for (const [name, bit] of Object.entries(NUD) as [NeighbourState, number][]) if (bit !== 0 && bits & bit) return name;
  return 'none';
}

/** One neighbour (ARP or ND) entry. */
export interface NeighbourEntry {
  /** Interface index. */
  readonly ifindex: number;
  /** 4 (ARP) or 6 (ND). */
  readonly family: Family;
  /** The neighbour's IP address. */
  readonly address: string;
  /** Its link-layer address, or undefined while unresolved. */
  readonly mac: string | undefined;
  /** Entry state. */
  readonly state: NeighbourState;
}

/** Lists neighbour entries (RTM_GETNEIGH dump), optionally of one interface. */
export function listNeighbours(options: NetnsOption & { readonly ifname?: string } = {}): NeighbourEntry[] {
  checkNetns(options.netns);
  const index = options.ifname === undefined ? undefined : interfaceInfo(options.ifname, options).index;
  let raw: ReturnType<ReturnType<typeof native>['neighbourList']>;
  try {
    raw = native().neighbourList(options.netns);
  } catch (err) {
    throw toLvsError(err, 'list neighbours');
  }
  return raw
    .filter((n) => index === undefined || n.ifindex === index)
    .map((n) => ({
      ifindex: n.ifindex,
      family: n.family,
      address: formatIp(n.address, n.family),
      mac: n.mac === null || n.mac.length !== 6 ? undefined : formatMac(n.mac),
      state: stateName(n.state),
    }));
}

/** The neighbour entry for `address` on `ifname`, or undefined when the kernel has none. */
export function getNeighbour(
  spec: NetnsOption & { readonly ifname: string; readonly address: string },
): NeighbourEntry | undefined {
  const parsed = parseAddress(spec.address);
  const want = formatIp(parsed.bytes, parsed.family);
  return listNeighbours(spec).find((n) => n.address === want);
}

/** A neighbour entry to set. */
export interface NeighbourSpec extends NetnsOption {
  /** Interface name. */
  readonly ifname: string;
  /** The neighbour's IP address. */
  readonly address: string;
  /** Its MAC address. */
  readonly mac: string;
  /** State to set. Default `permanent` (never expires, like `ip neigh replace … nud permanent`). */
  readonly state?: 'permanent' | 'reachable' | 'stale' | 'noarp';
}

/**
 * Creates or replaces a neighbour entry (RTM_NEWNEIGH with NLM_F_CREATE|NLM_F_REPLACE, like
 * `ip neigh replace`).
 */
export function setNeighbour(spec: NeighbourSpec): void {
  checkNetns(spec.netns);
  const { bytes } = addrBytes(spec.address);
  const mac = Buffer.from(parseMac(spec.mac));
  const state = NUD[spec.state ?? 'permanent'];
  if (state === undefined) throw new LvsError('INVALID_ARGUMENT', `native: bad neighbour state ${String(spec.state)}`);
  const index = interfaceInfo(spec.ifname, spec).index;
  try {
    native().neighbourChange(spec.netns, index, bytes, mac, state, false);
  } catch (err) {
    throw toLvsError(err, `set neighbour ${spec.address} on ${spec.ifname}`);
  }
}

/**
 * Removes a neighbour entry (RTM_DELNEIGH, like `ip neigh del`).
 * @throws LvsError `NATIVE_NOT_FOUND` when there is none
 */
export function removeNeighbour(spec: NetnsOption & { readonly ifname: string; readonly address: string }): void {
  checkNetns(spec.netns);
  const { bytes } = addrBytes(spec.address);
  const index = interfaceInfo(spec.ifname, spec).index;
  try {
    native().neighbourChange(spec.netns, index, bytes, null, 0, true);
  } catch (err) {
    throw toLvsError(err, `remove neighbour ${spec.address} on ${spec.ifname}`);
  }
}

/** @internal Shared validation for the packet socket. */
export const validate = { checkIfname, checkNetns };
