/**
 * Codecs and pure helpers: the DNS message codec against RFC 1035 §4.1 byte layouts written out by hand,
 * fuzzed with fast-check; the HTTP response parser and keepalived's request bytes (check_http.c
 * `request_template`); status-code ranges; the flap damper's arithmetic (RFC 2439 §4.2 decay).
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  damperConfig,
  damperInit,
  dampStep,
  dampTick,
  dechunk,
  decodeDnsMessage,
  encodeDnsQuery,
  keepalivedRequest,
  LvsErrorLike,
  parseHttpResponse,
  statusMatches,
} from './helpers.js';

describe('DNS codec', () => {
  it('encodes a query as RFC 1035 lays it out', () => {
    // id 0x1234, flags RD (0x0100), QDCOUNT 1, then "www.example.com" as labels, QTYPE A (1), QCLASS IN (1).
    const expected = Buffer.from(
      '1234 0100 0001 0000 0000 0000 03777777 076578616d706c65 03636f6d 00 0001 0001'.replace(/ /g, ''),
      'hex',
    );
    expect(encodeDnsQuery(0x1234, 'www.example.com', 'A')).toEqual(expected);
    // keepalived's default name "" is the root: a single zero octet; SOA is type 6.
    expect(encodeDnsQuery(1, '', 'SOA').subarray(12).toString('hex')).toBe('0000060001');
  });

  it('decodes answers with compression pointers', () => {
    // Reply to the query above: QR|RD|RA (0x8180), 1 question, 1 answer: name = pointer to offset 12 (0xc00c),
    // type A, class IN, TTL 60, rdlength 4, 192.0.2.7.
    const q = encodeDnsQuery(0x1234, 'www.example.com', 'A');
    const ans = Buffer.from('c00c 0001 0001 0000003c 0004 c0000207'.replace(/ /g, ''), 'hex');
    const msg = Buffer.concat([q, ans]);
    msg.writeUInt16BE(0x8180, 2);
    msg.writeUInt16BE(1, 6);
    const m = decodeDnsMessage(msg);
    expect(m).toMatchObject({ id: 0x1234, qr: true, rcode: 0, questions: 1 });
    expect(m.answers).toEqual([{ name: 'www.example.com', type: 1, ttl: 60, data: '192.0.2.7' }]);
  });

  it('rejects bad names and never throws anything but LvsError on garbage', () => {
    expect(() => encodeDnsQuery(1, `${'a'.repeat(64)}.com`, 'A')).toThrow(/1\.\.63/);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          decodeDnsMessage(Buffer.from(bytes));
        } catch (err) {
          if (!LvsErrorLike(err)) throw err;
        }
      }),
    );
  });
});

describe('HTTP', () => {
  it('builds the exact keepalived request for each http_protocol', () => {
    expect(keepalivedRequest('/x', '1.0', '10.0.0.1', 8080, undefined)).toBe(
      'GET /x HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 10.0.0.1:8080\r\n\r\n',
    );
    expect(keepalivedRequest('/x', '1.0C', '10.0.0.1', 80, 'www')).toBe(
      'GET /x HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: www\r\n\r\n',
    );
    expect(keepalivedRequest('/', '1.1', 'fd00::1', 80, undefined)).toBe(
      'GET / HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: [fd00::1]:80\r\n\r\n',
    );
  });

  it('digests the raw body after the headers, cut at Content-Length, without de-chunking', () => {
    const md5 = (s: string) => createHash('md5').update(s).digest('hex');
    const a = parseHttpResponse(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello-extra'));
    expect(a.status).toBe(200);
    expect(a.md5).toBe(md5('hello'));
    const chunked = '5\r\nhello\r\n0\r\n\r\n';
    const b = parseHttpResponse(Buffer.from(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${chunked}`));
    expect(b.md5).toBe(md5(chunked));
    expect(() => parseHttpResponse(Buffer.from('garbage'))).toThrow();
  });

  it('de-chunks RFC 9112 §7.1 bodies for ldirectord, and leaves anything else alone', () => {
    expect(dechunk(Buffer.from('5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n')).toString()).toBe('hello world');
    expect(dechunk(Buffer.from('not chunked')).toString()).toBe('not chunked');
  });

  it('matches status codes and ranges (default 200-299)', () => {
    expect(statusMatches(204, undefined)).toBe(true);
    expect(statusMatches(301, undefined)).toBe(false);
    expect(statusMatches(301, [200, [300, 399]])).toBe(true);
    expect(statusMatches(404, [200, [300, 399]])).toBe(false);
  });
});

describe('flap damper', () => {
  it('suppresses on the second quick fall and releases after the penalty halves enough', () => {
    const c = damperConfig({ penalty: 1000, suppressAt: 1500, reuseAt: 750, halfLifeMs: 1000 });
    let s = damperInit(0);
    s = dampStep(c, s, true, 0).state;
    s = dampStep(c, s, false, 0).state; // penalty 1000
    s = dampStep(c, s, true, 0).state;
    const o = dampStep(c, s, false, 0); // penalty 2000 ≥ 1500 → suppressed
    expect(o.up).toBe(false);
    // Wake when 2000·2^(−t/1000) < 750 → t > 1000·log2(2000/750) ≈ 1415 ms.
    expect(o.wakeAt).toBe(1416 + 1);
    const up = dampStep(c, o.state, true, 500); // input up, still suppressed (penalty ≈ 1414)
    expect(up.up).toBe(false);
    expect(dampTick(c, up.state, 1417).up).toBe(true);
  });

  it('validates its options', () => {
    expect(() => damperConfig({ reuseAt: 3000 })).toThrow(/reuseAt/);
  });
});
