/**
 * The formatter against ipvsadm 1.31's format strings. Every expected line below is derived by hand from
 * the printf formats in ipvsadm.c (`print_title`, `print_service_entry`, `print_largenum`, `print_conn`,
 * `list_timeout`, `list_daemon`); the padding arithmetic is written next to each line (`sp(n)` = n spaces).
 */
import { describe, expect, it } from 'vitest';
import {
  formatConnections,
  formatDaemons,
  formatLargeNum,
  formatList,
  formatSave,
  formatServiceList,
  formatTimeouts,
  formatVersion,
  glibcSort,
} from '../../src/ipvsadm/index.js';
import { BANNER, server, service, snapshot, TITLE, tcp, zeroStats } from './fixtures.js';

const sp = (n: number) => ' '.repeat(n);

describe('print_largenum', () => {
  // "%9llu" below 1e8; "%8lluK" (i/1000) below 1e9; "%8lluM" (i/1e6) below 1e11; "%8lluG" (i/1e9) below
  // 1e14; "%8lluT" (i/1e12) above.
  it.each([
    [0, `${sp(8)}0`],
    [99_999_999, ` 99999999`],
    [100_000_000, `${sp(2)}100000K`],
    [999_999_999, `${sp(2)}999999K`],
    [1_000_000_000, `${sp(4)}1000M`],
    [99_999_999_999, `${sp(3)}99999M`],
    [100_000_000_000, `${sp(5)}100G`],
    [99_999_999_999_999, `${sp(3)}99999G`],
    [100_000_000_000_000, `${sp(5)}100T`],
  ])('%d → %j', (value, text) => {
    expect(formatLargeNum(value, false)).toBe(text);
  });

  it('takes u64 values as bigint (2^64-1 / 1e12 = 18446744, exactly 8 digits)', () => {
    expect(formatLargeNum(18446744073709551615n, false)).toBe('18446744T');
  });

  // --exact: printf("%*llu", len <= 8 ? 9 : len + 1, i)
  it.each([
    [0, `${sp(8)}0`],
    [12_345_678, ' 12345678'],
    [123_456_789, ' 123456789'],
    [100_000_000_000_000, ' 100000000000000'],
  ])('--exact %d → %j', (value, text) => {
    expect(formatLargeNum(value, true)).toBe(text);
  });
});

const natService = service(tcp('192.168.0.1', 80), {
  persistent: true,
  timeout: 360,
  servers: [
    server('10.0.0.3', 80, { forwarding: 'route', weight: 2, activeConns: 5, inactiveConns: 10 }),
    server('10.0.0.2', 80, { forwarding: 'masq' }),
  ],
});

describe('ipvsadm -L -n (list_all)', () => {
  it('prints banner, title, service line and "  -> %-28s %-7s %-6d %-10u %-10u" rows, sorted', () => {
    // "10.0.0.2:80" is 11 chars: %-28s adds 17, then one separator space.
    const expected =
      BANNER +
      TITLE +
      'TCP  192.168.0.1:80 wlc persistent 360\n' +
      `  -> 10.0.0.2:80${sp(17)} Masq${sp(3)} 1${sp(5)} 0${sp(9)} 0${sp(9)}\n` +
      `  -> 10.0.0.3:80${sp(17)} Route${sp(2)} 2${sp(5)} 5${sp(9)} 10${sp(8)}\n`;
    expect(formatList(snapshot([natService]), { numeric: true })).toBe(expected);
  });

  it('keeps kernel order with --nosort', () => {
    const out = formatList(snapshot([natService]), { nosort: true });
    expect(out.indexOf('10.0.0.3:80')).toBeLessThan(out.indexOf('10.0.0.2:80'));
  });

  it('prints an empty table as banner and title only', () => {
    expect(formatList(snapshot([]))).toBe(BANNER + TITLE);
  });

  it('prints scheduler flags, mask, pe and ops in print_service_entry order', () => {
    const s = snapshot([
      service(
        { kind: 'address', protocol: 'udp', family: 4, address: '10.1.1.1', port: 53 },
        {
          scheduler: 'sh',
          schedFlags: ['flag-1', 'flag-2'],
          persistent: true,
          timeout: 60,
          netmask: 0xffffff00,
          pe: 'sip',
          onePacket: true,
        },
      ),
      service(tcp('10.1.1.2', 80), { scheduler: 'rr', schedFlags: ['flag-3'] }),
    ]);
    expect(formatList(s)).toBe(
      `${BANNER}${TITLE}TCP  10.1.1.2:80 rr (flag-3)\nUDP  10.1.1.1:53 sh (sh-fallback,sh-port) persistent 60 mask 255.255.255.0 pe sip ops\n`,
    );
  });

  it('prints pe only for persistent services, and "mask %i" for IPv6 prefixes', () => {
    const s = snapshot([
      service(tcp('2001:db8::1', 443, 6), { persistent: true, timeout: 300, netmask: 64 }),
      service(tcp('10.0.0.1', 80), { pe: 'sip' }),
    ]);
    expect(formatList(s)).toBe(
      `${BANNER}${TITLE}TCP  10.0.0.1:80 wlc\nTCP  [2001:db8::1]:443 wlc persistent 300 mask 64\n`,
    );
  });

  it('names fwmark services "FWM  %u" (+ " IPv6") and sorts them after address services', () => {
    const s = snapshot([
      service({ kind: 'fwmark', fwmark: 10, family: 4 }, { scheduler: 'wrr', servers: [server('192.168.1.100', 0)] }),
      service({ kind: 'fwmark', fwmark: 70000, family: 6 }, { servers: [server('2001:db8::5', 0)] }),
      service({ kind: 'address', protocol: 'sctp', family: 4, address: '10.0.0.1', port: 5000 }),
    ]);
    // "192.168.1.100:0" = 15 chars → 13 pad; "[2001:db8::5]:0" = 15 chars → 13 pad.
    expect(formatList(s)).toBe(
      BANNER +
        TITLE +
        'SCTP 10.0.0.1:5000 wlc\n' +
        'FWM  10 wrr\n' +
        `  -> 192.168.1.100:0${sp(13)} Route${sp(2)} 1${sp(5)} 0${sp(9)} 0${sp(9)}\n` +
        'FWM  70000 IPv6 wlc\n' +
        `  -> [2001:db8::5]:0${sp(13)} Route${sp(2)} 1${sp(5)} 0${sp(9)} 0${sp(9)}\n`,
    );
  });

  it('prints marks as unsigned and sorts them with "int r = s1->fwmark - s2->fwmark" wrap-around', () => {
    // Input order [mark 10, mark 0xffffffff, TCP service (mark 0)]. glibc msort: left [10], right sorted
    // by cmp(0xffffffff, 0) = (int)0xffffffff = -1 → [0xffffffff, TCP]; merge: cmp(10, 0xffffffff) =
    // (int)(10 - 0xffffffff) = 11 > 0 → 0xffffffff; cmp(10, 0) = 10 > 0 → TCP; then 10.
    const s = snapshot([
      service({ kind: 'fwmark', fwmark: 10, family: 4 }),
      service({ kind: 'fwmark', fwmark: 4294967295, family: 4 }),
      service(tcp('10.0.0.1', 80)),
    ]);
    expect(formatList(s)).toBe(`${BANNER}${TITLE}FWM  4294967295 wlc\nTCP  10.0.0.1:80 wlc\nFWM  10 wlc\n`);
  });

  it('--stats: "%-33s" then five print_largenum columns, "  -> %-28s" rows', () => {
    const s = snapshot([
      service(tcp('192.168.0.1', 80), {
        stats: { ...zeroStats, conns: 12, inpkts: 340, outpkts: 0, inbytes: 20480, outbytes: 0 },
        servers: [
          server('10.0.0.2', 80, {
            stats: { ...zeroStats, conns: 100_000_000, inpkts: 1_000_000_000, inbytes: 100_000_000_000_000 },
          }),
        ],
      }),
    ]);
    const title =
      `Prot LocalAddress:Port${sp(11)} ${sp(3)}Conns ${sp(2)}InPkts  OutPkts  InBytes OutBytes\n` +
      '  -> RemoteAddress:Port\n';
    // "TCP  192.168.0.1:80" = 19 chars → 14 pad to 33.
    const row = `TCP  192.168.0.1:80${sp(14)}${sp(7)}12${sp(6)}340${sp(8)}0${sp(4)}20480${sp(8)}0\n`;
    // "10.0.0.2:80" = 11 → 17 pad to 28; 1e8 → "  100000K", 1e9 → "    1000M", 1e14 → "     100T".
    const dest = `  -> 10.0.0.2:80${sp(17)}  100000K    1000M${sp(8)}0     100T${sp(8)}0\n`;
    expect(formatList(s, { stats: true })).toBe(BANNER + title + row + dest);
  });

  it('--stats --exact widens numbers instead of scaling them', () => {
    const s = snapshot([service(tcp('192.168.0.1', 80), { stats: { ...zeroStats, conns: 123_456_789 } })]);
    const row = formatList(s, { stats: true, exact: true }).split('\n')[3];
    expect(row).toBe(`TCP  192.168.0.1:80${sp(14)} 123456789${sp(8)}0${sp(8)}0${sp(8)}0${sp(8)}0`);
  });

  it('--rate: service columns scale, real-server CPS/InPPS/OutPPS are raw "%8llu"', () => {
    const s = snapshot([
      service(tcp('192.168.0.1', 80), {
        stats: { ...zeroStats, cps: 3, inpps: 150_000_000 },
        servers: [server('10.0.0.2', 80, { stats: { ...zeroStats, cps: 123_456_789, inbps: 100_000_000 } })],
      }),
    ]);
    const title =
      `Prot LocalAddress:Port${sp(11)} ${sp(5)}CPS ${sp(3)}InPPS ${sp(2)}OutPPS ${sp(3)}InBPS ${sp(2)}OutBPS\n` +
      '  -> RemoteAddress:Port\n';
    const row = `TCP  192.168.0.1:80${sp(14)}${sp(8)}3  150000K${sp(8)}0${sp(8)}0${sp(8)}0\n`;
    // "  -> %-28s %8llu %8llu %8llu": 123456789 overflows its 8 columns unscaled.
    const dest = `  -> 10.0.0.2:80${sp(17)} 123456789 ${sp(7)}0 ${sp(7)}0  100000K${sp(8)}0\n`;
    expect(formatList(s, { rate: true })).toBe(BANNER + title + row + dest);
  });

  it('--thresholds: "%-33s %-10s ×4" title, "  -> %-28s %-10u ×4" rows, service line unchanged', () => {
    const s = snapshot([
      service(tcp('192.168.0.1', 80), {
        scheduler: 'rr',
        servers: [
          server('10.0.0.2', 80, { upperThreshold: 100, lowerThreshold: 50, activeConns: 7, inactiveConns: 1 }),
        ],
      }),
    ]);
    const title =
      `Prot LocalAddress:Port${sp(11)} Uthreshold Lthreshold ActiveConn InActConn${sp(1)}\n` +
      '  -> RemoteAddress:Port\n';
    const dest = `  -> 10.0.0.2:80${sp(17)} 100${sp(7)} 50${sp(8)} 7${sp(9)} 1${sp(9)}\n`;
    expect(formatList(s, { thresholds: true })).toBe(`${BANNER}${title}TCP  192.168.0.1:80 rr\n${dest}`);
  });

  it('--persistent-conn: "%-9u %-11u %-10u %-10u" after the name', () => {
    const s = snapshot([
      service(tcp('192.168.0.1', 80), {
        persistent: true,
        timeout: 360,
        servers: [server('10.0.0.2', 80, { weight: 3, persistentConns: 4, activeConns: 2, inactiveConns: 9 })],
      }),
    ]);
    const title =
      `Prot LocalAddress:Port${sp(11)} Weight${sp(3)} PersistConn ActiveConn InActConn${sp(1)}\n` +
      '  -> RemoteAddress:Port\n';
    const dest = `  -> 10.0.0.2:80${sp(17)} 3${sp(8)} 4${sp(10)} 2${sp(9)} 9${sp(9)}\n`;
    expect(formatList(s, { persistentConn: true })).toBe(
      `${BANNER}${title}TCP  192.168.0.1:80 wlc persistent 360\n${dest}`,
    );
  });

  it('--tun-info: "%-7s %-13s" forward and tunnel columns (ipip, gue:%d:%s, gre:%s, n/a)', () => {
    const s = snapshot([
      service(tcp('192.168.0.1', 80), {
        servers: [
          server('10.0.0.4', 80, { forwarding: 'tunnel', tunnel: { type: 'gre', port: 0, checksum: 'csum' } }),
          server('10.0.0.3', 80, { forwarding: 'tunnel', tunnel: { type: 'gue', port: 6080, checksum: 'remcsum' } }),
          server('10.0.0.2', 80, { forwarding: 'tunnel' }),
          server('10.0.0.1', 80, { forwarding: 'masq' }),
        ],
      }),
    ]);
    const title =
      'Prot LocalAddress:Port Scheduler Flags\n' +
      '  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n';
    const tail = ` 1${sp(5)} 0${sp(9)} 0${sp(9)}\n`;
    expect(formatList(s, { tunInfo: true })).toBe(
      BANNER +
        title +
        'TCP  192.168.0.1:80 wlc\n' +
        `  -> 10.0.0.1:80${sp(17)} Masq${sp(3)} n/a${sp(10)}${tail}` +
        `  -> 10.0.0.2:80${sp(17)} Tunnel${sp(1)} ipip${sp(9)}${tail}` +
        `  -> 10.0.0.3:80${sp(17)} Tunnel${sp(1)} gue:6080:r+c${sp(1)}${tail}` +
        `  -> 10.0.0.4:80${sp(17)} Tunnel${sp(1)} gre:+c${sp(7)}${tail}`,
    );
  });

  it('prints Local for local-node real servers', () => {
    const s = snapshot([service(tcp('1.2.3.4', 80), { servers: [server('127.0.0.1', 80, { forwarding: 'local' })] })]);
    expect(formatList(s)).toContain(`  -> 127.0.0.1:80${sp(16)} Local${sp(2)} 1`);
  });

  it('lists one service without banner (list_service)', () => {
    expect(formatServiceList(natService, {})).toBe(
      `${TITLE}TCP  192.168.0.1:80 wlc persistent 360\n` +
        `  -> 10.0.0.2:80${sp(17)} Masq${sp(3)} 1${sp(5)} 0${sp(9)} 0${sp(9)}\n` +
        `  -> 10.0.0.3:80${sp(17)} Route${sp(2)} 2${sp(5)} 5${sp(9)} 10${sp(8)}\n`,
    );
  });
});

describe('sorting (ipvs_cmp_services / ipvs_cmp_dests under glibc qsort)', () => {
  it('orders by fwmark, family, protocol (TCP 6 < UDP 17 < SCTP 132), address, port', () => {
    const s = snapshot([
      service({ kind: 'fwmark', fwmark: 2, family: 4 }),
      service(tcp('::1', 80, 6)),
      service({ kind: 'address', protocol: 'sctp', family: 4, address: '10.0.0.1', port: 1 }),
      service({ kind: 'address', protocol: 'udp', family: 4, address: '10.0.0.1', port: 1 }),
      service(tcp('10.0.0.1', 443)),
      service(tcp('10.0.0.1', 80)),
      service({ kind: 'fwmark', fwmark: 1, family: 6 }),
    ]);
    const names = formatList(s)
      .split('\n')
      .slice(3, -1)
      .map((l) => l.replace(/ wlc$/, ''));
    expect(names).toEqual([
      'TCP  10.0.0.1:80',
      'TCP  10.0.0.1:443',
      'UDP  10.0.0.1:1',
      'SCTP 10.0.0.1:1',
      'TCP  [::1]:80',
      'FWM  1 IPv6',
      'FWM  2',
    ]);
  });

  it('reproduces the int wrap-around of "ntohl(a) - ntohl(b)": 200.0.0.1 sorts before 10.0.0.1', () => {
    // 0x0A000001 - 0xC8000001 = 0x42000000 as a 32-bit int: positive, so 10.0.0.1 compares greater.
    for (const order of [
      ['10.0.0.1', '200.0.0.1'],
      ['200.0.0.1', '10.0.0.1'],
    ]) {
      const s = snapshot(order.map((a) => service(tcp(a, 80))));
      const out = formatList(s);
      expect(out.indexOf('200.0.0.1')).toBeLessThan(out.indexOf('10.0.0.1'));
      const d = snapshot([service(tcp('1.1.1.1', 80), { servers: order.map((a) => server(a, 80)) })]);
      const dout = formatList(d);
      expect(dout.indexOf('200.0.0.1')).toBeLessThan(dout.indexOf(' 10.0.0.1'));
    }
    // Addresses less than 2^31 apart sort normally.
    const n = formatList(snapshot([service(tcp('100.0.0.1', 80)), service(tcp('10.0.0.1', 80))]));
    expect(n.indexOf('10.0.0.1')).toBeLessThan(n.indexOf('100.0.0.1'));
  });

  it('glibcSort is a stable top-down merge sort', () => {
    const items = [3, 1, 2, 1, 3, 0].map((k, i) => ({ k, i }));
    expect(glibcSort(items, (a, b) => a.k - b.k).map((x) => x.i)).toEqual([5, 1, 3, 2, 0, 4]);
  });
});

describe('ipvsadm -S (FMT_RULE)', () => {
  it('writes -A/-a rules, forwarding switches and tunnel options, no thresholds', () => {
    const s = snapshot([
      service(tcp('192.168.0.1', 80), {
        persistent: true,
        timeout: 360,
        netmask: 0xffff0000,
        servers: [
          server('10.0.0.5', 80, { forwarding: 'local', upperThreshold: 9 }),
          server('10.0.0.4', 80, { forwarding: 'tunnel', tunnel: { type: 'gue', port: 6080, checksum: 'csum' } }),
          server('10.0.0.3', 80, { forwarding: 'tunnel', tunnel: { type: 'gre', port: 0, checksum: 'nocsum' } }),
          server('10.0.0.2', 8080, { forwarding: 'masq', weight: 0 }),
          server('10.0.0.1', 80, { forwarding: 'tunnel' }),
        ],
      }),
      service(
        { kind: 'address', protocol: 'udp', family: 6, address: '2001:db8::1', port: 53 },
        {
          scheduler: 'mh',
          schedFlags: ['flag-1', 'flag-2'],
          persistent: true,
          timeout: 10,
          netmask: 48,
          pe: 'sip',
          onePacket: true,
        },
      ),
      service({ kind: 'fwmark', fwmark: 7, family: 6 }, { scheduler: 'rr', servers: [server('2001:db8::9', 0)] }),
      service(
        { kind: 'address', protocol: 'sctp', family: 4, address: '10.9.9.9', port: 9 },
        { schedFlags: ['flag-3'] },
      ),
    ]);
    expect(formatSave(s)).toBe(
      '-A -t 192.168.0.1:80 -s wlc -p 360 -M 255.255.0.0\n' +
        '-a -t 192.168.0.1:80 -r 10.0.0.1:80 -i -w 1 --tun-type ipip\n' +
        '-a -t 192.168.0.1:80 -r 10.0.0.2:8080 -m -w 0\n' +
        '-a -t 192.168.0.1:80 -r 10.0.0.3:80 -i -w 1 --tun-type gre --tun-nocsum\n' +
        '-a -t 192.168.0.1:80 -r 10.0.0.4:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum\n' +
        '-a -t 192.168.0.1:80 -r 10.0.0.5:80 -g -w 1\n' +
        '-A --sctp-service 10.9.9.9:9 -s wlc -b flag-3\n' +
        '-A -u [2001:db8::1]:53 -s mh -p 10 -M 48 --pe sip -o -b mh-fallback,mh-port\n' +
        '-A -f 7 -6 -s rr\n' +
        '-a -f 7 -6 -r [2001:db8::9]:0 -g -w 1\n',
    );
  });

  it('writes nothing for an empty table (no banner)', () => {
    expect(formatSave(snapshot([]))).toBe('');
  });
});

describe('ipvsadm -L -c (print_conn)', () => {
  const conns = [
    {
      protocol: 'TCP',
      family: 4 as const,
      clientAddress: '172.16.100.8',
      clientPort: 54358,
      virtualAddress: '172.16.100.1',
      virtualPort: 80,
      destFamily: 4 as const,
      destAddress: '192.168.10.8',
      destPort: 80,
      state: 'TIME_WAIT',
      expires: 106,
    },
    {
      protocol: 'TCP',
      family: 4 as const,
      clientAddress: '10.249.238.166',
      clientPort: 0,
      virtualAddress: '10.0.0.1',
      virtualPort: 80,
      destFamily: 4 as const,
      destAddress: '10.0.0.2',
      destPort: 80,
      state: 'ASSURED',
      expires: 29 * 60 + 25,
      pe: { name: 'sip', data: 'call-1' },
    },
    {
      protocol: 'UDP',
      family: 6 as const,
      clientAddress: '2001:db8::1',
      clientPort: 5000,
      virtualAddress: '2001:db8::2',
      virtualPort: 53,
      destFamily: 6 as const,
      destAddress: '2001:db8::3',
      destPort: 53,
      state: 'UDP',
      expires: 3600,
    },
  ];

  it('prints "%-3s %-6s %-11s %-18s %-18s %s" rows with %02d:%02d expiry', () => {
    expect(formatConnections(conns)).toBe(
      'IPVS connection entries\n' +
        `pro expire state${sp(6)} source${sp(12)} virtual${sp(11)} destination\n` +
        `TCP 01:46${sp(2)}TIME_WAIT${sp(3)}172.16.100.8:54358 172.16.100.1:80${sp(4)}192.168.10.8:80\n` +
        `TCP 29:25${sp(2)}ASSURED${sp(5)}10.249.238.166:0${sp(3)}10.0.0.1:80${sp(8)}10.0.0.2:80\n` +
        // 60 minutes print as "60:00"; "[2001:db8::1]:5000" fills its 18 columns exactly.
        `UDP 60:00${sp(2)}UDP${sp(9)}[2001:db8::1]:5000 [2001:db8::2]:53${sp(3)}[2001:db8::3]:53\n`,
    );
  });

  it('--persistent-conn adds pe columns only to entries that have pe data', () => {
    const out = formatConnections(conns, { persistentConn: true }).split('\n');
    // header: "pro expire %-11s %-18s %-18s %-18s %-16s %s"
    expect(out[1]).toBe(
      `pro expire state${sp(6)} source${sp(12)} virtual${sp(11)} destination${sp(7)} pe name${sp(9)} pe_data`,
    );
    // row: "... %-16s %-18s %s" for dest, pe name, pe data
    expect(out[3]).toBe(
      `TCP 29:25${sp(2)}ASSURED${sp(5)}10.249.238.166:0${sp(3)}10.0.0.1:80${sp(8)}10.0.0.2:80${sp(6)}sip${sp(16)}call-1`,
    );
    expect(out[2]).toBe(`TCP 01:46${sp(2)}TIME_WAIT${sp(3)}172.16.100.8:54358 172.16.100.1:80${sp(4)}192.168.10.8:80`);
  });
});

describe('timeouts, daemons, version', () => {
  it('list_timeout', () => {
    expect(formatTimeouts({ tcp: 900, tcpfin: 120, udp: 300 })).toBe('Timeout (tcp tcpfin udp): 900 120 300\n');
  });

  it('list_daemon prints master before backup and omits zero fields', () => {
    expect(
      formatDaemons([
        {
          state: 'backup',
          mcastInterface: 'eth1',
          syncid: 7,
          syncMaxlen: 0,
          mcastGroup: '',
          mcastPort: 0,
          mcastTtl: 0,
        },
        {
          state: 'master',
          mcastInterface: 'eth0',
          syncid: 0,
          syncMaxlen: 1472,
          mcastGroup: '224.0.0.81',
          mcastPort: 8848,
          mcastTtl: 1,
        },
      ]),
    ).toBe(
      'master sync daemon (mcast=eth0, syncid=0, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n' +
        'backup sync daemon (mcast=eth1, syncid=7)\n',
    );
  });

  it('version banner (IPVSADM_VERSION "v1.31 2019/12/24", popt, IPVS 0x010201)', () => {
    expect(formatVersion()).toBe('ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\n');
  });
});
