/**
 * The command grammar against ipvsadm.c: defaults, ranges, address forms, popt behaviour and every error
 * message `parse_options` / `process_options` / `generic_opt_check` / `tunnel_opt_check` can print. Messages
 * are copied from the `fail(...)` format strings in ipvsadm.c with the arguments filled in by hand.
 */
import { LvsError } from '@lvskit/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type IpvsadmCommand, parseIpvsadm, splitIpvsadmLine } from '../../src/ipvsadm/index.js';

function rejection(line: string | string[]): { code: string; message: string } {
  try {
    parseIpvsadm(line);
  } catch (err) {
    if (LvsError.is(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error(`accepted: ${String(line)}`);
}

function parsed<K extends IpvsadmCommand['command']>(
  line: string,
  command: K,
): Extract<IpvsadmCommand, { command: K }> {
  const c = parseIpvsadm(line);
  expect(c.command).toBe(command);
  return c as Extract<IpvsadmCommand, { command: K }>;
}

const TRY = "Try `ipvsadm -h' or 'ipvsadm --help' for more information.";

describe('defaults (process_options)', () => {
  it('-A: scheduler wlc, not persistent, /32 mask, no flags', () => {
    const c = parsed('-A -t 192.0.2.1:80', 'add-service');
    expect(c.service).toEqual({
      key: { kind: 'address', protocol: 'tcp', family: 4, address: '192.0.2.1', port: 80 },
      scheduler: 'wlc',
      schedFlags: [],
      persistent: false,
      timeout: 0,
      netmask: 0xffffffff,
      pe: '',
      onePacket: false,
    });
  });

  it('-p without a value is IPVS_SVC_PERSISTENT_TIMEOUT = 360 (not the 300 of the man page)', () => {
    expect(parsed('-A -t 192.0.2.1:80 -p', 'add-service').service.timeout).toBe(360);
    // popt takes an optional argument only when the next word does not start with '-'.
    const c = parsed('-A -t 192.0.2.1:80 -p -s rr', 'add-service').service;
    expect([c.persistent, c.timeout, c.scheduler]).toEqual([true, 360, 'rr']);
    expect(parsed('-A -t 192.0.2.1:80 -p 60', 'add-service').service.timeout).toBe(60);
    expect(parsed('-A -t 192.0.2.1:80 -p60', 'add-service').service.timeout).toBe(60);
    expect(parsed('-A -t 192.0.2.1:80 --persistent=600', 'add-service').service.timeout).toBe(600);
    expect(parsed('-A -t 192.0.2.1:80 -p 2678400', 'add-service').service.timeout).toBe(86400 * 31);
  });

  it('-a: direct routing, weight 1, thresholds 0, ipip/nocsum tunnel defaults', () => {
    const c = parsed('-a -t 192.0.2.1:80 -r 10.0.0.2', 'add-server');
    expect(c.server).toEqual({
      key: { family: 4, address: '10.0.0.2', port: 80 },
      forwarding: 'route',
      weight: 1,
      upperThreshold: 0,
      lowerThreshold: 0,
      tunnel: { type: 'ipip', port: 0, checksum: 'nocsum' },
    });
  });

  it('real server port: omitted → service port; forced to the service port for -g/-i, kept for -m and fwmark', () => {
    expect(parsed('-a -t 192.0.2.1:80 -r 10.0.0.2:8080 -g', 'add-server').server.key.port).toBe(80);
    expect(parsed('-a -t 192.0.2.1:80 -r 10.0.0.2:8080 -i', 'add-server').server.key.port).toBe(80);
    expect(parsed('-a -t 192.0.2.1:80 -r 10.0.0.2:8080 -m', 'add-server').server.key.port).toBe(8080);
    expect(parsed('-a -f 5 -r 10.0.0.2:8080 -g', 'add-server').server.key.port).toBe(8080);
    expect(parsed('-a -f 5 -r 10.0.0.2', 'add-server').server.key.port).toBe(0);
    // -r copies the service port as it is when -r is read: before -t it is still 0.
    expect(parsed('-a -r 10.0.0.2 -t 192.0.2.1:80 -m', 'add-server').server.key.port).toBe(0);
  });

  it('--start-daemon: interface eth0, syncid 0, kernel defaults left 0', () => {
    expect(parsed('--start-daemon master', 'start-daemon').daemon).toEqual({
      state: 'master',
      mcastInterface: 'eth0',
      syncid: 0,
      syncMaxlen: 0,
      mcastGroup: '',
      mcastPort: 0,
      mcastTtl: 0,
    });
    expect(
      parsed(
        '--start-daemon backup --mcast-interface eth1 --syncid 9 --mcast-group ff02::81 --mcast-port 9000 --mcast-ttl 3 --sync-maxlen 1400',
        'start-daemon',
      ).daemon,
    ).toEqual({
      state: 'backup',
      mcastInterface: 'eth1',
      syncid: 9,
      syncMaxlen: 1400,
      mcastGroup: 'ff02::81',
      mcastPort: 9000,
      mcastTtl: 3,
    });
    expect(parseIpvsadm('--stop-daemon backup --syncid 3')).toEqual({
      command: 'stop-daemon',
      state: 'backup',
      syncid: 3,
    });
  });

  it('no words lists everything; -h and -v', () => {
    expect(parseIpvsadm([])).toMatchObject({ command: 'list', what: 'services', format: { numeric: false } });
    expect(parseIpvsadm('ipvsadm')).toMatchObject({ command: 'list', what: 'services' });
    expect(parseIpvsadm('-h')).toEqual({ command: 'help' });
    expect(parseIpvsadm('--version')).toEqual({ command: 'version' });
    // usage_exit happens in the first switch, before later words are looked at.
    expect(parseIpvsadm('-h --nonsense')).toEqual({ command: 'help' });
  });
});

describe('addresses and ports (parse_service)', () => {
  const key = (line: string) => parsed(line, 'delete-service').service;

  it('IPv4, IPv6 in brackets, bare IPv6 without port, inet_aton short forms', () => {
    expect(key('-D -t 192.0.2.1:80')).toEqual({
      kind: 'address',
      protocol: 'tcp',
      family: 4,
      address: '192.0.2.1',
      port: 80,
    });
    expect(key('-D -u [2001:DB8:0:0::1]:53')).toEqual({
      kind: 'address',
      protocol: 'udp',
      family: 6,
      address: '2001:db8::1',
      port: 53,
    });
    // A bare IPv6 address is tried whole first, so "2001:db8::1:80" is an address without a port.
    expect(key('-D -t 2001:db8::1:80')).toMatchObject({
      family: 6,
      address: '2001:db8::1:80',
      port: 0,
    });
    // inet_aton: "10.1" is 10.0.0.1, "0x7f.1" is 127.0.0.1, "012.0.0.1" is octal 10.0.0.1.
    expect(key('-D -t 10.1:80')).toMatchObject({ address: '10.0.0.1' });
    expect(key('-D -t 0x7f.1:80')).toMatchObject({ address: '127.0.0.1' });
    expect(key('-D -t 012.0.0.1:80')).toMatchObject({ address: '10.0.0.1' });
    expect(key('-D --sctp-service 10.0.0.1:9')).toMatchObject({ protocol: 'sctp' });
  });

  it('port names from the built-in /etc/services table, per protocol', () => {
    expect(key('-D -t 192.0.2.1:http')).toMatchObject({ port: 80 });
    expect(key('-D -t 192.0.2.1:webcache')).toMatchObject({ port: 8080 });
    expect(key('-D -u 192.0.2.1:domain')).toMatchObject({ port: 53 });
    expect(rejection('-D -u 192.0.2.1:ssh').message).toBe('illegal virtual server address[:port] specified');
    expect(rejection('-D -t 192.0.2.1:nosuchservice').message).toBe('illegal virtual server address[:port] specified');
  });

  it('a bracketed IPv4 address loses its port, as in ipvsadm (the IPv4 branch searches ":" again)', () => {
    expect(key('-D -t [192.0.2.1]:80')).toMatchObject({ address: '192.0.2.1', port: 0 });
  });

  it('refuses digits-only, empty, unbalanced brackets and host names unless resolveHost knows them', () => {
    for (const bad of ['80', '[2001:db8::1', '[2001:db8::1]80', '[2001:db8::1]:', 'www.example:80', '1.2.3.4:65536']) {
      expect(rejection(['-D', '-t', bad])).toEqual({
        code: 'IPVSADM_BAD_COMMAND',
        message: 'illegal virtual server address[:port] specified',
      });
    }
    expect(rejection(['-D', '-t', ''])).toMatchObject({ message: 'illegal virtual server address[:port] specified' });
    const c = parseIpvsadm('-D -t cdh1:http', { resolveHost: (n) => (n === 'cdh1' ? '172.20.150.8' : undefined) });
    expect(c).toMatchObject({ service: { address: '172.20.150.8', port: 80 } });
  });

  it('fwmark services: 1..4294967295, -6 after -f makes them IPv6', () => {
    expect(key('-D -f 1')).toEqual({ kind: 'fwmark', fwmark: 1, family: 4 });
    expect(key('-D -f 4294967295 -6')).toEqual({ kind: 'fwmark', fwmark: 4294967295, family: 6 });
  });
});

describe('option values', () => {
  it('netmask: dotted for IPv4, 1..128 (atoi) for IPv6, order-sensitive like ipvsadm', () => {
    expect(parsed('-A -t 192.0.2.1:0 -p -M 255.255.255.0', 'add-service').service.netmask).toBe(0xffffff00);
    expect(parsed('-A -t [2001:db8::1]:0 -p -M 64', 'add-service').service.netmask).toBe(64);
    expect(parsed('-A -f 3 -6 -p -M 48', 'add-service').service.netmask).toBe(48);
    // -M before -6 is read as an IPv4 mask; -6 then resets the mask to 128.
    expect(parsed('-A -f 3 -M 48 -6 -p', 'add-service').service.netmask).toBe(128);
  });

  it('scheduler flags: names map to SCHED1..3 bits, listed in bit order', () => {
    expect(parsed('-A -t 192.0.2.1:80 -s sh -b sh-port,sh-fallback', 'add-service').service.schedFlags).toEqual([
      'flag-1',
      'flag-2',
    ]);
    expect(parsed('-A -t 192.0.2.1:80 -b flag-3 -s mh', 'add-service').service.schedFlags).toEqual(['flag-3']);
    expect(parsed('-A -t 192.0.2.1:80 -s mh -b mh-fallback', 'add-service').service.schedFlags).toEqual(['flag-1']);
  });

  it('scheduler names are cut to 15 characters (IP_VS_SCHEDNAME_MAXLEN - 1)', () => {
    expect(parsed('-A -t 192.0.2.1:80 -s abcdefghijklmnopq', 'add-service').service.scheduler).toBe('abcdefghijklmno');
  });

  it('ranges: weight 0..65535, thresholds 0..INT_MAX, strtol accepts a sign and leading blanks', () => {
    expect(parsed('-a -t 192.0.2.1:80 -r 10.0.0.2 -w 65535 -x 2147483647 -y 0', 'add-server').server).toMatchObject({
      weight: 65535,
      upperThreshold: 2147483647,
      lowerThreshold: 0,
    });
    expect(parsed('-a -t 192.0.2.1:80 -r 10.0.0.2 -w +7', 'add-server').server.weight).toBe(7);
    expect(parseIpvsadm(['-a', '-t', '192.0.2.1:80', '-r', '10.0.0.2', '-w', ' 8'])).toMatchObject({
      server: { weight: 8 },
    });
  });

  it('--set takes three values 0..2678400 from the leftover words', () => {
    expect(parseIpvsadm('--set 0 0 10')).toEqual({ command: 'set', timeouts: { tcp: 0, tcpfin: 0, udp: 10 } });
    expect(parseIpvsadm('--set 900 120 300')).toEqual({
      command: 'set',
      timeouts: { tcp: 900, tcpfin: 120, udp: 300 },
    });
  });

  it('list formats and what they show', () => {
    expect(parseIpvsadm('-Ln --stats --exact --nosort --sort --sort')).toEqual({
      command: 'list',
      what: 'services',
      format: {
        numeric: true,
        stats: true,
        rate: false,
        thresholds: false,
        persistentConn: false,
        tunInfo: false,
        nosort: true,
        exact: true,
      },
    });
    expect(parseIpvsadm('-lnc')).toMatchObject({ what: 'connections' });
    expect(parseIpvsadm('-L -c --persistent-conn')).toMatchObject({
      what: 'connections',
      format: { persistentConn: true },
    });
    expect(parseIpvsadm('-L --timeout')).toMatchObject({ what: 'timeout' });
    expect(parseIpvsadm('--list --daemon')).toMatchObject({ what: 'daemon' });
    expect(parseIpvsadm('-L -n -X -t 192.0.2.1:80')).toMatchObject({
      what: 'services',
      service: { address: '192.0.2.1', port: 80 },
      format: { exact: true },
    });
    expect(parseIpvsadm('-S -n')).toEqual({ command: 'save', numeric: true });
    expect(parseIpvsadm('-Z')).toEqual({ command: 'zero' });
    expect(parseIpvsadm('-Z -f 3')).toEqual({ command: 'zero', service: { kind: 'fwmark', fwmark: 3, family: 4 } });
  });

  it('tunnel options', () => {
    expect(
      parsed('-a -t 192.0.2.1:80 -r 10.0.0.2 -i --tun-type gue --tun-port 6080 --tun-remcsum', 'add-server').server,
    ).toMatchObject({ forwarding: 'tunnel', tunnel: { type: 'gue', port: 6080, checksum: 'remcsum' } });
    expect(parsed('-a -t 192.0.2.1:80 -r 10.0.0.2 -i --tun-type gre --tun-csum', 'add-server').server.tunnel).toEqual({
      type: 'gre',
      port: 0,
      checksum: 'csum',
    });
    // Tunnelling allows another address family. A bracketed address needs ":port"; a bare one needs none.
    expect(rejection('-a -t 192.0.2.1:80 -r [2001:db8::2] -i').message).toBe(
      'illegal real server address[:port] specified',
    );
    expect(parsed('-a -t 192.0.2.1:80 -r 2001:db8::2 -i', 'add-server').server.key).toEqual({
      family: 6,
      address: '2001:db8::2',
      port: 80,
    });
  });
});

describe('error messages (fail(2, ...) → IPVSADM_BAD_COMMAND)', () => {
  it.each([
    ['--start-daemon primary', 'illegal start-daemon parameter specified'],
    ['--stop-daemon primary', 'illegal start_daemon specified'],
    ['-A -t 1.2.3.4:80:90', 'illegal virtual server address[:port] specified'],
    ['-A -t 1.2.3.4:0 -p -M 255.255.x', 'illegal virtual server persistent mask specified'],
    ['-A -t [::1]:0 -p -M 129', 'illegal ipv6 netmask specified'],
    ['-A -t [::1]:0 -p -M 0', 'illegal ipv6 netmask specified'],
    ['-a -t 1.2.3.4:80 -r 80', 'illegal real server address[:port] specified'],
    ['-a -t 1.2.3.4:80 -r 10.0.0.1 -w 65536', 'illegal weight specified'],
    ['-a -t 1.2.3.4:80 -r 10.0.0.1 -w -1', 'illegal weight specified'],
    ['-a -t 1.2.3.4:80 -r 10.0.0.1 -w 1x', 'illegal weight specified'],
    ['-a -t 1.2.3.4:80 -r 10.0.0.1 -x 2147483648', 'illegal u_threshold specified'],
    ['-a -t 1.2.3.4:80 -r 10.0.0.1 -y abc', 'illegal l_threshold specified'],
    ['--start-daemon master --syncid 256', 'illegal syncid specified'],
    ['-A -t 1.2.3.4:80 -6', '-6 used before -f\n'],
    ['--start-daemon master --mcast-group 2001:db8::1', "invalid IPv6 mcast-group `2001:db8::1'"],
    ['--start-daemon master --mcast-group 10.0.0.1', "invalid IPv4 mcast-group `10.0.0.1'"],
    ['--start-daemon master --mcast-port 0', 'illegal mcast-port specified'],
    ['--start-daemon master --mcast-ttl 256', 'illegal mcast-ttl specified'],
    ['--start-daemon master --sync-maxlen 65508', 'illegal sync-maxlen specified'],
    ['-a -t 1.2.3.4:80 -r 10.0.0.1 -i --tun-type vxlan', 'illegal tunnel type specified'],
    ['-a -t 1.2.3.4:80 -r 10.0.0.1 -i --tun-type gue --tun-port 65536', 'illegal tunnel port specified'],
    ['-L -A', "invalid option `-A'"],
    ['-A -t 1.2.3.4:80 -h', "invalid option `-h'"],
    ['-L --start-daemon master', "invalid option `master'"],
    ['--set 1 2', '--set option requires 3 timeout values'],
    ['--set 1 2 3 4', 'unexpected argument 4'],
    ['-L extra', 'unexpected argument extra'],
    ['-A -t 1.2.3.4', 'Zero port specified for non-persistent service'],
    ['-E -t 1.2.3.4:0 -s rr', 'Zero port specified for non-persistent service'],
    ['-A -t 1.2.3.4:53 -o', 'One-Packet Scheduling is only for UDP virtual services'],
    ['-a -t 1.2.3.4:80 -r [::2]:80 -m', 'Different address family is allowed only for tunneling servers'],
    ['-a -t 1.2.3.4:80 -r 10.0.0.1 -m --tun-type gre', 'Tunnel options conflict with forward method'],
    ['-e -t 1.2.3.4:80 -r 10.0.0.1 --tun-csum', 'Tunnel options conflict with forward method'],
    ['-L -c --stats', 'options conflicts in the list command'],
    ['-L --daemon --rate', 'options conflicts in the list command'],
    ['-L --timeout --persistent-conn', 'options conflicts in the list command'],
    ['-A -t 1.2.3.4:80 -p 0', "invalid timeout value `0' specified"],
    ['-A -t 1.2.3.4:80 -p=', "invalid timeout value `' specified"],
    ['-A -t 1.2.3.4:80 -p 2678401', "invalid timeout value `2678401' specified"],
    ['--set 1 x 3', "invalid timeout value `x' specified"],
    ['-A -f 0', "invalid fwmark value `0' specified"],
    ['-A -f 4294967296', "invalid fwmark value `4294967296' specified"],
    ['-A -f 1x', "invalid fwmark value `1x' specified"],
    ['-A -t 1.2.3.4:80 -b sh-port', "incompatible scheduler flag `sh-port'"],
    ['-A -t 1.2.3.4:80 -s sh -b mh-fallback', "incompatible scheduler flag `mh-fallback'"],
    ['-A -t 1.2.3.4:80 -b flag-4', "invalid scheduler flag `flag-4'"],
    ['-A -t 1.2.3.4:80 -s rr -s wrr', "multiple 'scheduler' options specified"],
    ['-a -t 1.2.3.4:80 -r 10.0.0.1 -m -g', "multiple 'forwarding-method' options specified"],
    ['-A -t 1.2.3.4:80 -f 1', "multiple 'service-address' options specified"],
  ])('%s → %j', (line, message) => {
    expect(rejection(line)).toEqual({ code: 'IPVSADM_BAD_COMMAND', message });
  });

  // generic_opt_check walks the options in OPTC order; the first offending column wins.
  it.each([
    ['-A -s rr', "You need to supply the 'service-address' option for the 'add-service' command"],
    ['-A -r 10.0.0.1', "You need to supply the 'service-address' option for the 'add-service' command"],
    ['-E -t 1.2.3.4:80 -n', "Illegal 'numeric' option with the 'edit-service' command"],
    ['-D', "You need to supply the 'service-address' option for the 'delete-service' command"],
    ['-D -t 1.2.3.4:80 -s rr', "Illegal 'scheduler' option with the 'delete-service' command"],
    ['-C -n', "Illegal 'numeric' option with the 'flush' command"],
    ['-A -t 1.2.3.4:80 -w 5', "Illegal 'weight' option with the 'add-service' command"],
    ['-a -t 1.2.3.4:80', "You need to supply the 'real-server' option for the 'add-server' command"],
    ['-a -r 10.0.0.1', "You need to supply the 'service-address' option for the 'add-server' command"],
    ['-e -t 1.2.3.4:80 -r 10.0.0.1 -p', "Illegal 'persistent' option with the 'edit-server' command"],
    ['-d -t 1.2.3.4:80 -r 10.0.0.1 -w 1', "Illegal 'weight' option with the 'delete-server' command"],
    ['-d -t 1.2.3.4:80', "You need to supply the 'real-server' option for the 'delete-server' command"],
    [
      '-L -c -t 1.2.3.4:80',
      "The option 'service-address' conflicts with the 'connection' option in the 'list' command",
    ],
    ['-L --timeout --daemon', "The option 'daemon' conflicts with the 'timeout' option in the 'list' command"],
    ['-L -c --daemon', "The option 'daemon' conflicts with the 'connection' option in the 'list' command"],
    ['-L -s rr', "Illegal 'scheduler' option with the 'list' command"],
    ['-L -o', "Illegal 'ops' option with the 'list' command"],
    ['--set 1 2 3 -n', "Illegal 'numeric' option with the 'set' command"],
    ['--start-daemon master -n', "Illegal 'numeric' option with the 'start-daemon' command"],
    ['--stop-daemon master --mcast-interface eth0', "Illegal 'mcast-interface' option with the 'stop-daemon' command"],
    ['-R -n', "Illegal 'numeric' option with the 'restore' command"],
    ['-S --stats', "Illegal 'stats' option with the 'save' command"],
    ['-S --nosort', "Illegal 'nosort' option with the 'save' command"],
    ['-Z -n', "Illegal 'numeric' option with the 'zero' command"],
  ])('%s → %j', (line, message) => {
    expect(rejection(line)).toEqual({ code: 'IPVSADM_BAD_COMMAND', message });
  });

  it.each([
    [
      '-a -t 1.2.3.4:80 -r 10.0.0.1 -i --tun-type gue',
      "You need to supply the 'tun-port' option for the 'gue' tunnel type",
    ],
    [
      '-a -t 1.2.3.4:80 -r 10.0.0.1 -i --tun-type gue --tun-port 1 --tun-csum --tun-remcsum',
      "The option 'tun-remcsum' conflicts with the 'tun-csum' option in the 'gue' tunnel type",
    ],
    [
      '-a -t 1.2.3.4:80 -r 10.0.0.1 -i --tun-type gre --tun-nocsum --tun-csum',
      "The option 'tun-csum' conflicts with the 'tun-nocsum' option in the 'gre' tunnel type",
    ],
    [
      '-a -t 1.2.3.4:80 -r 10.0.0.1 -i --tun-type gre --tun-port 1',
      "Illegal 'tun-port' option with the 'gre' tunnel type",
    ],
    [
      '-a -t 1.2.3.4:80 -r 10.0.0.1 -i --tun-type gre --tun-remcsum',
      "Illegal 'tun-remcsum' option with the 'gre' tunnel type",
    ],
    ['-a -t 1.2.3.4:80 -r 10.0.0.1 -i --tun-csum', "Illegal 'tun-csum' option with the 'ipip' tunnel type"],
  ])('%s → %j', (line, message) => {
    expect(rejection(line)).toEqual({ code: 'IPVSADM_BAD_COMMAND', message });
  });

  it('a second command is an "invalid option", never "multiple commands specified" (set_command runs once)', () => {
    expect(rejection('-A -D -t 1.2.3.4:80').message).toBe("invalid option `-D'");
  });
});

describe('popt-level errors (IPVSADM_USAGE, exit 255)', () => {
  it.each([
    ['-n -L', TRY],
    ['--nonsense', TRY],
    ['-t 1.2.3.4:80', TRY],
    ['--start-daemon', TRY],
    ['1.2.3.4', TRY],
    ['-L --nonsense', '--nonsense: unknown option'],
    ['-L -q', '-q: unknown option'],
    ['-Lq', '-Lq: unknown option'],
    ['-A -t', '-t: missing argument'],
    ['-L --numeric=yes', '--numeric=yes: option does not take an argument'],
    ['-L -n=1', '-n=1: option does not take an argument'],
    ['--set 1 2 -1', '-1: unknown option'],
  ])('%s → %j', (line, message) => {
    expect(rejection(line)).toEqual({ code: 'IPVSADM_USAGE', message });
  });

  it('-- ends the options: what follows is a leftover argument', () => {
    expect(rejection('-L -- -n').message).toBe('unexpected argument -n');
  });
});

describe('splitIpvsadmLine (config_stream.c)', () => {
  it('splits on blanks and drops every "ipvsadm" word', () => {
    expect(splitIpvsadmLine('  ipvsadm\t-A  -t 1.2.3.4:80 \r')).toEqual(['-A', '-t', '1.2.3.4:80']);
    expect(splitIpvsadmLine('-a ipvsadm -t x')).toEqual(['-a', '-t', 'x']);
    expect(splitIpvsadmLine('')).toEqual([]);
  });

  it('a line and its argv split parse the same (property)', () => {
    const word = fc.constantFrom(
      '-A',
      '-a',
      '-t',
      '1.2.3.4:80',
      '-r',
      '10.0.0.1',
      '-m',
      '-p',
      '60',
      '-s',
      'rr',
      '-w',
      '3',
      '-L',
      '-n',
    );
    fc.assert(
      fc.property(fc.array(word, { maxLength: 10 }), (words) => {
        const run = (input: string | string[]) => {
          try {
            return parseIpvsadm(input);
          } catch (err) {
            if (LvsError.is(err)) return `${err.code}: ${err.message}`;
            throw err;
          }
        };
        expect(run(words.join(' '))).toEqual(run(words));
      }),
    );
  });

  it('never throws anything but an LvsError on arbitrary words (fuzz)', () => {
    const word = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom(
        '-A',
        '-E',
        '-a',
        '-e',
        '-L',
        '-t',
        '-u',
        '-f',
        '-r',
        '-p',
        '-M',
        '-6',
        '-b',
        '--set',
        '-i',
        '--tun-type',
      ),
    );
    fc.assert(
      fc.property(fc.array(word, { maxLength: 12 }), (words) => {
        try {
          parseIpvsadm(words);
        } catch (err) {
          expect(LvsError.is(err)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
