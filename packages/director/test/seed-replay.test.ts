/**
 * Seed 000's ldirectord session replayed through lvsadm: the post's second ldirectord.cf runs as a director
 * (on the fakes: checks answered by the test), and `lvsadm -ln` over a real control socket prints what the
 * post's `ipvsadm -ln` printed at each step — after `systemctl start ldirectord`, after a real server's page
 * broke (ldirectord removed it: quiescent=no), after the repair (added back).
 *
 * The transcript is copied from /work/shared/seeds/000_df7f35d03fbdcc17.txt, lines 99-117. Three differences are
 * the seed's, not ours, and are normalised on both sides:
 * - the post lost its column spacing (runs of blanks collapsed), so lines are compared whitespace-collapsed
 *   (core's test/ipvsadm/seeds.test.ts checks the exact ipvsadm 1.31 spacing of the same formatter);
 * - the banner's `size=` is the connection table's hash size: the post's kernel had IP_VS_TAB_BITS=12 (4096),
 *   lvskit's table reports its own (a power of two at least its capacity);
 * - ActiveConn/InActConn in the second and third listings count the author's browser traffic, which the fakes
 *   do not replay: those two columns are compared only where the seed shows no traffic (the first listing).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importLdirectord, runLvsadm, serveControl } from '../src/index.js';
import { TestNetwork } from '../src/testing/index.js';

// The post's second ldirectord.cf (lines 76-94, its lost indentation restored, its '> note' annotations
// removed): the same text as test/fixtures/ldirectord/seed-000-second.cf.
const CF = `checktimeout=3
checkinterval=1
fallback=www.baidu.com:80
autoreload=yes
logfile="/var/log/ldirectord.log"
quiescent=no
virtual=192.168.7.250:80
	real=192.168.7.201:80 gate 1
	real=192.168.7.203:80 gate 1
	service=http
	scheduler=wrr
	protocol=tcp
	checktype=negotiate
	checkport=80
	request="index.html"
	receive="RS"
`;

const HEAD = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
-> RemoteAddress:Port Forward Weight ActiveConn InActConn
TCP 192.168.7.250:80 wrr
`;
// seed 000 lines 99-105: after `systemctl start ldirectord`
const STARTED = `${HEAD}-> 192.168.7.201:80 Route 1 0 0
-> 192.168.7.203:80 Route 1 0 0
`;
// lines 106-111: the page on 192.168.7.203 no longer says "RS" ("LVS很快就把故障节点删除了")
const FAILED = `${HEAD}-> 192.168.7.201:80 Route 1 0 2
`;
// lines 112-117: repaired, added back ("修复后会自动加入集群")
const REPAIRED = `${HEAD}-> 192.168.7.201:80 Route 1 0 26
-> 192.168.7.203:80 Route 1 0 4
`;

/** Whitespace-collapsed lines; `size=` as the seed's kernel printed it; with `counters` false, the real-server
 * lines' last two columns dropped. */
function normalise(text: string, counters: boolean): string {
  return text
    .split('\n')
    .map((l) => l.trim().replace(/\s+/g, ' '))
    .filter((l) => l !== '')
    .map((l) => l.replace(/\(size=\d+\)$/, '(size=4096)'))
    .map((l) => (counters || !/^-> \d/.test(l) ? l : l.split(' ').slice(0, 4).join(' ')))
    .join('\n');
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lvskit-seed-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The seed's ldirectord.cf as a started director on the fakes, served on a control socket, and lvsadm against it. */
async function seedDirector() {
  const { config } = importLdirectord(CF, {
    file: 'ldirectord.cf',
    resolve: (host, family) => (host === 'www.baidu.com' && family === 4 ? '198.51.100.80' : undefined),
  });
  const net = new TestNetwork();
  const d = net.director(config);
  const path = join(dir, 'lvskit.sock');
  const control = await serveControl(d, { path });
  await d.start();
  await net.advance(3_000);
  /** One lvsadm invocation over the socket; it must exit 0 with nothing on stderr. */
  const lvsadm = async (line: string) => {
    let stdout = '';
    let stderr = '';
    const code = await runLvsadm(line.split(' '), {
      socket: path,
      stdout: { write: (c: string) => (stdout += c) },
      stderr: { write: (c: string) => (stderr += c) },
    });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    return stdout;
  };
  const close = async () => {
    await control.close();
    await d.stop();
  };
  return { net, lvsadm, close };
}

describe('seed 000 through lvsadm', () => {
  it('ldirectord.cf started, a real server failing its negotiate check, repaired: ipvsadm -ln as in the post', async () => {
    const { net, lvsadm, close } = await seedDirector();
    try {
      const started = await lvsadm('-ln');
      expect(normalise(started, true)).toBe(normalise(STARTED, true));
      expect(started).toMatch(/^IP Virtual Server version 1\.2\.1 \(size=\d+\)\n/);

      net.checks.set('*', '192.168.7.203', 80, false);
      await net.advance(5_000);
      expect(normalise(await lvsadm('-ln'), false)).toBe(normalise(FAILED, false));

      net.checks.set('*', '192.168.7.203', 80, true);
      await net.advance(5_000);
      expect(normalise(await lvsadm('-ln'), false)).toBe(normalise(REPAIRED, false));
      // Never the sorry server while a real server is up (ldirectord adds fallback only when all are down).
      expect(await lvsadm('-ln')).not.toContain('198.51.100.80');
    } finally {
      await close();
    }
  });

  it('all real servers failing brings in the fallback server, as ldirectord does', async () => {
    const { net, lvsadm, close } = await seedDirector();
    try {
      net.checks.set('*', '192.168.7.201', 80, false);
      net.checks.set('*', '192.168.7.203', 80, false);
      await net.advance(5_000);
      const stdout = await lvsadm('-ln');
      expect(normalise(stdout, true).split('\n').slice(3)).toEqual([
        'TCP 192.168.7.250:80 wrr',
        '-> 198.51.100.80:80 Route 1 0 0',
      ]);
    } finally {
      await close();
    }
  });
});
