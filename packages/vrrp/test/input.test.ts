/**
 * Hostile configuration (issue #11 items 6, 9, 10, 13): typos, unknown keys, `null` values and wrong shapes
 * given to every VRRP config/validate/decode entry are refused with one coded `LvsError` whose issues name
 * the key as written and the bad value — every issue at once, never a raw `TypeError` — and keepalived's
 * global `vrrp_version` / `vrrp_mcast_group4` / `vrrp_mcast_group6` reach instances that do not set their own.
 */
import { LvsError as BaseLvsError, formatIp, type LvsIssue } from '@lvskit/base';
import { FakeClock } from '@lvskit/base/testing';
import { describe, expect, it } from 'vitest';
import {
  compileInstance,
  encodeAdvert,
  LvsError,
  passAuthData,
  splitCommand,
  type TrackingConfig,
  TrackingController,
  type VrrpInstanceConfig,
  VrrpMachine,
  VrrpRouter,
  VrrpScriptSet,
  VrrpSyncGroup,
  VrrpView,
  validateTracking,
  virtualRouterMac,
} from '../src/index.js';
import { FakeOwnership } from '../src/testing.js';

const ME = '198.18.0.2';
const base: VrrpInstanceConfig = {
  name: 'VI_1',
  interface: 'eth0',
  virtualRouterId: 51,
  virtualIpAddresses: ['198.18.0.100/24'],
};

/** The LvsError `f` throws (fails when it returns or throws anything else). */
function refusal(f: () => unknown): LvsError {
  try {
    f();
  } catch (err) {
    expect(LvsError.is(err), `not an LvsError: ${String(err)}`).toBe(true);
    return err as LvsError;
  }
  throw new Error('expected a refusal');
}

const at = (err: LvsError, ...path: (string | number)[]): LvsIssue | undefined =>
  err.issues.find((i) => JSON.stringify(i.path) === JSON.stringify(path));

const compile = (over: Record<string, unknown>, primary = ME) =>
  compileInstance({ ...base, ...over } as unknown as VrrpInstanceConfig, primary);

describe('LvsError from @lvskit/vrrp', () => {
  it('is re-exported, the very object of @lvskit/base', () => {
    expect(LvsError).toBe(BaseLvsError);
  });
});

describe('vrrp_instance typos and nulls (issue #11 item 6)', () => {
  it('refuses a VIP written 198.18.0.100/ (not /0) and an explicit /0, naming the value', () => {
    for (const vip of ['198.18.0.100/', '198.18.0.100/0', '198.18.0.100/24/8', '198.18.0.100/x']) {
      const err = refusal(() => compile({ virtualIpAddresses: [vip] }));
      expect(err.code).toBe('VRRP_INVALID_CONFIG');
      expect(at(err, 'virtualIpAddresses', 0)?.message).toContain(JSON.stringify(vip));
    }
    expect(compile({ virtualIpAddresses: ['198.18.0.100/32'] }).virtualAddresses[0]?.prefix).toBe(32);
  });
  it('refuses VIPs given as one string, naming the value', () => {
    const err = refusal(() => compile({ virtualIpAddresses: '198.18.0.100' }));
    expect(at(err, 'virtualIpAddresses')?.message).toMatch(/list.*"198\.18\.0\.100"/);
  });
  it('refuses unknown keys, naming key and value, with the key meant for keepalived spellings', () => {
    const err = refusal(() => compile({ advert_int: 2, prio: 120, virtualRouterID: 5 }));
    expect(at(err, 'advert_int')?.message).toMatch(/unknown key "advert_int" \(value 2\).*"advertInt"/);
    expect(at(err, 'prio')?.message).toMatch(/unknown key "prio" \(value 120\)/);
    expect(at(err, 'virtualRouterID')?.message).toMatch(/"virtualRouterId"/);
    expect(err.issues).toHaveLength(3);
  });
  it('refuses unknown keys inside a VIP object and inside authentication', () => {
    const err = refusal(() =>
      compile({
        virtualIpAddresses: [{ address: '198.18.0.100', device: 'eth1' }],
        authentication: { type: 'PASS', password: 'x', auth_pass: 'y' },
      }),
    );
    expect(at(err, 'virtualIpAddresses', 0, 'device')?.message).toMatch(/unknown key "device" \(value "eth1"\)/);
    expect(at(err, 'authentication', 'auth_pass')?.message).toMatch(/did you mean "password"/);
  });
  it.each([
    'advertInt',
    'priority',
    'preemptDelay',
    'unicastTtl',
    'multicastGroup',
    'sourceIp',
    'nopreempt',
    'garpMasterDelay',
    'downTimerAdverts',
    'useVmac',
    'virtualIpAddresses',
    'name',
  ])('refuses %s: null once, naming the key (it used to mean the default)', (key) => {
    const err = refusal(() => compile({ [key]: null }));
    expect(err.code).toBe('VRRP_INVALID_CONFIG');
    expect(err.issues.filter((i) => i.path[0] === key)).toEqual([
      expect.objectContaining({ path: [key], message: expect.stringMatching(new RegExp(`^${key} .*null`)) }),
    ]);
  });
  it('refuses booleans given as strings and a non-multicast mcast_dst_ip', () => {
    const err = refusal(() => compile({ nopreempt: 'yes', checkUnicastSrc: 1, multicastGroup: '198.18.0.9' }));
    expect(at(err, 'nopreempt')?.message).toMatch(/true or false, not "yes"/);
    expect(at(err, 'checkUnicastSrc')?.message).toMatch(/not 1/);
    expect(at(err, 'multicastGroup')?.message).toMatch(/multicast.*"198\.18\.0\.9"/);
  });
});

describe('wrong shapes are coded refusals, never TypeError (issue #11 item 9)', () => {
  const shapes: unknown[] = [undefined, null, 0, 'VI_1', [], [base], true];
  it.each(shapes.map((s) => [s]))('compileInstance(%o)', (s) => {
    expect(refusal(() => compileInstance(s as VrrpInstanceConfig, ME)).code).toBe('VRRP_INVALID_CONFIG');
  });
  it('compileInstance with a unicast_peer or source of the wrong type, a bigint, a VIP list of junk', () => {
    const err = refusal(() =>
      compile({ unicastPeers: '198.18.0.3', sourceIp: 10n, virtualIpAddresses: [null, 7, ['198.18.0.1']] }),
    );
    expect(at(err, 'unicastPeers')?.message).toMatch(/list.*"198\.18\.0\.3"/);
    expect(at(err, 'sourceIp')?.message).toMatch(/10n/);
    expect(at(err, 'virtualIpAddresses', 1)?.message).toMatch(/not 7/);
    expect(refusal(() => compileInstance(base, 42 as unknown as string)).code).toBe('VRRP_INVALID_CONFIG');
  });
  it.each(shapes.map((s) => [s]))('validateTracking(%o) and each list of it', (s) => {
    if (s !== undefined) expect(refusal(() => validateTracking(s as TrackingConfig)).code).toBe('VRRP_INVALID_CONFIG');
    for (const key of ['scripts', 'trackScripts', 'trackInterfaces']) {
      if (s === undefined || (Array.isArray(s) && s.length === 0)) continue;
      const err = refusal(() => validateTracking({ [key]: Array.isArray(s) ? s : [s] } as TrackingConfig));
      expect(err.code).toBe('VRRP_INVALID_CONFIG');
      expect(err.issues[0]?.path[0]).toBe(key);
    }
  });
  it('validateTracking: unknown keys, nulls, a script defined twice, knownScripts not a list', () => {
    const err = refusal(() =>
      validateTracking({
        scripts: [
          { name: 'chk', script: 'true', intervall: 2 },
          { name: 'chk', script: 'true', weight: null },
        ],
        trackScripts: [{ name: 'chk', wieght: 5 }],
        track_interface: [],
      } as unknown as TrackingConfig),
    );
    expect(at(err, 'scripts', 0, 'intervall')?.message).toMatch(/unknown key "intervall" \(value 2\)/);
    expect(at(err, 'scripts', 1, 'weight')?.message).toMatch(/null/);
    expect(at(err, 'scripts', 1, 'name')?.message).toMatch(/defined twice/);
    expect(at(err, 'trackScripts', 0, 'wieght')?.message).toMatch(/unknown key "wieght" \(value 5\)/);
    expect(at(err, 'track_interface')?.message).toMatch(/did you mean "trackInterfaces"/);
    expect(refusal(() => validateTracking({}, 'chk' as unknown as string[])).code).toBe('VRRP_INVALID_CONFIG');
  });
  it('VrrpScriptSet, its watch(), TrackingController, splitCommand, passAuthData, virtualRouterMac', () => {
    expect(refusal(() => new VrrpScriptSet(undefined as unknown as [])).code).toBe('VRRP_INVALID_CONFIG');
    expect(refusal(() => new VrrpScriptSet([], null as never)).code).toBe('INVALID_ARGUMENT');
    const set = new VrrpScriptSet([{ name: 'chk', script: 'true' }], { clock: new FakeClock(0) });
    expect(refusal(() => set.watch(10n as unknown as string, () => {})).code).toBe('VRRP_INVALID_CONFIG');
    expect(refusal(() => set.watch('chk', 'f' as unknown as () => void)).code).toBe('INVALID_ARGUMENT');
    const clock = new FakeClock(0);
    expect(refusal(() => new TrackingController(null as never, 100, 'eth0', { clock }, () => {})).code).toBe(
      'VRRP_INVALID_CONFIG',
    );
    expect(
      refusal(() => new TrackingController({}, 100, 'eth0', null as unknown as { clock: FakeClock }, () => {})).code,
    ).toBe('INVALID_ARGUMENT');
    for (const junk of [undefined, null, 5, ['x']]) {
      expect(refusal(() => splitCommand(junk as unknown as string)).code).toBe('INVALID_ARGUMENT');
      expect(refusal(() => passAuthData(junk as unknown as string)).code).toBe('INVALID_ARGUMENT');
    }
    expect(refusal(() => virtualRouterMac(5 as 4, 1)).code).toBe('INVALID_ARGUMENT');
    expect(refusal(() => virtualRouterMac(4, 10n as unknown as number)).code).toBe('INVALID_ARGUMENT');
  });
  it('VrrpRouter, VrrpSyncGroup, VrrpMachine and its step()', () => {
    const ownership = new FakeOwnership();
    expect(refusal(() => new VrrpRouter(undefined as unknown as VrrpInstanceConfig, { ownership })).code).toBe(
      'VRRP_INVALID_CONFIG',
    );
    expect(refusal(() => new VrrpRouter(base, null as never)).code).toBe('INVALID_ARGUMENT');
    const r1 = new VrrpRouter(base, { ownership });
    for (const [name, members] of [
      [undefined, [r1, r1]],
      ['g', undefined],
      ['g', [r1, {}]],
      ['g', [r1, r1]],
    ] as const) {
      expect(refusal(() => new VrrpSyncGroup(name as string, members as unknown as VrrpRouter[])).code).toBe(
        'VRRP_INVALID_CONFIG',
      );
    }
    expect(r1.syncGroup).toBeUndefined();
    expect(refusal(() => new VrrpMachine(undefined as unknown as ReturnType<typeof compileInstance>)).code).toBe(
      'INVALID_ARGUMENT',
    );
    const m = new VrrpMachine(compileInstance(base, ME));
    m.step({ type: 'start' }, 0);
    const before = { state: m.state, priority: m.effectivePriority, next: m.nextTimeout() };
    for (const [event, now] of [
      [null, 0],
      [{ type: 'timer' }, Number.NaN],
      [{ type: 'priority', total: Number.NaN }, 1],
      [{ type: 'fault', fault: 'yes' }, 1],
    ] as const) {
      expect(refusal(() => m.step(event as never, now)).code).toBe('INVALID_ARGUMENT');
    }
    // A delivery the shell built wrong is a drop, not a crash.
    for (const advert of [null, {}, { bytes: new Uint8Array(8), offset: 4, length: 8 }]) {
      expect(m.step({ type: 'advert', advert: advert as never }, 1)).toEqual([
        expect.objectContaining({ type: 'dropped', reason: 'truncated' }),
      ]);
    }
    expect({ state: m.state, priority: m.effectivePriority, next: m.nextTimeout() }).toEqual(before);
    expect(m.drops.truncated).toBe(3);
  });
  it('VrrpView.reset and encodeAdvert refuse wrong shapes; a view never reads past its buffer', () => {
    expect(refusal(() => new VrrpView().reset(undefined as unknown as Uint8Array, 0, 8)).code).toBe('INVALID_ARGUMENT');
    expect(refusal(() => new VrrpView().reset(new Uint8Array(8), 9, 0)).code).toBe('INVALID_ARGUMENT');
    expect(new VrrpView().reset(new Uint8Array(8), 2, 40).length).toBe(6);
    const out = new Uint8Array(64);
    const fields = { version: 2, family: 4, vrid: 1, priority: 100, interval: 1, addresses: [new Uint8Array(4)] };
    for (const f of [undefined, {}, { ...fields, vrid: 256 }, { ...fields, addresses: [new Uint8Array(16)] }]) {
      expect(refusal(() => encodeAdvert(out, 0, f as never, null)).code).toBe('INVALID_ARGUMENT');
    }
    expect(refusal(() => encodeAdvert(null as unknown as Uint8Array, 0, fields as never, null)).code).toBe(
      'INVALID_ARGUMENT',
    );
    expect(encodeAdvert(out, 0, fields as never, null)).toBe(20);
  });
});

describe('messages (issue #11 item 10)', () => {
  it('report every issue at once, each in the error message, with the bad value and the keepalived keyword', () => {
    const err = refusal(() =>
      compile({ virtualRouterId: 300, priority: 0, advertInt: 0, unicastTtl: 'x', garpMasterRepeat: -1 }),
    );
    expect(err.issues.map((i) => i.path[0])).toEqual([
      'virtualRouterId',
      'priority',
      'advertInt',
      'unicastTtl',
      'garpMasterRepeat',
    ]);
    expect(err.message).toMatch(/^vrrp_instance VI_1 \(5 issues\):/);
    expect(err.message).toMatch(/virtualRouterId: virtual_router_id must be an integer 1\.\.255, not 300/);
    expect(err.message).toMatch(/priority: priority must be an integer 1\.\.255, not 0/);
    expect(err.message).toMatch(/advertInt: advert_int must be a positive number of seconds, not 0/);
    expect(err.message).toMatch(/unicastTtl: unicast_ttl must be an integer 1\.\.255, not "x"/);
    expect(err.message).toMatch(/garpMasterRepeat: garpMasterRepeat \(garp_master_repeat\).*not -1/);
    expect(err.message).not.toMatch(/\0/);
  });
  it('name an IPv6 value as written', () => {
    const err = refusal(() => compile({ virtualIpAddresses: ['2001:2::10/129'] }, '2001:2::1'));
    expect(at(err, 'virtualIpAddresses', 0)?.message).toContain('"2001:2::10/129"');
    const peer = refusal(() => compile({ virtualIpAddresses: ['198.18.0.100'], unicastPeers: ['2001:2::3'] }));
    expect(at(peer, 'unicastPeers', 0)?.message).toMatch(/"2001:2::3" is IPv6/);
  });
});

describe('keepalived global_defs vrrp_version / vrrp_mcast_group4 / vrrp_mcast_group6 (issue #11 item 13)', () => {
  it('default every instance that does not set its own', () => {
    const globals = { version: 3, multicastGroup4: '224.0.0.99', multicastGroup6: 'ff02::99' } as const;
    const v4 = compileInstance(base, ME, globals);
    expect(v4.version).toBe(3);
    expect(formatIp(v4.multicastGroup)).toBe('224.0.0.99');
    const v6 = compileInstance({ ...base, virtualIpAddresses: ['2001:2::10'] }, '2001:2::1', globals);
    expect(formatIp(v6.multicastGroup)).toBe('ff02::99');
    const own = compileInstance({ ...base, version: 2, multicastGroup: '224.0.0.77' }, ME, globals);
    expect(own.version).toBe(2);
    expect(formatIp(own.multicastGroup)).toBe('224.0.0.77');
    expect(compileInstance(base, ME).version).toBe(2);
    expect(formatIp(compileInstance(base, ME).multicastGroup)).toBe('224.0.0.18');
  });
  it('are validated with paths under globals', () => {
    const err = refusal(() =>
      compileInstance(base, ME, { version: 4, multicastGroup4: 'ff02::1', vrrp_mcast_group6: 'x' } as never),
    );
    expect(at(err, 'globals', 'version')?.message).toMatch(/vrrp_version must be 2 or 3, not 4/);
    expect(at(err, 'globals', 'multicastGroup4')?.message).toMatch(/IPv4 multicast.*"ff02::1"/);
    expect(at(err, 'globals', 'vrrp_mcast_group6')?.message).toMatch(/did you mean "multicastGroup6"/);
  });
  it('reach a router through its globals option', async () => {
    const clock = new FakeClock(0);
    const sent: number[] = [];
    const router = new VrrpRouter(
      { ...base, sourceIp: ME },
      {
        clock,
        ownership: new FakeOwnership(),
        globals: { version: 3 },
        transport: {
          family: 4,
          send: (bytes: Uint8Array) => {
            sent.push((bytes[0] as number) >> 4);
          },
          onReceive: () => {},
          close: () => {},
        } as never,
        tracking: { trackInterfaces: [] },
        linkMonitor: { isUp: async () => true },
      },
    );
    await router.start();
    expect(router.config?.version).toBe(3);
    clock.advance(5000);
    expect(sent.length).toBeGreaterThan(0);
    expect(new Set(sent)).toEqual(new Set([3]));
    await router.stop();
  });
});
