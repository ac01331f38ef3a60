/**
 * `use_vmac`: the virtual router MAC (RFC 3768 §7.3, RFC 5798 §7.3), the compiled interface names
 * (keepalived vrrp_parser.c `vrrp_vmac_handler`: `vrrp.<VRID>` unless named), and the router's order with
 * fake ports — vmac created before the first advert and kept through BACKUP, VIPs on it, deleted on stop
 * after the VIPs (keepalived vrrp_complete_instance / vrrp_restore_interface).
 */
import { LvsError } from '@lvskit/base';
import { FakeClock } from '@lvskit/base/testing';
import { describe, expect, it } from 'vitest';
import { compileInstance, type VrrpInstanceConfig, VrrpRouter, virtualRouterMac } from '../src/index.js';
import { FakeLinkMonitor, FakeOwnership, FakeSegment, FakeVirtualMac } from '../src/testing.js';

const cfg = (over: Partial<VrrpInstanceConfig> = {}): VrrpInstanceConfig => ({
  name: 'VI_1',
  interface: 'eth0',
  virtualRouterId: 51,
  priority: 150,
  virtualIpAddresses: ['198.18.0.100/24'],
  useVmac: true,
  ...over,
});

describe('virtual router MAC', () => {
  it('is 00-00-5E-00-01-{VRID} for IPv4 and 00-00-5E-00-02-{VRID} for IPv6', () => {
    // RFC 3768 §7.3 / RFC 5798 §7.3: the last octet is the VRID; 51 = 0x33, 255 = 0xff.
    expect([...virtualRouterMac(4, 51)]).toEqual([0x00, 0x00, 0x5e, 0x00, 0x01, 0x33]);
    expect([...virtualRouterMac(4, 255)]).toEqual([0x00, 0x00, 0x5e, 0x00, 0x01, 0xff]);
    expect([...virtualRouterMac(6, 1)]).toEqual([0x00, 0x00, 0x5e, 0x00, 0x02, 0x01]);
  });
});

describe('use_vmac in the config compiler', () => {
  it('defaults the name to vrrp.<VRID>, puts dev-less VIPs and adverts on it', () => {
    const c = compileInstance(
      cfg({ virtualIpAddresses: ['198.18.0.100/24', { address: '198.18.1.5/24', dev: 'eth1' }] }),
      '198.18.0.1',
    );
    expect(c.vmac?.ifname).toBe('vrrp.51');
    expect(c.vmac?.base).toBe('eth0');
    expect([...(c.vmac?.mac ?? [])]).toEqual([0, 0, 0x5e, 0, 1, 51]);
    expect(c.advertInterface).toBe('vrrp.51');
    expect(c.interface).toBe('eth0');
    // keepalived: an explicit `dev` wins; only dev-less VIPs follow the instance interface (the vmac).
    expect(c.virtualAddresses.map((v) => v.dev)).toEqual(['vrrp.51', 'eth1']);
  });
  it('takes a name; off means the plain interface', () => {
    expect(compileInstance(cfg({ useVmac: 'vip51' }), '198.18.0.1').vmac?.ifname).toBe('vip51');
    const off = compileInstance(cfg({ useVmac: false }), '198.18.0.1');
    expect(off.vmac).toBeNull();
    expect(off.advertInterface).toBe('eth0');
    expect(off.virtualAddresses[0]?.dev).toBe('eth0');
  });
  it('rejects bad names and IPv6 with VRRP_INVALID_CONFIG', () => {
    for (const useVmac of ['', 'a name', 'x'.repeat(16), 'eth0']) {
      expect(() => compileInstance(cfg({ useVmac }), '198.18.0.1')).toThrowError(
        expect.objectContaining({ code: 'VRRP_INVALID_CONFIG' }),
      );
    }
    expect(() => compileInstance(cfg({ virtualIpAddresses: ['2001:db8::1/64'], version: 3 }), 'fe80::1')).toThrowError(
      /use_vmac with IPv6/,
    );
  });
});

describe('a use_vmac router with fake ports', () => {
  it('creates the vmac before starting, keeps it as BACKUP, removes it after the VIPs on stop', async () => {
    const clock = new FakeClock(0);
    const seg = new FakeSegment(clock);
    const own = new FakeOwnership();
    const vm = new FakeVirtualMac();
    const r = new VrrpRouter(cfg({ sourceIp: '198.18.0.1' }), {
      transport: seg.transport('198.18.0.1'),
      ownership: own,
      linkMonitor: new FakeLinkMonitor(),
      vmacLink: vm,
      clock,
    });
    await r.start();
    expect(vm.log).toEqual(['create vrrp.51 on eth0 00:00:5e:00:01:33']);
    expect(r.state).toBe('BACKUP'); // keepalived keeps the vmac up in BACKUP
    expect(vm.present.has('vrrp.51')).toBe(true);
    clock.advance(5000); // past MDI(150) = 3.414 s: alone on the segment → MASTER
    await r.settled();
    expect(r.state).toBe('MASTER');
    expect(own.log[0]).toBe('add 198.18.0.100/24 vrrp.51');
    await r.stop();
    expect(own.log).toContain('del 198.18.0.100/24 vrrp.51');
    expect(vm.log).toEqual(['create vrrp.51 on eth0 00:00:5e:00:01:33', 'destroy vrrp.51']);
    expect(vm.present.size).toBe(0);
  });
  it('a failed vmac creation fails start and opens nothing', async () => {
    const clock = new FakeClock(0);
    const vm = new FakeVirtualMac();
    vm.failCreate = new LvsError('VRRP_OWNERSHIP_FAILED', 'no macvlan');
    let opened = false;
    const seg = new FakeSegment(clock);
    const r = new VrrpRouter(cfg({ sourceIp: '198.18.0.1' }), {
      get transport() {
        opened = true;
        return seg.transport('198.18.0.1');
      },
      ownership: new FakeOwnership(),
      linkMonitor: new FakeLinkMonitor(),
      vmacLink: vm,
      clock,
    });
    await expect(r.start()).rejects.toMatchObject({ code: 'VRRP_OWNERSHIP_FAILED' });
    expect(opened).toBe(false);
    expect(r.state).toBe('INIT');
  });
});
