/**
 * The DR real-server helper against a fake namespace that answers `ip` and `sysctl` the way iproute2 and
 * procps print: what it changes, that undo restores exactly the previous state, and the rollback on failure.
 * The real commands in a real namespace are exercised by test/lab/dr-realserver.test.ts.
 */
import type { CommandRunner } from '@lvskit/base';
import { describe, expect, it } from 'vitest';
import { applyDrRealServer, applyTunRealServer, DR_ARP_SYSCTLS, TUN_RP_FILTER_SYSCTLS } from '../src/index.js';

interface FakeNs {
  sysctls: Record<string, string>;
  loUp: boolean;
  loAddrs: string[];
  /** undefined: no ipip module (no tunl0); else whether tunl0 is up. */
  tunl0?: boolean;
}

function fakeNamespace(initial: FakeNs, failOn?: RegExp) {
  const state: FakeNs = structuredClone(initial);
  const log: string[] = [];
  const run: CommandRunner = async (argv) => {
    const line = argv.join(' ');
    log.push(line);
    const ok = (stdout = '') => ({ code: 0, stdout, stderr: '', timedOut: false });
    if (failOn?.test(line))
      return { code: 2, stdout: '', stderr: 'RTNETLINK answers: Operation not permitted', timedOut: false };
    if (line === 'ip netns list') return ok('lvsk000000-rs1 (id: 3)\nother\n');
    const cmd = argv.slice(0, 4).join(' ') === 'ip netns exec lvsk000000-rs1' ? argv.slice(4) : argv;
    const c = cmd.join(' ');
    if (cmd[0] === 'sysctl' && cmd[1] === '-n') return ok(`${state.sysctls[cmd[2]!]}\n`);
    if (cmd[0] === 'sysctl' && cmd[2] === '-w') {
      const [k, v] = cmd[3]!.split('=') as [string, string];
      state.sysctls[k] = v;
      return ok();
    }
    if (c === 'ip -o link show dev lo') {
      return ok(`1: lo: <LOOPBACK${state.loUp ? ',UP,LOWER_UP' : ''}> mtu 65536 qdisc noop state DOWN mode DEFAULT\n`);
    }
    if (c === 'ip -o addr show dev lo') {
      return ok(
        state.loAddrs.map((a) => `1: lo    inet${a.includes(':') ? '6' : ''} ${a} scope host lo\\n`).join('\n'),
      );
    }
    if (c === 'ip -o link show dev tunl0') {
      if (state.tunl0 === undefined)
        return { code: 1, stdout: '', stderr: 'Device "tunl0" does not exist.', timedOut: false };
      return ok(`5: tunl0@NONE: <NOARP${state.tunl0 ? ',UP,LOWER_UP' : ''}> mtu 1480 qdisc noop state DOWN\n`);
    }
    if (c === 'ip link set dev tunl0 up' || c === 'ip link set dev tunl0 down') {
      state.tunl0 = c.endsWith('up');
      return ok();
    }
    if (c === 'ip link set dev lo up' || c === 'ip link set dev lo down') {
      state.loUp = c.endsWith('up');
      return ok();
    }
    if (cmd[0] === 'ip' && cmd[1] === 'addr' && cmd[2] === 'add') {
      state.loAddrs.push(cmd[3]!);
      return ok();
    }
    if (cmd[0] === 'ip' && cmd[1] === 'addr' && cmd[2] === 'del') {
      state.loAddrs = state.loAddrs.filter((a) => a !== cmd[3]);
      return ok();
    }
    return { code: 127, stdout: '', stderr: `unexpected command ${c}`, timedOut: false };
  };
  return { state, log, run };
}

const fresh: FakeNs = {
  // A fresh namespace: lo down, only defaults (arp_ignore 0, arp_announce 0), one sysctl already as wanted.
  sysctls: {
    'net.ipv4.conf.lo.arp_ignore': '0',
    'net.ipv4.conf.lo.arp_announce': '0',
    'net.ipv4.conf.all.arp_ignore': '1',
    'net.ipv4.conf.all.arp_announce': '0',
  },
  loUp: false,
  loAddrs: ['127.0.0.1/8', '::1/128'],
};

describe('applyDrRealServer (lvs_server.sh start/stop as an API)', () => {
  it('puts each VIP on lo as a host address, sets the ARP sysctls, brings lo up — inside the namespace', async () => {
    const ns = fakeNamespace(fresh);
    const rs = await applyDrRealServer({
      vips: ['198.18.0.100', '2001:db8::100'],
      netns: 'lvsk000000-rs1',
      run: ns.run,
    });
    expect(ns.state.loAddrs).toEqual(['127.0.0.1/8', '::1/128', '198.18.0.100/32', '2001:db8::100/128']);
    expect(ns.state.sysctls).toEqual(DR_ARP_SYSCTLS);
    expect(ns.state.loUp).toBe(true);
    expect(rs.addedVips).toEqual(['198.18.0.100', '2001:db8::100']);
    expect(rs.broughtLoopbackUp).toBe(true);
    // Every command but the namespace listing ran through `ip netns exec`.
    expect(ns.log.slice(1).every((l) => l.startsWith('ip netns exec lvsk000000-rs1 '))).toBe(true);
    // The sysctl already at its value is not written.
    expect(ns.log.some((l) => l.includes('net.ipv4.conf.all.arp_ignore='))).toBe(false);
  });

  it('undo restores exactly the previous state', async () => {
    const ns = fakeNamespace(fresh);
    const rs = await applyDrRealServer({ vips: ['198.18.0.100'], netns: 'lvsk000000-rs1', run: ns.run });
    await rs.undo();
    expect(ns.state).toEqual(fresh);
    await expect(rs.undo()).rejects.toMatchObject({ code: 'RS_STATE' });
  });

  it('leaves a VIP that was already on lo, and an lo that was already up, as they were', async () => {
    const before: FakeNs = { ...structuredClone(fresh), loUp: true, loAddrs: ['127.0.0.1/8', '198.18.0.100/32'] };
    const ns = fakeNamespace(before);
    const rs = await applyDrRealServer({ vips: ['198.18.0.100'], netns: 'lvsk000000-rs1', run: ns.run });
    expect(rs.addedVips).toEqual([]);
    expect(rs.broughtLoopbackUp).toBe(false);
    await rs.undo();
    expect(ns.state).toEqual(before);
  });

  it('a failing step rolls back what was done and throws RS_COMMAND_FAILED', async () => {
    const ns = fakeNamespace(fresh, /arp_announce=2/);
    await expect(
      applyDrRealServer({ vips: ['198.18.0.100'], netns: 'lvsk000000-rs1', run: ns.run }),
    ).rejects.toMatchObject({ code: 'RS_COMMAND_FAILED' });
    expect(ns.state).toEqual(fresh);
  });

  it('refuses a missing namespace, and an unspecified one, before running anything but the listing', async () => {
    const ns = fakeNamespace(fresh);
    await expect(
      applyDrRealServer({ vips: ['198.18.0.100'], netns: 'lvsk000000-nope', run: ns.run }),
    ).rejects.toMatchObject({
      code: 'RS_NAMESPACE_REQUIRED',
    });
    await expect(
      applyDrRealServer({ vips: ['198.18.0.100'], netns: undefined as unknown as string, run: ns.run }),
    ).rejects.toMatchObject({ code: 'RS_NAMESPACE_REQUIRED' });
    expect(ns.log).toEqual(['ip netns list']);
    expect(ns.state).toEqual(fresh);
  });

  it('rejects a malformed VIP with INVALID_ARGUMENT and changes nothing', async () => {
    const ns = fakeNamespace(fresh);
    await expect(
      applyDrRealServer({ vips: ['198.18.0.300'], netns: 'lvsk000000-rs1', run: ns.run }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(ns.log).toEqual([]);
  });

  it('acts in the own namespace only when asked with { root: true } (fake runner: nothing real runs)', async () => {
    const ns = fakeNamespace(fresh);
    const rs = await applyDrRealServer({ vips: ['198.18.0.100'], netns: { root: true }, run: ns.run });
    expect(ns.log.every((l) => !l.startsWith('ip netns'))).toBe(true);
    await rs.undo();
    expect(ns.state).toEqual(fresh);
  });
});

describe('applyTunRealServer', () => {
  it('without the ipip module: the DR setup, and mode user-space (start the agent); undo restores', async () => {
    const ns = fakeNamespace(fresh);
    const rs = await applyTunRealServer({ vips: ['198.18.0.100'], netns: 'lvsk000000-rs1', run: ns.run });
    expect(rs.mode).toBe('user-space');
    expect(ns.state.loAddrs).toContain('198.18.0.100/32');
    await rs.undo();
    expect(ns.state).toEqual(fresh);
  });

  it('with tunl0: brings it up and turns rp_filter off on tunl0 and all; undo restores exactly', async () => {
    const before: FakeNs = {
      ...structuredClone(fresh),
      tunl0: false,
      sysctls: { ...fresh.sysctls, 'net.ipv4.conf.tunl0.rp_filter': '1', 'net.ipv4.conf.all.rp_filter': '2' },
    };
    const ns = fakeNamespace(before);
    const rs = await applyTunRealServer({ vips: ['198.18.0.100'], netns: 'lvsk000000-rs1', run: ns.run });
    expect(rs.mode).toBe('kernel');
    expect(ns.state.tunl0).toBe(true);
    for (const [k, v] of Object.entries(TUN_RP_FILTER_SYSCTLS)) expect(ns.state.sysctls[k]).toBe(v);
    await rs.undo();
    expect(ns.state).toEqual(before);
    await expect(rs.undo()).rejects.toMatchObject({ code: 'RS_STATE' });
  });

  it('a failing tunl0 step undoes the DR part too', async () => {
    const before: FakeNs = { ...structuredClone(fresh), tunl0: false };
    const ns = fakeNamespace(before, /tunl0 up/);
    await expect(
      applyTunRealServer({ vips: ['198.18.0.100'], netns: 'lvsk000000-rs1', run: ns.run }),
    ).rejects.toMatchObject({ code: 'RS_COMMAND_FAILED' });
    expect(ns.state).toEqual(before);
  });
});
