/**
 * keepalived checker blocks → runner specs: inheritance checker → real server → virtual server → default
 * (keepalived.conf(5): "the virtual server setting is the default for real servers, and the real server
 * setting is the default for checkers"), and the per-checker defaults of spec §4.1 / §4.3.
 */
import { describe, expect, it } from 'vitest';
import { keepalivedChecker } from '../src/index.js';

const scope = { address: '10.0.0.1', port: 80 };

describe('keepalivedChecker', () => {
  it('applies keepalived defaults', () => {
    const tcp = keepalivedChecker({ type: 'TCP_CHECK' }, scope);
    expect(tcp.timeoutMs).toBe(5000);
    expect(tcp.policy).toMatchObject({
      delayLoopMs: 60_000,
      retry: 1,
      delayBeforeRetryMs: 1000,
      warmupMs: 60_000,
      alpha: false,
    });
    expect(tcp.checker.key).toBe('TCP_CHECK 10.0.0.1:80');
    const http = keepalivedChecker({ type: 'HTTP_GET', url: [{ path: '/' }] }, scope);
    expect(http.policy).toMatchObject({ delayBeforeRetryMs: 3000 });
    expect(http.checker.kind).toBe('HTTP_GET');
    expect(keepalivedChecker({ type: 'SSL_GET', url: [{ path: '/' }] }, scope).checker.kind).toBe('SSL_GET');
    const dns = keepalivedChecker(
      { type: 'DNS_CHECK' },
      { address: '10.0.0.2', port: 53, virtualServer: { delay_loop: 7 } },
    );
    expect(dns.policy).toMatchObject({ retry: 3, delayBeforeRetryMs: 7000 });
    expect(dns.checker.key).toBe('DNS_CHECK 10.0.0.2:53 SOA ');
  });

  it('inherits checker → real server → virtual server', () => {
    const s = {
      ...scope,
      virtualServer: { delay_loop: 10, retry: 4, connect_timeout: 3 },
      realServer: { retry: 2, alpha: true },
    };
    const c = keepalivedChecker({ type: 'TCP_CHECK', delay_before_retry: 0.5, connect_port: 8080 }, s);
    expect(c.policy).toMatchObject({
      delayLoopMs: 10_000,
      retry: 2,
      delayBeforeRetryMs: 500,
      alpha: true,
      warmupMs: 10_000,
    });
    expect(c.timeoutMs).toBe(3000);
    expect(c.checker.key).toBe('TCP_CHECK 10.0.0.1:8080');
  });

  it('MISC_CHECK: retry 0 and misc_timeout defaulting to delay_loop', () => {
    const m = keepalivedChecker(
      { type: 'MISC_CHECK', misc_path: '/bin/true' },
      { ...scope, virtualServer: { delay_loop: 6 } },
    );
    expect(m.policy).toMatchObject({ retry: 0 });
    expect(m.timeoutMs).toBe(6000);
    expect(keepalivedChecker({ type: 'MISC_CHECK', misc_path: '/bin/true', misc_timeout: 2 }, scope).timeoutMs).toBe(
      2000,
    );
  });

  it('rejects malformed hex payloads', () => {
    expect(() => keepalivedChecker({ type: 'UDP_CHECK', payload: 'zz' }, scope)).toThrow(
      expect.objectContaining({ code: 'HEALTH_INVALID_CONFIG' }),
    );
  });
});
