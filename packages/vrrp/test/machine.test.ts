/**
 * The state machine driven directly with a fake clock (STYLE rule 3), table by table, each case citing the
 * RFC section or keepalived function whose behaviour it checks. Expected times are derived by hand from the
 * formulas in RFC 3768 §6.1 / RFC 5798 §6.1 and keepalived vrrp.h `VRRP_TIMER_SKEW`, shown in comments.
 */
import { parseIp } from '@lvskit/base';
import { describe, expect, it } from 'vitest';
import {
  type AdvertDropReason,
  compileInstance,
  encodeAdvert,
  masterDownIntervalUs,
  passAuthData,
  type ReceivedAdvert,
  skewTimeUs,
  type VrrpAction,
  type VrrpInstanceConfig,
  VrrpMachine,
} from '../src/index.js';

const ME = '198.18.0.2';
const base: VrrpInstanceConfig = {
  name: 'VI_1',
  interface: 'eth0',
  virtualRouterId: 51,
  priority: 100,
  virtualIpAddresses: ['198.18.0.100/24'],
};
const machine = (over: Partial<VrrpInstanceConfig> = {}): VrrpMachine =>
  new VrrpMachine(compileInstance({ ...base, ...over }, ME));

interface AdvertInit {
  version?: 2 | 3;
  vrid?: number;
  priority?: number;
  interval?: number;
  addresses?: string[];
  pass?: string;
  source?: string;
  destination?: string;
  ttl?: number;
  corrupt?: boolean;
  type?: number;
  length?: number;
  v3AsV2?: boolean;
}
function advert(i: AdvertInit = {}): ReceivedAdvert {
  const version = i.version ?? 2;
  const source = parseIp(i.source ?? '198.18.0.9');
  const destination = parseIp(i.destination ?? '224.0.0.18');
  const bytes = new Uint8Array(64);
  const n = encodeAdvert(
    bytes,
    0,
    {
      version,
      family: 4,
      vrid: i.vrid ?? 51,
      priority: i.priority ?? 150,
      interval: i.interval ?? (version === 2 ? 1 : 100),
      addresses: (i.addresses ?? ['198.18.0.100']).map(parseIp),
      ...(i.pass ? { authType: 1, authData: passAuthData(i.pass) } : {}),
    },
    version === 3 && !i.v3AsV2 ? { source, destination } : null,
  );
  if (i.type !== undefined) bytes[0] = (version << 4) | i.type;
  if (i.corrupt) bytes[2] = (bytes[2] as number) ^ 1;
  return { bytes, offset: 0, length: i.length ?? n, source, destination, ttl: i.ttl ?? 255 };
}
const types = (a: VrrpAction[]): string[] =>
  a.map((x) =>
    x.type === 'send-advert'
      ? `send(${x.priority})`
      : x.type === 'transition'
        ? `${x.from}->${x.to}`
        : x.type === 'gratuitous-arp'
          ? `garp(${x.repeat},${x.reason})`
          : x.type === 'dropped'
            ? `drop(${x.reason})`
            : x.type,
  );

/** Runs the machine to `until` firing timers exactly when due; returns actions with their times. */
function runUntil(m: VrrpMachine, until: number): { at: number; actions: string[] }[] {
  const out: { at: number; actions: string[] }[] = [];
  for (;;) {
    const t = m.nextTimeout();
    if (t > until) return out;
    const a = m.step({ type: 'timer' }, t);
    if (a.length) out.push({ at: t, actions: types(a) });
  }
}

describe('timers (RFC 3768 §6.1, RFC 5798 §6.1, keepalived vrrp.h)', () => {
  it.each([
    // v2 skew = (256-p)·10⁶/256 µs: p=100 → 156·3906.25 = 609375; MDI = 3 s + skew.
    [2, 100, 1_000_000, 609_375, 3_609_375],
    // The keepalived man page's own example: priority 128 → 3.5 s.
    [2, 128, 1_000_000, 500_000, 3_500_000],
    // p=254: 2·10⁶/256 = 7812.5 → 7812 (C integer division).
    [2, 254, 1_000_000, 7_812, 3_007_812],
    // v2 skew does not scale with the interval: advert_int 5, p=100 → 15 s + 0.609375 s.
    [2, 100, 5_000_000, 609_375, 15_609_375],
    // v3 skew = (256-p)·cs·625/16 µs: p=100, 100 cs → 156·100·625/16 = 609375.
    [3, 100, 1_000_000, 609_375, 3_609_375],
    // v3 100 ms: 156·10·625/16 = 60937.5 → 60937; MDI = 300000 + 60937.
    [3, 100, 100_000, 60_937, 360_937],
    // v3 10 ms, p=200: 56·1·625/16 = 2187.5 → 2187.
    [3, 200, 10_000, 2_187, 32_187],
  ] as const)('v%i priority %i interval %i µs: skew %i, Master_Down_Interval %i', (v, p, adv, skew, mdi) => {
    expect(skewTimeUs(v, p, adv)).toBe(skew);
    expect(masterDownIntervalUs(v, p, adv)).toBe(mdi);
  });
});

describe('Initialize (RFC 3768 §6.4.1; keepalived vrrp_init_state)', () => {
  it('a backup becomes master after Master_Down_Interval of silence and announces (keepalived vrrp_state_master_tx)', () => {
    const m = machine();
    expect(types(m.step({ type: 'start' }, 0))).toEqual(['INIT->BACKUP']);
    expect(m.nextTimeout()).toBe(3_609_375);
    const log = runUntil(m, 9_000_000);
    // Advert first, then VIPs and 5 GARPs; 5 more GARPs after garp_master_delay 5 s; adverts every second.
    expect(log[0]).toEqual({
      at: 3_609_375,
      actions: ['BACKUP->MASTER', 'send(100)', 'add-addresses', 'garp(5,become-master)'],
    });
    expect(log.filter((e) => e.actions.includes('send(100)')).map((e) => e.at)).toEqual([
      3_609_375, 4_609_375, 5_609_375, 6_609_375, 7_609_375, 8_609_375,
    ]);
    expect(log.find((e) => e.actions.includes('garp(5,master-delay)'))?.at).toBe(8_609_375);
  });
  it('the address owner (priority 255, state MASTER) takes over after 1 µs (keepalived ms_down_timer = 1)', () => {
    const m = machine({ priority: 255 });
    m.step({ type: 'start' }, 0);
    expect(m.nextTimeout()).toBe(1);
    expect(types(m.step({ type: 'timer' }, 1)).slice(0, 2)).toEqual(['BACKUP->MASTER', 'send(255)']);
  });
  it('state MASTER with priority < 255 still waits Master_Down_Interval (keepalived 2.2.7 vrrp_init_state)', () => {
    const m = machine({ state: 'MASTER', priority: 150 });
    m.step({ type: 'start' }, 0);
    expect(m.nextTimeout()).toBe(masterDownIntervalUs(2, 150, 1_000_000));
  });
  it('state MASTER without a priority means priority 255 (keepalived vrrp_complete_instance)', () => {
    const { priority: _p, ...rest } = base;
    expect(compileInstance({ ...rest, state: 'MASTER' }, ME).priority).toBe(255);
  });
});

describe('Backup (RFC 3768 §6.4.2; keepalived vrrp_state_backup)', () => {
  const backup = (over: Partial<VrrpInstanceConfig> = {}): VrrpMachine => {
    const m = machine(over);
    m.step({ type: 'start' }, 0);
    return m;
  };
  it('an advert with priority ≥ ours resets Master_Down_Timer', () => {
    const m = backup();
    m.step({ type: 'advert', advert: advert({ priority: 150 }) }, 2_000_000);
    expect(m.nextTimeout()).toBe(2_000_000 + 3_609_375);
    m.step({ type: 'advert', advert: advert({ priority: 100, source: '198.18.0.1' }) }, 3_000_000);
    expect(m.nextTimeout()).toBe(3_000_000 + 3_609_375);
    expect(m.masterPriority).toBe(100);
  });
  it('a lower-priority advert is discarded when preempting: the timer keeps running and we take over', () => {
    const m = backup();
    m.step({ type: 'advert', advert: advert({ priority: 50 }) }, 2_000_000);
    expect(m.nextTimeout()).toBe(3_609_375);
    expect(types(m.step({ type: 'timer' }, 3_609_375))[0]).toBe('BACKUP->MASTER');
  });
  it('nopreempt: a lower-priority master is accepted', () => {
    const m = backup({ nopreempt: true });
    m.step({ type: 'advert', advert: advert({ priority: 50 }) }, 2_000_000);
    expect(m.nextTimeout()).toBe(2_000_000 + 3_609_375);
  });
  it('preempt_delay: lower-priority adverts are accepted until the delay has run from the first one', () => {
    const m = backup({ preemptDelay: 10 });
    m.step({ type: 'advert', advert: advert({ priority: 50 }) }, 1_000_000); // preempt_time = 11 s
    for (let t = 2_000_000; t <= 10_000_000; t += 1_000_000) {
      m.step({ type: 'advert', advert: advert({ priority: 50 }) }, t);
      expect(m.state).toBe('BACKUP');
    }
    expect(m.nextTimeout()).toBe(10_000_000 + 3_609_375);
    // At 11 s preempt_time is no longer in the future (keepalived timercmp >): discarded, timer keeps running.
    m.step({ type: 'advert', advert: advert({ priority: 50 }) }, 11_000_000);
    expect(m.nextTimeout()).toBe(13_609_375);
  });
  it('state MASTER clears preempt_delay, as keepalived does: lower-priority adverts are discarded at once (issue #11 item 13)', () => {
    // keepalived vrrp_complete_instance: "preempt delay will not work with initial state MASTER - clearing".
    expect(compileInstance({ ...base, state: 'MASTER', priority: 150, preemptDelay: 5 }, ME).preemptDelayUs).toBe(0);
    expect(compileInstance({ ...base, priority: 150, preemptDelay: 5 }, ME).preemptDelayUs).toBe(5_000_000);
    const m = backup({ state: 'MASTER', priority: 150, preemptDelay: 5 });
    // MDI(150) = 3 s + 106/256 s = 3_414_062 µs from start; the lower-priority master never resets it.
    m.step({ type: 'advert', advert: advert({ priority: 100 }) }, 1_000_000);
    m.step({ type: 'advert', advert: advert({ priority: 100 }) }, 2_000_000);
    expect(m.nextTimeout()).toBe(3_414_062);
    expect(types(m.step({ type: 'timer' }, 3_414_062))[0]).toBe('BACKUP->MASTER');
  });
  it('priority 0 sets Master_Down_Timer to Skew_Time (RFC 3768 §6.4.2)', () => {
    const m = backup();
    m.step({ type: 'advert', advert: advert({ priority: 150 }) }, 1_000_000);
    m.step({ type: 'advert', advert: advert({ priority: 0 }) }, 2_000_000);
    expect(m.nextTimeout()).toBe(2_000_000 + 609_375);
    expect(m.stats.priorityZeroReceived).toBe(1);
  });
  it('v3 learns Master_Adver_Interval from the advert and recomputes the timers (RFC 5798 §6.4.2)', () => {
    const m = backup({ version: 3, advertInt: 1 });
    m.step({ type: 'advert', advert: advert({ version: 3, interval: 10, priority: 150 }) }, 1_000_000);
    // 3·100 ms + 156·10·625/16 µs = 300000 + 60937.
    expect(m.masterAdverIntUs).toBe(100_000);
    expect(m.nextTimeout()).toBe(1_000_000 + 360_937);
  });
});

describe('Master (RFC 3768 §6.4.3; keepalived vrrp_state_master_rx)', () => {
  const master = (over: Partial<VrrpInstanceConfig> = {}): VrrpMachine => {
    const m = machine(over);
    m.step({ type: 'start' }, 0);
    m.step({ type: 'timer' }, m.nextTimeout());
    expect(m.state).toBe('MASTER');
    return m;
  };
  it('a higher-priority advert sends us to BACKUP and removes the VIPs', () => {
    const m = master();
    const a = m.step({ type: 'advert', advert: advert({ priority: 150 }) }, 5_000_000);
    expect(types(a)).toEqual(['remove-addresses', 'MASTER->BACKUP']);
    expect(m.nextTimeout()).toBe(5_000_000 + 3_609_375);
  });
  it.each([
    ['higher', '198.18.0.9', ['remove-addresses', 'MASTER->BACKUP']],
    ['lower', '198.18.0.1', ['send(100)', 'garp(5,lower-priority)', 'master-rx-lower-priority']],
  ] as const)('equal priority from a %s primary address (RFC 3768 §6.4.3 tie-break)', (_w, src, expected) => {
    const m = master();
    expect(types(m.step({ type: 'advert', advert: advert({ priority: 100, source: src }) }, 5_000_000))).toEqual(
      expected,
    );
  });
  it('a lower-priority advert makes keepalived re-advertise ("forcing new election") and re-send GARPs', () => {
    const m = master();
    const a = m.step({ type: 'advert', advert: advert({ priority: 50 }) }, 5_000_000);
    expect(types(a)).toEqual(['send(100)', 'garp(5,lower-priority)', 'master-rx-lower-priority']);
    // keepalived vrrp_dispatcher_read resets the advert timer after sending.
    expect(m.nextTimeout()).toBe(6_000_000);
  });
  it('lower_prio_no_advert: no advert is sent (RFC behaviour before RFC 9568)', () => {
    const m = master({ lowerPrioNoAdvert: true, garpLowerPrioRepeat: 0 });
    expect(types(m.step({ type: 'advert', advert: advert({ priority: 50 }) }, 5_000_000))).toEqual([
      'master-rx-lower-priority',
    ]);
  });
  it('priority 0 from another router: send an advert at once (RFC 3768 §6.4.3)', () => {
    const m = master();
    expect(types(m.step({ type: 'advert', advert: advert({ priority: 0 }) }, 5_000_000))).toEqual(['send(100)']);
  });
  it('two address owners: the one with the lower address drops to 254 (keepalived CONFIGURATION ERROR rule)', () => {
    const m = master({ priority: 255 });
    const a = m.step({ type: 'advert', advert: advert({ priority: 255, source: '198.18.0.9' }) }, 5_000_000);
    expect(m.effectivePriority).toBe(254);
    expect(types(a)).toEqual(['priority-changed', 'remove-addresses', 'MASTER->BACKUP']);
  });
  it('shutdown sends priority 0 and releases the VIPs (RFC 3768 §6.4.3 Shutdown)', () => {
    const m = master();
    expect(types(m.step({ type: 'shutdown' }, 5_000_000))).toEqual(['send(0)', 'remove-addresses', 'MASTER->INIT']);
    expect(m.nextTimeout()).toBe(Number.POSITIVE_INFINITY);
  });
  it('garp_master_refresh re-announces with the advert that follows the refresh interval', () => {
    const m = master({ garpMasterRefresh: 2, garpMasterRefreshRepeat: 2, garpMasterDelay: 0 });
    // Master at 3.609375 s, refresh due after 5.609375 s; keepalived compares now > refresh_timer strictly, so
    // the advert at exactly 5.609375 s does not refresh and the one at 6.609375 s does; next after 8.609375 s.
    const log = runUntil(m, 11_000_000);
    expect(log.filter((e) => e.actions.includes('garp(2,refresh)')).map((e) => e.at)).toEqual([6_609_375, 9_609_375]);
  });
});

describe('receive validation (RFC 3768 §7.1, RFC 5798 §7.1; keepalived vrrp_check_packet order)', () => {
  it.each([
    ['ttl', { ttl: 64 }, {}],
    ['version', { version: 3 as const }, {}],
    ['vrid', { vrid: 52 }, {}],
    ['checksum', { corrupt: true }, {}],
    ['length', { length: 19 }, {}],
    ['truncated', { length: 7 }, {}],
    ['type', { type: 2 }, {}],
    ['interval-mismatch', { interval: 2 }, {}],
    ['auth-type-mismatch', {}, { authentication: { type: 'PASS' as const, password: 'secret' } }],
    ['auth-failure', { pass: 'other' }, { authentication: { type: 'PASS' as const, password: 'secret' } }],
    ['address-count', { addresses: ['198.18.0.100', '198.18.0.101'] }, {}],
    ['address-list', { addresses: ['198.18.0.101'] }, {}],
    ['destination', { destination: '198.18.0.2' }, {}],
    ['version', { version: 2 as const }, { version: 3 as const }],
    ['checksum', { version: 3 as const, v3AsV2: true }, { version: 3 as const }],
  ] as [AdvertDropReason, AdvertInit, Partial<VrrpInstanceConfig>][])(
    'drops for %s and counts it',
    (reason, adv, cfg) => {
      const m = machine(cfg);
      m.step({ type: 'start' }, 0);
      const a = m.step(
        { type: 'advert', advert: advert({ ...(cfg.version === 3 ? { version: 3 } : {}), ...adv }) },
        1_000_000,
      );
      expect(types(a)).toEqual([`drop(${reason})`]);
      expect(m.drops[reason]).toBe(1);
      // A dropped advert leaves the Master_Down_Timer running.
      expect(m.nextTimeout()).toBe(masterDownIntervalUs(m.config.version, 100, 1_000_000));
    },
  );
  it('accepts a matching PASS advert, and a v3 advert checksummed without pseudo-header with v3_checksum_as_v2', () => {
    const m = machine({ authentication: { type: 'PASS', password: 'secret' } });
    m.step({ type: 'start' }, 0);
    expect(m.step({ type: 'advert', advert: advert({ pass: 'secret' }) }, 1_000_000)).toEqual([]);
    const m3 = machine({ version: 3, v3ChecksumAsV2: true });
    m3.step({ type: 'start' }, 0);
    expect(m3.step({ type: 'advert', advert: advert({ version: 3, v3AsV2: true }) }, 1_000_000)).toEqual([]);
    expect(m3.stats.advertsReceived).toBe(1);
  });
  it('unicast mode skips the TTL check and wants unicast destinations (keepalived)', () => {
    const m = machine({ unicastPeers: ['198.18.0.9'] });
    m.step({ type: 'start' }, 0);
    expect(m.step({ type: 'advert', advert: advert({ ttl: 64, destination: ME }) }, 1_000_000)).toEqual([]);
    expect(types(m.step({ type: 'advert', advert: advert({}) }, 1_000_000))).toEqual(['drop(destination)']);
  });
  it('check_unicast_src drops adverts from addresses that are not peers', () => {
    const m = machine({ unicastPeers: ['198.18.0.9'], checkUnicastSrc: true });
    m.step({ type: 'start' }, 0);
    expect(types(m.step({ type: 'advert', advert: advert({ source: '198.18.0.8', destination: ME }) }, 1))).toEqual([
      'drop(unicast-source)',
    ]);
  });
  it('an advert for another VRID does not delay the adverts of a master (keepalived dispatches by VRID first)', () => {
    const m = machine();
    m.step({ type: 'start' }, 0);
    m.step({ type: 'timer' }, 3_609_375);
    m.step({ type: 'advert', advert: advert({ vrid: 52 }) }, 4_000_000);
    expect(m.nextTimeout()).toBe(4_609_375);
    // A packet of our VRID reaching master_rx re-arms the advert timer (keepalived vrrp_dispatcher_read).
    m.step({ type: 'advert', advert: advert({ priority: 50 }) }, 4_100_000);
    expect(m.nextTimeout()).toBe(5_100_000);
  });
  it('ignores adverts in FAULT (keepalived vrrp_dispatcher_read)', () => {
    const m = machine();
    m.step({ type: 'fault', fault: true }, 0);
    m.step({ type: 'start' }, 0);
    expect(m.state).toBe('FAULT');
    expect(types(m.step({ type: 'advert', advert: advert() }, 1))).toEqual(['drop(not-running)']);
  });
});

describe('tracking (keepalived vrrp_set_effective_priority, try_up_instance)', () => {
  it('clamps the total priority to 1..254 and moves a backup timer by the change in Master_Down_Interval', () => {
    const m = machine();
    m.step({ type: 'start' }, 0);
    m.step({ type: 'priority', total: 300 }, 0);
    expect(m.effectivePriority).toBe(254);
    // MDI(254) − MDI(100) = 7812 − 609375.
    expect(m.nextTimeout()).toBe(3_609_375 + 7_812 - 609_375);
    m.step({ type: 'priority', total: -5 }, 0);
    expect(m.effectivePriority).toBe(1);
  });
  it('never changes the owner priority', () => {
    const m = machine({ priority: 255 });
    m.step({ type: 'priority', total: 200 }, 0);
    expect(m.effectivePriority).toBe(255);
  });
  it('a fault takes a master to FAULT with a priority-0 advert; clearing it returns to BACKUP', () => {
    const m = machine();
    m.step({ type: 'start' }, 0);
    m.step({ type: 'timer' }, 3_609_375);
    expect(types(m.step({ type: 'fault', fault: true }, 4_000_000))).toEqual([
      'send(0)',
      'remove-addresses',
      'MASTER->FAULT',
    ]);
    expect(types(m.step({ type: 'fault', fault: false }, 5_000_000))).toEqual(['FAULT->BACKUP']);
    expect(m.nextTimeout()).toBe(5_000_000 + 3_609_375);
  });
});

describe('configuration (keepalived vrrp_complete_instance, stricter)', () => {
  it.each([
    [{ virtualRouterId: 0 }, 'virtualRouterId'],
    [{ advertInt: 1.5 }, 'advertInt'],
    [{ version: 3 as const, advertInt: 0.015 }, 'advertInt'],
    [{ authentication: { type: 'PASS' as const, password: 'toolongpass' } }, 'authentication'],
    [{ version: 3 as const, authentication: { type: 'PASS' as const, password: 'x' } }, 'authentication'],
    [{ virtualIpAddresses: ['198.18.0.1', 'fe80::1'] }, 'virtualIpAddresses'],
    [{ state: 'MASTER' as const, nopreempt: true }, 'nopreempt'],
    [{ virtualIpAddresses: ['198.18.0.100/'] }, 'virtualIpAddresses'],
    [{ virtualIpAddresses: '198.18.0.100' as unknown as string[] }, 'virtualIpAddresses'],
    [{ virtualIpAddresses: [null as unknown as string] }, 'virtualIpAddresses'],
  ])('rejects %o with VRRP_INVALID_CONFIG at %s', (over, path) => {
    expect(() => compileInstance({ ...base, ...over }, ME)).toThrow(
      expect.objectContaining({
        code: 'VRRP_INVALID_CONFIG',
        issues: expect.arrayContaining([expect.objectContaining({ path: expect.arrayContaining([path]) })]),
      }),
    );
  });
  it.each(['garpMasterDelay', 'garpMasterRefresh', 'garpLowerPrioDelay'] as const)(
    'refuses %s of 2^31 ms or more with TIMER_RANGE, naming the limit (issue #11 item 2)',
    (key) => {
      try {
        compileInstance({ ...base, [key]: 2 ** 31 / 1000 }, ME);
        expect.unreachable();
      } catch (e) {
        const err = e as { code: string; issues: { path: unknown[]; code: string; message: string }[] };
        expect(err.code).toBe('VRRP_INVALID_CONFIG');
        expect(err.issues).toEqual([expect.objectContaining({ path: [key], code: 'TIMER_RANGE' })]);
        expect(err.issues[0]?.message).toMatch(/2147483647 ms/);
      }
      expect(() => compileInstance({ ...base, [key]: 2_147_483 }, ME)).not.toThrow();
    },
  );
  it('reports every issue at once', () => {
    try {
      compileInstance({ ...base, virtualRouterId: 300, priority: 0, advertInt: 0 }, ME);
      expect.unreachable();
    } catch (e) {
      expect((e as { issues: unknown[] }).issues).toHaveLength(3);
    }
  });
});
