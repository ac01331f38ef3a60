/**
 * keepalived's `vrrp_instance` as plain typed data, and its compilation into a frozen, validated
 * {@link CompiledInstance} with keepalived's defaults and microsecond timers. Validation collects every
 * issue and throws one `VRRP_INVALID_CONFIG`; where keepalived would silently round or clamp a value
 * (v2 `advert_int` 1.5, v3 intervals not in 10 ms units, out-of-range priorities) lvskit rejects it instead,
 * so nothing a user wrote is changed behind their back. Must never touch sockets, interfaces or time.
 */
import { checkDelay, describe, type Family, LvsError, type LvsIssue, parseIp } from '@lvskit/base';
import { passAuthData, VRRP_AUTH_NONE, VRRP_AUTH_PASS } from './codec.js';

/** One `virtual_ipaddress` entry: `198.18.0.10/24 dev eth0 label eth0:1`. */
export interface VirtualAddressConfig {
  /** The address, optionally with `/prefix` (default /32 or /128, as `ip addr add`). */
  readonly address: string;
  /** Interface to add it to (keepalived `dev`); default: the instance's interface. */
  readonly dev?: string;
  /** Address label (keepalived `label`, IPv4 only, must start with the interface name). */
  readonly label?: string;
}

/** `authentication { auth_type PASS; auth_pass … }` (VRRPv2 only, as keepalived). */
export interface AuthenticationConfig {
  /** Only `PASS` is supported (keepalived's `AH` is not). */
  readonly type: 'PASS';
  /** 1..8 characters; keepalived truncates longer ones, lvskit rejects them. */
  readonly password: string;
}

/**
 * A keepalived `vrrp_instance` block as typed data. Names follow keepalived's keywords in camelCase; every
 * field is documented with its keepalived default.
 * @see keepalived.conf(5) "VRRP instance(s)"; lvs-semantics.md §4.4
 */
export interface VrrpInstanceConfig {
  /** Instance name (`vrrp_instance NAME`), used in notify arguments. */
  readonly name: string;
  /** `interface`: where adverts are sent and VIPs added. */
  readonly interface: string;
  /** `virtual_router_id` 1..255 (required). */
  readonly virtualRouterId: number;
  /** `priority` 1..255; default 100, or 255 when `state MASTER` is given without a priority. */
  readonly priority?: number;
  /** `state`: initial state wanted; default derived from priority (255 → MASTER). */
  readonly state?: 'MASTER' | 'BACKUP';
  /** `version` 2 or 3; default 2 (keepalived global `vrrp_version`); IPv6 forces 3. */
  readonly version?: 2 | 3;
  /** `advert_int` in seconds; default 1. v2: whole seconds 1..255; v3: multiples of 0.01 up to 40.95. */
  readonly advertInt?: number;
  /** `authentication { auth_type PASS; auth_pass … }` (v2 only). */
  readonly authentication?: AuthenticationConfig;
  /** `virtual_ipaddress { … }`: strings like `198.18.0.10/24` or objects. */
  readonly virtualIpAddresses: readonly (string | VirtualAddressConfig)[];
  /** `nopreempt` (needs `state BACKUP`, ignored for priority 255 as keepalived). */
  readonly nopreempt?: boolean;
  /** `preempt_delay` seconds 0..1000; default 0. Cleared with initial state MASTER, as keepalived does. */
  readonly preemptDelay?: number;
  /** `mcast_src_ip` / `unicast_src_ip`: source address; default the interface's primary address. */
  readonly sourceIp?: string;
  /** `unicast_peer { … }`: unicast mode when non-empty. */
  readonly unicastPeers?: readonly string[];
  /** `unicast_ttl`; default 255. */
  readonly unicastTtl?: number;
  /** `mcast_dst_ip` (keepalived global `vrrp_mcast_group4`); default 224.0.0.18 / ff02::12. */
  readonly multicastGroup?: string;
  /** `lower_prio_no_advert`; default false (a master answers a lower-priority advert with its own). */
  readonly lowerPrioNoAdvert?: boolean;
  /** `higher_prio_send_advert`; default false. */
  readonly higherPrioSendAdvert?: boolean;
  /** `skip_check_adv_addr`; default false. */
  readonly skipCheckAdvAddr?: boolean;
  /** `check_unicast_src`; default false. */
  readonly checkUnicastSrc?: boolean;
  /** `down_timer_adverts` 1..100; default 3. */
  readonly downTimerAdverts?: number;
  /** `garp_master_delay` seconds; default 5 (0 = no second burst). */
  readonly garpMasterDelay?: number;
  /** `garp_master_repeat`; default 5. */
  readonly garpMasterRepeat?: number;
  /** `garp_master_refresh` seconds; default 0 (none). */
  readonly garpMasterRefresh?: number;
  /** `garp_master_refresh_repeat`; default 1. */
  readonly garpMasterRefreshRepeat?: number;
  /** `garp_lower_prio_delay` seconds; default = garpMasterDelay. */
  readonly garpLowerPrioDelay?: number;
  /** `garp_lower_prio_repeat`; default = garpMasterRepeat. */
  readonly garpLowerPrioRepeat?: number;
  /** `v3_checksum_as_v2`: VRRPv3 IPv4 checksum without the pseudo-header; default false. */
  readonly v3ChecksumAsV2?: boolean;
  /** `dont_track_primary`: ignore the instance interface going down; default false. */
  readonly dontTrackPrimary?: boolean;
  /**
   * `use_vmac [name]`: put the VIPs on a macvlan interface (mode private) carrying the virtual router MAC
   * 00-00-5E-00-01-{VRID} (RFC 3768 §7.3) and send adverts from it. `true` names it `vrrp.<VRID>`, a string
   * names it. IPv4 only in lvskit. Default off.
   */
  readonly useVmac?: boolean | string;
}

/** The virtual-MAC interface of an instance (keepalived `use_vmac`). */
export interface CompiledVmac {
  /** Name of the macvlan interface (`vrrp.<VRID>` by default). */
  readonly ifname: string;
  /** The instance interface it is stacked on. */
  readonly base: string;
  /** The virtual router MAC, 6 bytes. */
  readonly mac: Uint8Array;
}

/** One compiled virtual address. */
export interface CompiledVirtualAddress {
  /** Network-order address bytes. */
  readonly address: Uint8Array;
  /** Text form without prefix. */
  readonly text: string;
  /** Prefix length. */
  readonly prefix: number;
  /** Interface it lives on. */
  readonly dev: string;
  /** Label, if any. */
  readonly label: string | undefined;
}

/** A validated, frozen instance with keepalived's defaults applied and every time in microseconds. */
export interface CompiledInstance {
  /** Instance name. */
  readonly name: string;
  /** Interface. */
  readonly interface: string;
  /** Address family. */
  readonly family: Family;
  /** Protocol version. */
  readonly version: 2 | 3;
  /** Virtual router ID. */
  readonly vrid: number;
  /** Configured (base) priority. */
  readonly priority: number;
  /** Wanted initial state. */
  readonly initialState: 'MASTER' | 'BACKUP';
  /** Advertisement interval, µs. */
  readonly advertIntUs: number;
  /** Value of the interval field: v2 seconds, v3 centiseconds. */
  readonly advertIntField: number;
  /** v2 Auth Type sent and required. */
  readonly authType: number;
  /** v2 Authentication Data (8 octets). */
  readonly authData: Uint8Array;
  /** Virtual addresses, in configuration order (the order they are advertised in). */
  readonly virtualAddresses: readonly CompiledVirtualAddress[];
  /** Their bytes, for encoding and comparison. */
  readonly virtualAddressBytes: readonly Uint8Array[];
  /** nopreempt. */
  readonly nopreempt: boolean;
  /** preempt_delay, µs. */
  readonly preemptDelayUs: number;
  /** Source address of adverts and the address used in the equal-priority tie-break. */
  readonly sourceAddress: Uint8Array;
  /** Unicast peers (empty: multicast). */
  readonly unicastPeers: readonly Uint8Array[];
  /** Multicast group. */
  readonly multicastGroup: Uint8Array;
  /** TTL for sending: 255 multicast, unicast_ttl for unicast. */
  readonly ttl: number;
  /** lower_prio_no_advert. */
  readonly lowerPrioNoAdvert: boolean;
  /** higher_prio_send_advert. */
  readonly higherPrioSendAdvert: boolean;
  /** skip_check_adv_addr. */
  readonly skipCheckAdvAddr: boolean;
  /** check_unicast_src. */
  readonly checkUnicastSrc: boolean;
  /** down_timer_adverts. */
  readonly downTimerAdverts: number;
  /** garp_master_delay, µs. */
  readonly garpMasterDelayUs: number;
  /** garp_master_repeat. */
  readonly garpMasterRepeat: number;
  /** garp_master_refresh, µs (0 none). */
  readonly garpMasterRefreshUs: number;
  /** garp_master_refresh_repeat. */
  readonly garpMasterRefreshRepeat: number;
  /** garp_lower_prio_delay, µs. */
  readonly garpLowerPrioDelayUs: number;
  /** garp_lower_prio_repeat. */
  readonly garpLowerPrioRepeat: number;
  /** v3_checksum_as_v2. */
  readonly v3ChecksumAsV2: boolean;
  /** dont_track_primary. */
  readonly dontTrackPrimary: boolean;
  /** use_vmac, or null. */
  readonly vmac: CompiledVmac | null;
  /** Where adverts are sent and received: the vmac interface with use_vmac, else `interface`. */
  readonly advertInterface: string;
}

/**
 * The virtual router MAC address: 00-00-5E-00-01-{VRID} for IPv4 (RFC 3768 §7.3) and 00-00-5E-00-02-{VRID}
 * for IPv6 (RFC 5798 §7.3), as keepalived vrrp_vmac.c `netlink_link_add_vmac` builds `ll_addr`.
 * @param family - 4 or 6
 * @param vrid - virtual router id 1..255
 */
export function virtualRouterMac(family: Family, vrid: number): Uint8Array {
  return Uint8Array.of(0x00, 0x00, 0x5e, 0x00, family === 6 ? 0x02 : 0x01, vrid & 0xff);
}

/** Linux IFNAMSIZ − 1: the longest interface name. */
const IFNAME_MAX = 15;

/** keepalived `TIMER_HZ`: timers are microseconds. */
export const US_PER_SECOND = 1_000_000;
/** keepalived `TIMER_CENTI_HZ`. */
export const US_PER_CENTISECOND = 10_000;
/** keepalived global `vrrp_mcast_group4`. */
export const VRRP_MULTICAST_GROUP4 = '224.0.0.18';
/** keepalived global `vrrp_mcast_group6`. */
export const VRRP_MULTICAST_GROUP6 = 'ff02::12';

/** 4 or 6 from an address's length. */
const familyOfBytes = (b: Uint8Array): Family => (b.length === 4 ? 4 : 6);

const isInt = (v: number, lo: number, hi: number): boolean => Number.isInteger(v) && v >= lo && v <= hi;

/**
 * Validates a `vrrp_instance` and applies keepalived's defaults. Throws one `VRRP_INVALID_CONFIG` listing
 * every issue; returns a frozen {@link CompiledInstance}.
 * @param c - the instance
 * @param primaryAddress - the interface's primary address (used when `sourceIp` is not set)
 * @see keepalived vrrp.c `vrrp_complete_instance`
 */
export function compileInstance(c: VrrpInstanceConfig, primaryAddress?: string): CompiledInstance {
  const issues: LvsIssue[] = [];
  const bad = (path: (string | number)[], message: string): void => {
    issues.push({ path, code: 'VRRP_INVALID_CONFIG', message });
  };
  const ip = (path: (string | number)[], text: string): Uint8Array | undefined => {
    try {
      return parseIp(text);
    } catch {
      bad(path, `not an IP address: ${JSON.stringify(text)}`);
      return undefined;
    }
  };

  if (typeof c.name !== 'string' || c.name === '') bad(['name'], 'name must be a non-empty string');
  if (typeof c.interface !== 'string' || c.interface === '') bad(['interface'], 'interface is required');
  if (!isInt(c.virtualRouterId, 1, 255)) bad(['virtualRouterId'], 'virtual_router_id must be an integer 1..255');
  if (c.priority !== undefined && !isInt(c.priority, 1, 255)) bad(['priority'], 'priority must be an integer 1..255');

  let vmacName: string | undefined;
  if (c.useVmac !== undefined && c.useVmac !== false) {
    if (c.useVmac === true) vmacName = `vrrp.${c.virtualRouterId}`;
    else if (typeof c.useVmac === 'string' && /^[^\s/:]{1,15}$/.test(c.useVmac) && c.useVmac !== c.interface) {
      vmacName = c.useVmac;
    } else {
      bad(
        ['useVmac'],
        `use_vmac name must be 1..${IFNAME_MAX} characters without space, '/' or ':' and not the interface`,
      );
    }
  }
  const defaultDev = vmacName ?? c.interface;

  // Virtual addresses decide the family (keepalived: all VIPs of an instance share one family).
  const vips: CompiledVirtualAddress[] = [];
  if (!Array.isArray(c.virtualIpAddresses)) {
    bad(['virtualIpAddresses'], `virtual_ipaddress must be a list, not ${describe(c.virtualIpAddresses)}`);
  }
  const list = Array.isArray(c.virtualIpAddresses) ? c.virtualIpAddresses : [];
  list.forEach((entry, i) => {
    const e: VirtualAddressConfig = typeof entry === 'string' ? { address: entry } : entry;
    if (typeof e !== 'object' || e === null || typeof e.address !== 'string') {
      bad(['virtualIpAddresses', i], `a virtual address is a string or { address }, not ${describe(entry)}`);
      return;
    }
    const [addrText = '', prefixText] = e.address.split('/');
    const bytes = ip(['virtualIpAddresses', i, 'address'], addrText);
    if (!bytes) return;
    const max = bytes.length === 4 ? 32 : 128;
    // `198.18.0.100/` is a typo, not /0.
    const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
    if (!isInt(prefix, 0, max)) {
      bad(['virtualIpAddresses', i, 'address'], `prefix must be 0..${max}: ${describe(e.address)}`);
      return;
    }
    // keepalived: a VIP without `dev` goes on the instance's interface, which is the vmac with use_vmac.
    vips.push(Object.freeze({ address: bytes, text: addrText, prefix, dev: e.dev ?? defaultDev, label: e.label }));
  });
  const family: Family = vips[0] ? familyOfBytes(vips[0].address) : 4;
  if (vips.some((v) => familyOfBytes(v.address) !== family)) {
    bad(['virtualIpAddresses'], 'all virtual addresses of an instance must be of one family');
  }
  if (vips.length > 255) bad(['virtualIpAddresses'], 'at most 255 virtual addresses (Count IP Addrs is 8 bits)');

  const version: 2 | 3 = family === 6 ? 3 : (c.version ?? 2);
  if (c.version !== undefined && c.version !== 2 && c.version !== 3) bad(['version'], 'version must be 2 or 3');
  if (family === 6 && c.version === 2) bad(['version'], 'IPv6 needs VRRP version 3');
  if (version === 3 && vips.length === 0) bad(['virtualIpAddresses'], 'VRRPv3 needs at least one virtual address');

  // advert_int: keepalived rounds v2 to whole seconds and v3 to 10 ms; we reject instead.
  const adv = c.advertInt ?? 1;
  let advertIntUs = US_PER_SECOND;
  let advertIntField = 1;
  if (typeof adv !== 'number' || !(adv > 0)) bad(['advertInt'], 'advert_int must be a positive number of seconds');
  else if (version === 2) {
    if (!isInt(adv, 1, 255)) bad(['advertInt'], 'VRRPv2 advert_int must be a whole number of seconds 1..255');
    else {
      advertIntUs = adv * US_PER_SECOND;
      advertIntField = adv;
    }
  } else {
    const cs = Math.round(adv * 100);
    if (Math.abs(cs - adv * 100) > 1e-6 || !isInt(cs, 1, 4095)) {
      bad(['advertInt'], 'VRRPv3 advert_int must be a multiple of 0.01 s from 0.01 to 40.95');
    } else {
      advertIntUs = cs * US_PER_CENTISECOND;
      advertIntField = cs;
    }
  }

  let authType = VRRP_AUTH_NONE;
  let authData: Uint8Array = new Uint8Array(8);
  if (c.authentication) {
    const a = c.authentication;
    if (version === 3) bad(['authentication'], 'VRRPv3 does not support authentication (keepalived ignores it)');
    else if (a.type !== 'PASS') bad(['authentication', 'type'], 'only auth_type PASS is supported');
    else if (typeof a.password !== 'string' || !/^[\x21-\x7e]{1,8}$/.test(a.password)) {
      bad(['authentication', 'password'], 'auth_pass must be 1..8 printable ASCII characters');
    } else {
      authType = VRRP_AUTH_PASS;
      authData = passAuthData(a.password);
    }
  }

  const state = c.state;
  if (state !== undefined && state !== 'MASTER' && state !== 'BACKUP') bad(['state'], 'state must be MASTER or BACKUP');
  // keepalived vrrp_complete_instance: no priority → 255 if state MASTER else 100; no state → from priority.
  const priority = c.priority ?? (state === 'MASTER' ? 255 : 100);
  const initialState = state ?? (priority === 255 ? 'MASTER' : 'BACKUP');
  let nopreempt = c.nopreempt === true;
  if (nopreempt && initialState === 'MASTER' && priority !== 255) {
    bad(['nopreempt'], 'nopreempt needs state BACKUP (keepalived.conf(5))');
  }
  // keepalived resets nopreempt for the address owner.
  if (priority === 255) nopreempt = false;

  const pd = c.preemptDelay ?? 0;
  if (typeof pd !== 'number' || !(pd >= 0 && pd <= 1000)) bad(['preemptDelay'], 'preempt_delay must be 0..1000 s');

  const peers: Uint8Array[] = [];
  (c.unicastPeers ?? []).forEach((p, i) => {
    const b = ip(['unicastPeers', i], p);
    if (b && familyOfBytes(b) !== family) bad(['unicastPeers', i], 'unicast peer family differs from the VIPs');
    else if (b) peers.push(b);
  });
  const unicastTtl = c.unicastTtl ?? 255;
  if (!isInt(unicastTtl, 1, 255)) bad(['unicastTtl'], 'unicast_ttl must be 1..255');

  const srcText = c.sourceIp ?? primaryAddress;
  let sourceAddress: Uint8Array = new Uint8Array(family === 4 ? 4 : 16);
  if (srcText === undefined) bad(['sourceIp'], 'no source address: give sourceIp or the interface primary address');
  else {
    const b = ip(['sourceIp'], srcText);
    if (b && familyOfBytes(b) !== family) bad(['sourceIp'], 'source address family differs from the VIPs');
    else if (b) sourceAddress = b;
  }
  const groupText = c.multicastGroup ?? (family === 4 ? VRRP_MULTICAST_GROUP4 : VRRP_MULTICAST_GROUP6);
  const multicastGroup = ip(['multicastGroup'], groupText) ?? new Uint8Array(4);

  if (vmacName !== undefined && family === 6) {
    bad(['useVmac'], 'use_vmac with IPv6 virtual addresses is not supported by lvskit');
  }

  const dta = c.downTimerAdverts ?? 3;
  if (!isInt(dta, 1, 100)) bad(['downTimerAdverts'], 'down_timer_adverts must be 1..100');

  const secs = (key: keyof VrrpInstanceConfig, v: number | undefined, dflt: number): number => {
    const x = v ?? dflt;
    if (typeof x !== 'number' || !(x >= 0) || !Number.isFinite(x)) {
      bad([key], `${key} must be a non-negative number of seconds`);
      return 0;
    }
    // Each of these becomes a timer: refuse what a timer cannot hold (≥ 2^31 ms) instead of firing at once.
    try {
      checkDelay(x * 1000, key);
    } catch (err) {
      if (LvsError.is(err)) issues.push({ path: [key], code: err.code, message: err.message });
      return 0;
    }
    return Math.round(x * US_PER_SECOND);
  };
  const count = (key: keyof VrrpInstanceConfig, v: number | undefined, dflt: number): number => {
    const x = v ?? dflt;
    if (!isInt(x, 0, 1_000_000)) {
      bad([key], `${key} must be a non-negative integer`);
      return 0;
    }
    return x;
  };
  // keepalived vrrp.h: VRRP_GARP_DELAY 5 s, repeat 5, refresh 0, refresh_repeat 1.
  const garpMasterDelayUs = secs('garpMasterDelay', c.garpMasterDelay, 5);
  const garpMasterRepeat = count('garpMasterRepeat', c.garpMasterRepeat, 5);
  const garpMasterRefreshUs = secs('garpMasterRefresh', c.garpMasterRefresh, 0);
  const garpMasterRefreshRepeat = count('garpMasterRefreshRepeat', c.garpMasterRefreshRepeat, 1);
  // keepalived: garp_lower_prio_delay / _repeat default to the master values.
  const garpLowerPrioDelayUs = secs('garpLowerPrioDelay', c.garpLowerPrioDelay, garpMasterDelayUs / US_PER_SECOND);
  const garpLowerPrioRepeat = count('garpLowerPrioRepeat', c.garpLowerPrioRepeat, garpMasterRepeat);

  if (issues.length > 0) {
    throw new LvsError('VRRP_INVALID_CONFIG', `vrrp_instance ${String(c.name)}: ${issues[0]?.message}`, { issues });
  }
  const compiled: CompiledInstance = {
    name: c.name,
    interface: c.interface,
    family,
    version,
    vrid: c.virtualRouterId,
    priority,
    initialState,
    advertIntUs,
    advertIntField,
    authType,
    authData,
    virtualAddresses: Object.freeze(vips),
    virtualAddressBytes: Object.freeze(vips.map((v) => v.address)),
    nopreempt,
    // keepalived vrrp_complete_instance: "preempt_delay will not work with initial state MASTER - clearing".
    preemptDelayUs: initialState === 'MASTER' ? 0 : Math.round(pd * US_PER_SECOND),
    sourceAddress,
    unicastPeers: Object.freeze(peers),
    multicastGroup,
    ttl: peers.length > 0 ? unicastTtl : 255,
    lowerPrioNoAdvert: c.lowerPrioNoAdvert === true,
    higherPrioSendAdvert: c.higherPrioSendAdvert === true,
    skipCheckAdvAddr: c.skipCheckAdvAddr === true,
    checkUnicastSrc: c.checkUnicastSrc === true,
    downTimerAdverts: dta,
    garpMasterDelayUs,
    garpMasterRepeat,
    garpMasterRefreshUs,
    garpMasterRefreshRepeat,
    garpLowerPrioDelayUs,
    garpLowerPrioRepeat,
    v3ChecksumAsV2: c.v3ChecksumAsV2 === true,
    dontTrackPrimary: c.dontTrackPrimary === true,
    vmac:
      vmacName === undefined
        ? null
        : Object.freeze({ ifname: vmacName, base: c.interface, mac: virtualRouterMac(family, c.virtualRouterId) }),
    advertInterface: vmacName ?? c.interface,
  };
  return Object.freeze(compiled);
}
