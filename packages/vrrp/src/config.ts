/**
 * keepalived's `vrrp_instance` as plain typed data, and its compilation into a frozen, validated
 * {@link CompiledInstance} with keepalived's defaults and microsecond timers. Validation collects every
 * issue and throws one `VRRP_INVALID_CONFIG`; where keepalived would silently round or clamp a value
 * (v2 `advert_int` 1.5, v3 intervals not in 10 ms units, out-of-range priorities) lvskit rejects it instead,
 * so nothing a user wrote is changed behind their back. Must never touch sockets, interfaces or time.
 */
import { checkDelay, describe, type Family, IssueList, LvsError, parseIp } from '@lvskit/base';
import { passAuthData, VRRP_AUTH_NONE, VRRP_AUTH_PASS } from './codec.js';
import { checkKeys, isRecord } from './input.js';

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
  if ((family !== 4 && family !== 6) || !isInt(vrid, 1, 255)) {
    throw new LvsError(
      'INVALID_ARGUMENT',
      `virtualRouterMac: family 4 or 6 and vrid 1..255, not ${describe(family)}, ${describe(vrid)}`,
    );
  }
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

/**
 * keepalived `global_defs` that every instance inherits unless it sets its own (`vrrp_version`,
 * `vrrp_mcast_group4`, `vrrp_mcast_group6`). Give one object to every {@link compileInstance} (or
 * {@link VrrpRouterOptions.globals}) of a configuration.
 * @see keepalived.conf(5) "global_defs"; keepalived global_parser.c `vrrp_version_handler`, `vrrp_mcast_group4_handler`
 */
export interface VrrpGlobalDefs {
  /** `vrrp_version` 2 or 3: the default of every instance's `version`; default 2 (IPv6 instances are always 3). */
  readonly version?: 2 | 3;
  /** `vrrp_mcast_group4`: the default IPv4 `multicastGroup`; default 224.0.0.18. */
  readonly multicastGroup4?: string;
  /** `vrrp_mcast_group6`: the default IPv6 `multicastGroup`; default ff02::12. */
  readonly multicastGroup6?: string;
}

/** 4 or 6 from an address's length. */
const familyOfBytes = (b: Uint8Array): Family => (b.length === 4 ? 4 : 6);

const isInt = (v: unknown, lo: number, hi: number): v is number =>
  Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;

/** Every key of a {@link VrrpInstanceConfig} with its keepalived keyword (checked complete by the type). */
const INSTANCE_KEYS = {
  name: 'vrrp_instance',
  interface: 'interface',
  virtualRouterId: 'virtual_router_id',
  priority: 'priority',
  state: 'state',
  version: 'version',
  advertInt: 'advert_int',
  authentication: 'authentication',
  virtualIpAddresses: 'virtual_ipaddress',
  nopreempt: 'nopreempt',
  preemptDelay: 'preempt_delay',
  sourceIp: 'unicast_src_ip',
  unicastPeers: 'unicast_peer',
  unicastTtl: 'unicast_ttl',
  multicastGroup: 'mcast_dst_ip',
  lowerPrioNoAdvert: 'lower_prio_no_advert',
  higherPrioSendAdvert: 'higher_prio_send_advert',
  skipCheckAdvAddr: 'skip_check_adv_addr',
  checkUnicastSrc: 'check_unicast_src',
  downTimerAdverts: 'down_timer_adverts',
  garpMasterDelay: 'garp_master_delay',
  garpMasterRepeat: 'garp_master_repeat',
  garpMasterRefresh: 'garp_master_refresh',
  garpMasterRefreshRepeat: 'garp_master_refresh_repeat',
  garpLowerPrioDelay: 'garp_lower_prio_delay',
  garpLowerPrioRepeat: 'garp_lower_prio_repeat',
  v3ChecksumAsV2: 'v3_checksum_as_v2',
  dontTrackPrimary: 'dont_track_primary',
  useVmac: 'use_vmac',
} as const satisfies Record<keyof VrrpInstanceConfig, string>;

const BOOLEAN_KEYS = [
  'nopreempt',
  'lowerPrioNoAdvert',
  'higherPrioSendAdvert',
  'skipCheckAdvAddr',
  'checkUnicastSrc',
  'v3ChecksumAsV2',
  'dontTrackPrimary',
] as const satisfies readonly (keyof VrrpInstanceConfig)[];

const GLOBAL_KEYS = {
  version: 'vrrp_version',
  multicastGroup4: 'vrrp_mcast_group4',
  multicastGroup6: 'vrrp_mcast_group6',
};
const ADDRESS_KEYS = { address: 'address', dev: 'dev', label: 'label' };
const AUTH_KEYS = { type: 'auth_type', password: 'auth_pass' };

/** An interface name the kernel accepts: 1..15 characters, no whitespace, `/` or `:`. */
const IFNAME_RE = /^[^\s/:]{1,15}$/;

/** True for an IPv4 (224.0.0.0/4) or IPv6 (ff00::/8) multicast address. */
const isMulticast = (b: Uint8Array): boolean => (b.length === 4 ? ((b[0] as number) & 0xf0) === 0xe0 : b[0] === 0xff);

/**
 * Validates a `vrrp_instance` and applies keepalived's defaults. Throws one `VRRP_INVALID_CONFIG` listing
 * every issue (paths are the keys as written, each message names the keepalived keyword and the bad value);
 * returns a frozen {@link CompiledInstance}. Unknown keys and `null` values are issues; a value of the wrong
 * type is an issue, never a `TypeError`.
 * @param c - the instance
 * @param primaryAddress - the interface's primary address (used when `sourceIp` is not set)
 * @param globals - keepalived `global_defs` defaults (`vrrp_version`, `vrrp_mcast_group4`/`6`); issues in it
 *   have paths under `globals`
 * @see keepalived vrrp.c `vrrp_complete_instance`
 */
export function compileInstance(
  c: VrrpInstanceConfig,
  primaryAddress?: string,
  globals: VrrpGlobalDefs = {},
): CompiledInstance {
  const issues = new IssueList();
  const input: unknown = c;
  if (!isRecord(input)) {
    throw new LvsError('VRRP_INVALID_CONFIG', `vrrp_instance: a vrrp_instance is an object, not ${describe(input)}`);
  }
  const nulls = checkKeys(input, INSTANCE_KEYS, [], issues);
  const g: Record<string, unknown> = {};
  if (isRecord(globals)) {
    const gNulls = checkKeys(globals, GLOBAL_KEYS, ['globals'], issues);
    for (const [k, v] of Object.entries(globals)) if (!gNulls.has(k) && Object.hasOwn(GLOBAL_KEYS, k)) g[k] = v;
  } else if (globals !== undefined) {
    issues.add(['globals'], 'VRRP_INVALID_CONFIG', `globals (global_defs) must be an object, not ${describe(globals)}`);
  }
  const bad = (path: (string | number)[], message: string): void => {
    // A null value is reported once, by checkKeys.
    if (path.length === 1 && nulls.has(String(path[0]))) return;
    issues.add(path, 'VRRP_INVALID_CONFIG', message);
  };
  // From here on a null value reads as absent (its issue is already recorded).
  const v = <K extends keyof VrrpInstanceConfig>(k: K): VrrpInstanceConfig[K] | undefined =>
    nulls.has(k) ? undefined : (input as unknown as VrrpInstanceConfig)[k];
  const ip = (path: (string | number)[], text: unknown, what: string): Uint8Array | undefined => {
    if (typeof text !== 'string') {
      bad(path, `${what} must be an IP address string, not ${describe(text)}`);
      return undefined;
    }
    try {
      return parseIp(text);
    } catch {
      bad(path, `${what}: not an IP address: ${describe(text)}`);
      return undefined;
    }
  };

  const name = v('name');
  const ifname = v('interface');
  const vrid = v('virtualRouterId');
  if (typeof name !== 'string' || name === '') bad(['name'], `name must be a non-empty string, not ${describe(name)}`);
  if (typeof ifname !== 'string' || !IFNAME_RE.test(ifname)) {
    bad(['interface'], `interface must be an interface name (1..15 characters), not ${describe(ifname)}`);
  }
  if (!isInt(vrid, 1, 255))
    bad(['virtualRouterId'], `virtual_router_id must be an integer 1..255, not ${describe(vrid)}`);
  if (v('priority') !== undefined && !isInt(v('priority'), 1, 255)) {
    bad(['priority'], `priority must be an integer 1..255, not ${describe(v('priority'))}`);
  }
  for (const k of BOOLEAN_KEYS) {
    const b = v(k);
    if (b !== undefined && typeof b !== 'boolean')
      bad([k], `${k} (${INSTANCE_KEYS[k]}) must be true or false, not ${describe(b)}`);
  }

  let vmacName: string | undefined;
  const useVmac = v('useVmac');
  if (useVmac !== undefined && useVmac !== false) {
    if (useVmac === true) vmacName = `vrrp.${String(vrid)}`;
    else if (typeof useVmac === 'string' && IFNAME_RE.test(useVmac) && useVmac !== ifname) {
      vmacName = useVmac;
    } else {
      bad(
        ['useVmac'],
        `use_vmac name must be 1..${IFNAME_MAX} characters without space, '/' or ':' and not the interface, not ${describe(useVmac)}`,
      );
    }
  }
  const defaultDev = vmacName ?? (typeof ifname === 'string' ? ifname : '');

  // Virtual addresses decide the family (keepalived: all VIPs of an instance share one family).
  const vips: CompiledVirtualAddress[] = [];
  const vipList = v('virtualIpAddresses');
  if (!Array.isArray(vipList)) {
    bad(['virtualIpAddresses'], `virtual_ipaddress must be a list of addresses, not ${describe(vipList)}`);
  }
  const list: readonly unknown[] = Array.isArray(vipList) ? vipList : [];
  list.forEach((entry, i) => {
    const path = ['virtualIpAddresses', i];
    if (typeof entry !== 'string' && !isRecord(entry)) {
      bad(path, `a virtual address is a string or { address, dev?, label? }, not ${describe(entry)}`);
      return;
    }
    let e: { address?: unknown; dev?: unknown; label?: unknown } = { address: entry };
    if (isRecord(entry)) {
      const n = checkKeys(entry, ADDRESS_KEYS, path, issues);
      e = {
        address: entry.address,
        dev: n.has('dev') ? undefined : entry.dev,
        label: n.has('label') ? undefined : entry.label,
      };
      if (n.has('address')) return;
    }
    const apath = isRecord(entry) ? [...path, 'address'] : path;
    if (typeof e.address !== 'string') {
      bad(apath, `address must be a string like "198.18.0.10/24", not ${describe(e.address)}`);
      return;
    }
    const text = e.address;
    const slash = text.indexOf('/');
    const addrText = slash < 0 ? text : text.slice(0, slash);
    const prefixText = slash < 0 ? undefined : text.slice(slash + 1);
    const bytes = ip(apath, addrText, 'virtual address');
    if (e.dev !== undefined && (typeof e.dev !== 'string' || !IFNAME_RE.test(e.dev))) {
      bad([...path, 'dev'], `dev must be an interface name (1..15 characters), not ${describe(e.dev)}`);
    }
    if (e.label !== undefined && (typeof e.label !== 'string' || e.label.length === 0 || e.label.length > IFNAME_MAX)) {
      bad([...path, 'label'], `label must be 1..${IFNAME_MAX} characters, not ${describe(e.label)}`);
    }
    if (!bytes) return;
    const max = bytes.length === 4 ? 32 : 128;
    // `198.18.0.100/` is a typo, not /0; and a /0 VIP would put every address on the link: refused too.
    const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
    if (!isInt(prefix, 1, max)) {
      bad(apath, `virtual address prefix must be 1..${max}: ${describe(text)}`);
      return;
    }
    if (typeof e.dev === 'string' && !IFNAME_RE.test(e.dev)) return;
    if (e.label !== undefined && typeof e.label !== 'string') return;
    // keepalived: a VIP without `dev` goes on the instance's interface, which is the vmac with use_vmac.
    const dev = typeof e.dev === 'string' ? e.dev : defaultDev;
    vips.push(Object.freeze({ address: bytes, text: addrText, prefix, dev, label: e.label as string | undefined }));
  });
  const family: Family = vips[0] ? familyOfBytes(vips[0].address) : 4;
  if (vips.some((x) => familyOfBytes(x.address) !== family)) {
    bad(['virtualIpAddresses'], 'all virtual addresses of an instance must be of one family');
  }
  if (vips.length > 255)
    bad(['virtualIpAddresses'], `at most 255 virtual addresses (Count IP Addrs is 8 bits), not ${vips.length}`);

  const gVersion = g.version;
  if (gVersion !== undefined && gVersion !== 2 && gVersion !== 3) {
    issues.add(['globals', 'version'], 'VRRP_INVALID_CONFIG', `vrrp_version must be 2 or 3, not ${describe(gVersion)}`);
  }
  const wanted = v('version');
  const version: 2 | 3 = family === 6 ? 3 : (wanted ?? (gVersion === 3 ? 3 : 2));
  if (wanted !== undefined && wanted !== 2 && wanted !== 3)
    bad(['version'], `version must be 2 or 3, not ${describe(wanted)}`);
  if (family === 6 && wanted === 2) bad(['version'], 'IPv6 needs VRRP version 3, not 2');
  if (version === 3 && vips.length === 0 && list.length === 0) {
    bad(['virtualIpAddresses'], 'VRRPv3 needs at least one virtual address');
  }

  // advert_int: keepalived rounds v2 to whole seconds and v3 to 10 ms; we reject instead.
  const adv = v('advertInt') ?? 1;
  let advertIntUs = US_PER_SECOND;
  let advertIntField = 1;
  if (typeof adv !== 'number' || !(adv > 0)) {
    bad(['advertInt'], `advert_int must be a positive number of seconds, not ${describe(adv)}`);
  } else if (version === 2) {
    if (!isInt(adv, 1, 255))
      bad(['advertInt'], `VRRPv2 advert_int must be a whole number of seconds 1..255, not ${describe(adv)}`);
    else {
      advertIntUs = adv * US_PER_SECOND;
      advertIntField = adv;
    }
  } else {
    const cs = Math.round(adv * 100);
    if (Math.abs(cs - adv * 100) > 1e-6 || !isInt(cs, 1, 4095)) {
      bad(['advertInt'], `VRRPv3 advert_int must be a multiple of 0.01 s from 0.01 to 40.95, not ${describe(adv)}`);
    } else {
      advertIntUs = cs * US_PER_CENTISECOND;
      advertIntField = cs;
    }
  }

  let authType = VRRP_AUTH_NONE;
  let authData: Uint8Array = new Uint8Array(8);
  const a: unknown = v('authentication');
  if (a !== undefined) {
    if (!isRecord(a)) {
      bad(['authentication'], `authentication must be { type: 'PASS', password }, not ${describe(a)}`);
    } else {
      const n = checkKeys(a, AUTH_KEYS, ['authentication'], issues);
      if (version === 3) bad(['authentication'], 'VRRPv3 does not support authentication (keepalived ignores it)');
      else if (n.has('type') || n.has('password')) {
        // reported by checkKeys
      } else if (a.type !== 'PASS') {
        bad(['authentication', 'type'], `only auth_type PASS is supported, not ${describe(a.type)}`);
      } else if (typeof a.password !== 'string' || !/^[\x21-\x7e]{1,8}$/.test(a.password)) {
        bad(
          ['authentication', 'password'],
          `auth_pass must be 1..8 printable ASCII characters, not ${describe(a.password)}`,
        );
      } else {
        authType = VRRP_AUTH_PASS;
        authData = passAuthData(a.password);
      }
    }
  }

  const state = v('state');
  if (state !== undefined && state !== 'MASTER' && state !== 'BACKUP') {
    bad(['state'], `state must be MASTER or BACKUP, not ${describe(state)}`);
  }
  // keepalived vrrp_complete_instance: no priority → 255 if state MASTER else 100; no state → from priority.
  const rawPriority = v('priority');
  const priority = isInt(rawPriority, 1, 255) ? rawPriority : state === 'MASTER' ? 255 : 100;
  const initialState = state === 'MASTER' || state === 'BACKUP' ? state : priority === 255 ? 'MASTER' : 'BACKUP';
  let nopreempt = v('nopreempt') === true;
  if (nopreempt && initialState === 'MASTER' && priority !== 255) {
    bad(['nopreempt'], 'nopreempt needs state BACKUP (keepalived.conf(5)), not state MASTER');
  }
  // keepalived resets nopreempt for the address owner.
  if (priority === 255) nopreempt = false;

  const pd = v('preemptDelay') ?? 0;
  if (typeof pd !== 'number' || !(pd >= 0 && pd <= 1000)) {
    bad(['preemptDelay'], `preempt_delay must be 0..1000 s, not ${describe(pd)}`);
  }

  const peers: Uint8Array[] = [];
  const peerList = v('unicastPeers') ?? [];
  if (!Array.isArray(peerList))
    bad(['unicastPeers'], `unicast_peer must be a list of addresses, not ${describe(peerList)}`);
  (Array.isArray(peerList) ? (peerList as readonly unknown[]) : []).forEach((p, i) => {
    const b = ip(['unicastPeers', i], p, 'unicast_peer');
    if (b && familyOfBytes(b) !== family) {
      bad(
        ['unicastPeers', i],
        `unicast peer ${describe(p)} is IPv${familyOfBytes(b)}, the virtual addresses IPv${family}`,
      );
    } else if (b) peers.push(b);
  });
  const unicastTtl = v('unicastTtl') ?? 255;
  if (!isInt(unicastTtl, 1, 255))
    bad(['unicastTtl'], `unicast_ttl must be an integer 1..255, not ${describe(unicastTtl)}`);

  const sourceIp = v('sourceIp');
  const srcText: unknown = sourceIp ?? primaryAddress;
  let sourceAddress: Uint8Array = new Uint8Array(family === 4 ? 4 : 16);
  if (srcText === undefined) bad(['sourceIp'], 'no source address: give sourceIp or the interface primary address');
  else {
    const b = ip(['sourceIp'], srcText, sourceIp === undefined ? 'the interface primary address' : 'unicast_src_ip');
    if (b && familyOfBytes(b) !== family) {
      bad(
        ['sourceIp'],
        `source address ${describe(srcText)} is IPv${familyOfBytes(b)}, the virtual addresses IPv${family}`,
      );
    } else if (b) sourceAddress = b;
  }
  // mcast_dst_ip, else the global vrrp_mcast_group4/6, else the IANA group.
  const groupKey = family === 4 ? 'multicastGroup4' : 'multicastGroup6';
  const own = v('multicastGroup');
  const groupPath =
    own !== undefined ? ['multicastGroup'] : g[groupKey] !== undefined ? ['globals', groupKey] : ['multicastGroup'];
  const groupText: unknown = own ?? g[groupKey] ?? (family === 4 ? VRRP_MULTICAST_GROUP4 : VRRP_MULTICAST_GROUP6);
  let multicastGroup: Uint8Array = new Uint8Array(family === 4 ? 4 : 16);
  const group = ip(groupPath, groupText, own !== undefined ? 'mcast_dst_ip' : GLOBAL_KEYS[groupKey]);
  if (group && (familyOfBytes(group) !== family || !isMulticast(group))) {
    issues.add(
      groupPath,
      'VRRP_INVALID_CONFIG',
      `${own !== undefined ? 'mcast_dst_ip' : GLOBAL_KEYS[groupKey]} must be an IPv${family} multicast address, not ${describe(groupText)}`,
    );
  } else if (group) multicastGroup = group;
  for (const k of ['multicastGroup4', 'multicastGroup6'] as const) {
    // The global group of the other family is not used here, but it must still be right.
    const other = g[k];
    if (k === groupKey || other === undefined) continue;
    const b = ip(['globals', k], other, GLOBAL_KEYS[k]);
    if (b && (familyOfBytes(b) !== (k === 'multicastGroup4' ? 4 : 6) || !isMulticast(b))) {
      issues.add(
        ['globals', k],
        'VRRP_INVALID_CONFIG',
        `${GLOBAL_KEYS[k]} must be a multicast address of its family, not ${describe(other)}`,
      );
    }
  }

  if (vmacName !== undefined && family === 6) {
    bad(['useVmac'], 'use_vmac with IPv6 virtual addresses is not supported by lvskit');
  }

  const dta = v('downTimerAdverts') ?? 3;
  if (!isInt(dta, 1, 100))
    bad(['downTimerAdverts'], `down_timer_adverts must be an integer 1..100, not ${describe(dta)}`);

  const secs = (key: keyof typeof INSTANCE_KEYS, x0: unknown, dflt: number): number => {
    const x = x0 ?? dflt;
    if (typeof x !== 'number' || !(x >= 0) || !Number.isFinite(x)) {
      bad([key], `${key} (${INSTANCE_KEYS[key]}) must be a non-negative number of seconds, not ${describe(x)}`);
      return 0;
    }
    // Each of these becomes a timer: refuse what a timer cannot hold (≥ 2^31 ms) instead of firing at once.
    try {
      checkDelay(x * 1000, `${key} (${INSTANCE_KEYS[key]})`);
    } catch (err) {
      issues.addError([key], err);
      return 0;
    }
    return Math.round(x * US_PER_SECOND);
  };
  const count = (key: keyof typeof INSTANCE_KEYS, x0: unknown, dflt: number): number => {
    const x = x0 ?? dflt;
    if (!isInt(x, 0, 1_000_000)) {
      bad([key], `${key} (${INSTANCE_KEYS[key]}) must be an integer 0..1000000, not ${describe(x)}`);
      return 0;
    }
    return x;
  };
  // keepalived vrrp.h: VRRP_GARP_DELAY 5 s, repeat 5, refresh 0, refresh_repeat 1.
  const garpMasterDelayUs = secs('garpMasterDelay', v('garpMasterDelay'), 5);
  const garpMasterRepeat = count('garpMasterRepeat', v('garpMasterRepeat'), 5);
  const garpMasterRefreshUs = secs('garpMasterRefresh', v('garpMasterRefresh'), 0);
  const garpMasterRefreshRepeat = count('garpMasterRefreshRepeat', v('garpMasterRefreshRepeat'), 1);
  // keepalived: garp_lower_prio_delay / _repeat default to the master values.
  const garpLowerPrioDelayUs = secs('garpLowerPrioDelay', v('garpLowerPrioDelay'), garpMasterDelayUs / US_PER_SECOND);
  const garpLowerPrioRepeat = count('garpLowerPrioRepeat', v('garpLowerPrioRepeat'), garpMasterRepeat);

  issues.throwIfAny('VRRP_INVALID_CONFIG', `vrrp_instance ${typeof name === 'string' ? name : describe(name)}`);
  const c2 = input as unknown as VrrpInstanceConfig;
  const compiled: CompiledInstance = {
    name: c2.name,
    interface: c2.interface,
    family,
    version,
    vrid: c2.virtualRouterId,
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
    lowerPrioNoAdvert: v('lowerPrioNoAdvert') === true,
    higherPrioSendAdvert: v('higherPrioSendAdvert') === true,
    skipCheckAdvAddr: v('skipCheckAdvAddr') === true,
    checkUnicastSrc: v('checkUnicastSrc') === true,
    downTimerAdverts: dta,
    garpMasterDelayUs,
    garpMasterRepeat,
    garpMasterRefreshUs,
    garpMasterRefreshRepeat,
    garpLowerPrioDelayUs,
    garpLowerPrioRepeat,
    v3ChecksumAsV2: v('v3ChecksumAsV2') === true,
    dontTrackPrimary: v('dontTrackPrimary') === true,
    vmac:
      vmacName === undefined
        ? null
        : Object.freeze({ ifname: vmacName, base: c2.interface, mac: virtualRouterMac(family, c2.virtualRouterId) }),
    advertInterface: vmacName ?? c2.interface,
  };
  return Object.freeze(compiled);
}
