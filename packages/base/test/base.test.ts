import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  addrFold,
  checkDelay,
  describe as describeValue,
  execCommand,
  formatEndpoint,
  formatIp,
  formatMac,
  formatPath,
  IssueList,
  ipFamily,
  isUnicast,
  LvsError,
  MAX_TIMER_DELAY_MS,
  parseAddress,
  parseIp,
  parseMac,
  parsePrefix,
  protocolNumber,
  systemClock,
  TypedEmitter,
} from '../src/index.js';
import { FakeClock, FakeCommandRunner } from '../src/testing.js';

describe('addresses', () => {
  it('parses and formats IPv4 and IPv6 (RFC 5952)', () => {
    expect([...parseIp('198.18.0.1')]).toEqual([198, 18, 0, 1]);
    expect(formatIp(parseIp('2001:0002:0000:0000:0000:0000:0000:0001'))).toBe('2001:2::1');
    expect(formatIp(parseIp('::ffff:198.18.0.1'))).toBe('::ffff:c612:1');
    expect(formatIp(parseIp('::198.18.0.1'))).toBe('::c612:1');
    expect(formatIp(parseIp('1:2:3:4:5:6:198.18.0.1'))).toBe('1:2:3:4:5:6:c612:1');
    expect(formatIp(parseIp('1:0:0:2:0:0:0:3'))).toBe('1:0:0:2::3');
    expect(formatIp(parseIp('::'))).toBe('::');
    expect(parseAddress('198.18.0.1').bytes.length).toBe(16);
    expect(parseAddress('2001:2::1').family).toBe(6);
  });
  it('refuses what is not an address, with the value', () => {
    for (const bad of [
      '',
      '1.2.3',
      '256.1.1.1',
      '01.2.3.4',
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      'fe80::1%eth0',
      ':',
      '1:',
    ]) {
      expect(() => parseIp(bad), bad).toThrow(LvsError);
      expect(ipFamily(bad), bad).toBeUndefined();
    }
    expect(() => parseIp(undefined as unknown as string)).toThrow(/not an IP address: undefined/);
    expect(ipFamily(42)).toBeUndefined();
  });
  it('tells unicast from unspecified, multicast and broadcast', () => {
    for (const a of ['0.0.0.0', '224.0.0.1', '239.255.255.255', '255.255.255.255', '::', 'ff02::1'])
      expect(isUnicast(parseIp(a)), a).toBe(false);
    for (const a of ['198.18.0.1', '223.255.255.255', '2001:2::1', '::1']) expect(isUnicast(parseIp(a)), a).toBe(true);
  });
  it('prefixes, endpoints, MACs, the kernel fold', () => {
    expect(parsePrefix('198.18.0.100/24').length).toBe(24);
    expect(parsePrefix('2001:2::1').length).toBe(128);
    expect(() => parsePrefix('198.18.0.100/')).toThrow(LvsError);
    expect(() => parsePrefix('198.18.0.100/33')).toThrow(LvsError);
    expect(formatEndpoint('2001:2::1', 80)).toBe('[2001:2::1]:80');
    expect(formatEndpoint(parseIp('198.18.0.1'), 80)).toBe('198.18.0.1:80');
    expect(formatMac(parseMac('02:0A:0b:00:00:01'))).toBe('02:0a:0b:00:00:01');
    expect(formatMac(parseMac('2-a-b-0-0-1'))).toBe('02:0a:0b:00:00:01');
    expect(() => parseMac('02:0a:0b-00:00:01')).toThrow(LvsError);
    for (const bad of ['02:00:5e:10:00', '02:00:5e:10:00:7g', '', '0200.5e10.007f'])
      expect(() => parseMac(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(addrFold(4, parseIp('192.168.1.10'))).toBe(0xc0a8010a);
    expect(addrFold(6, parseIp('::1:0:0:0:1'))).toBe(0);
    expect(protocolNumber('udp')).toBe(17);
    expect(() => protocolNumber('htp' as 'tcp')).toThrow(/unknown protocol: "htp"/);
  });
});

describe('IssueList', () => {
  it('collects every issue and throws once with the user path', () => {
    const list = new IssueList();
    list.throwIfAny('INVALID_ARGUMENT', 'nothing');
    list.add(['services', 0, 'weight'], 'INVALID_ARGUMENT', 'bad weight -1');
    list.addError(['vips', 1], new LvsError('INVALID_ARGUMENT', 'not an IP address: "x"'));
    list.addError(['x'], new TypeError('boom'));
    let caught: unknown;
    try {
      list.throwIfAny('INVALID_ARGUMENT', 'invalid config');
    } catch (err) {
      caught = err;
    }
    expect(LvsError.is(caught)).toBe(true);
    const e = caught as LvsError;
    expect(e.issues.map((i) => i.path)).toEqual([['services', 0, 'weight'], ['vips', 1], ['x']]);
    expect(e.message).toContain('services[0].weight: bad weight -1');
    expect(e.message).toContain('(3 issues)');
  });
});

describe('clock', () => {
  it('refuses delays Node cannot hold', () => {
    expect(() => checkDelay(MAX_TIMER_DELAY_MS + 1, 'delay_loop')).toThrow(/delay_loop.*2147483647/);
    expect(() => systemClock.setTimeout(() => {}, 2 ** 31)).toThrow(expect.objectContaining({ code: 'TIMER_RANGE' }));
    expect(() => checkDelay(Number.NaN)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(checkDelay(-5)).toBe(0);
    expect(() => new FakeClock().setTimeout(() => {}, 2 ** 31)).toThrow(LvsError);
  });
  it('FakeClock fires in due order, each at its own time, and forgets fired timers', () => {
    const c = new FakeClock(100);
    const seen: string[] = [];
    c.setTimeout(() => seen.push(`b@${c.now()}`), 20);
    c.setTimeout(() => {
      seen.push(`a@${c.now()}`);
      c.setTimeout(() => seen.push(`c@${c.now()}`), 5);
    }, 10);
    const d = c.setTimeout(() => seen.push('d'), 10);
    d.cancel();
    d.cancel();
    c.setTimeout(() => seen.push(`e@${c.now()}`), 10);
    expect(c.pending).toBe(3);
    c.advance(30);
    expect(seen).toEqual(['a@110', 'e@110', 'c@115', 'b@120']);
    expect(c.now()).toBe(130);
    expect(c.pending).toBe(0);
    for (let i = 0; i < 10_000; i++) c.setTimeout(() => {}, i % 7).cancel();
    c.advance(10);
    expect(c.pending).toBe(0);
  });
  it('advanceAsync lets awaited work progress between timers', async () => {
    const c = new FakeClock();
    const seen: number[] = [];
    const sleep = (ms: number) => new Promise<void>((r) => c.setTimeout(r, ms));
    void (async () => {
      for (let i = 0; i < 3; i++) {
        await sleep(100);
        seen.push(c.now());
      }
    })();
    await c.advanceAsync(350);
    expect(seen).toEqual([100, 200, 300]);
  });
});

describe('TypedEmitter', () => {
  class Thing extends TypedEmitter<{ up: { name: string }; down: number }> {
    built = 0;
    fire(): void {
      this.emitWith('up', () => {
        this.built++;
        return { name: 'x' };
      });
      this.emit('down', 1);
    }
  }
  it('builds payloads only for listeners; on() returns an unsubscribe', () => {
    const t = new Thing();
    t.fire();
    expect(t.built).toBe(0);
    const got: string[] = [];
    const off = t.on('up', (e) => got.push(e.name));
    t.once('down', (n) => got.push(String(n)));
    t.fire();
    t.fire();
    off();
    off();
    t.fire();
    expect(got).toEqual(['x', '1', 'x']);
    expect(t.built).toBe(2);
    expect(t.listens('up')).toBe(false);
  });
});

describe('commands', () => {
  it('runs an argv without a shell, kills on timeout', async () => {
    const ok = await execCommand(['/bin/sh', '-c', 'echo $0 hi', 'a;b']);
    expect(ok).toMatchObject({ code: 0, stdout: 'a;b hi\n', timedOut: false });
    const fail = await execCommand(['/bin/sh', '-c', 'exit 3']);
    expect(fail.code).toBe(3);
    const slow = await execCommand(['/bin/sleep', '5'], { timeoutMs: 50 });
    expect(slow.timedOut).toBe(true);
    const missing = await execCommand(['/nonexistent/program']);
    expect(missing.code).toBe(127);
    expect((await execCommand([])).code).toBe(127);
  });
  it('processGroup: a timeout ends the script and the children it left in the background, as keepalived does', async () => {
    // Alive and not a zombie (a container's init may reap late): /proc/<pid>/stat's state field.
    const alive = (pid: number) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return !/^\d+ \(.*\) [ZX]/.test(stat);
      } catch {
        return false;
      }
    };
    const ok = await execCommand(['/bin/sh', '-c', 'echo out; echo err >&2; exit 4'], { processGroup: true });
    expect(ok).toEqual({ code: 4, stdout: 'out\n', stderr: 'err\n', timedOut: false });
    // A script that starts a background child (which keeps the output pipes) and hangs.
    const started = Date.now();
    const hung = await execCommand(['/bin/sh', '-c', 'sleep 30 & echo $!; exec sleep 30'], {
      processGroup: true,
      timeoutMs: 200,
    });
    expect(hung.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(3_000);
    const child = Number(hung.stdout.trim());
    expect(child).toBeGreaterThan(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(alive(child)).toBe(false);
    // A script that ignores SIGTERM gets SIGKILL after the grace period.
    const stubborn = await execCommand(['/bin/sh', '-c', "trap '' TERM; sleep 30 & wait"], {
      processGroup: true,
      timeoutMs: 100,
    });
    expect(stubborn.timedOut).toBe(true);
    // Without processGroup the same hung script's child outlives it (the PID-only kill) — the difference.
    const plain = await execCommand(['/bin/sh', '-c', 'sleep 2 & echo $!; exec sleep 30'], { timeoutMs: 200 });
    expect(plain.timedOut).toBe(true);
    expect((await execCommand(['/nonexistent/program'], { processGroup: true })).code).toBe(127);
  });
  it('FakeCommandRunner records and answers', async () => {
    const fake = new FakeCommandRunner((argv) => ({ code: argv[0] === 'false' ? 1 : 0 }));
    expect((await fake.runner(['false'])).code).toBe(1);
    expect((await fake.runner(['true'], { timeoutMs: 5 })).code).toBe(0);
    expect(fake.calls.map((c) => c.argv[0])).toEqual(['false', 'true']);
  });
});

describe('messages', () => {
  it('an LvsError never carries a control character raw; odd path keys are quoted; values are described', () => {
    const e = new LvsError('INVALID_ARGUMENT', 'bad name "a\u0000b"', {
      issues: [{ path: ['vips', 'a\u0000b'], code: 'INVALID_ARGUMENT', message: 'VIP a\u0000b\u001b[31m' }],
    });
    expect(e.message).toBe('bad name "a\\u0000b"');
    expect(e.issues[0]!.message).toBe('VIP a\\u0000b\\u001b[31m');
    expect(formatPath(['vips', 'a\u0000b', 0, 'weight'])).toBe('vips["a\\u0000b"][0].weight');
    expect(formatPath(['services', 0, 'realServers'])).toBe('services[0].realServers');
    expect(describeValue(Number.NaN)).toBe('NaN');
    expect(describeValue(-0)).toBe('-0');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue('x'.repeat(500))).toMatch(/… \(500 characters\)$/);
  });
  it('formatIp and formatEndpoint refuse what is not an address', () => {
    expect(() => formatIp(undefined as unknown as Uint8Array)).toThrow(LvsError);
    expect(() => formatIp(new Uint8Array(5))).toThrow(LvsError);
    expect(() => formatIp(new Uint8Array(4), 6)).toThrow(LvsError);
    expect(formatIp(parseAddress('198.18.0.1').bytes, 4)).toBe('198.18.0.1');
    expect(() => formatEndpoint({} as unknown as string, 80)).toThrow(LvsError);
    expect(formatEndpoint('2001:2::1', 80)).toBe('[2001:2::1]:80');
  });
});
