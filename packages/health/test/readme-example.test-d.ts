/** The README's example compiles against the public API (kept in step by hand with README.md). */
import { describe, expectTypeOf, it } from 'vitest';
import { type DirectorPort, HealthDirector, httpGetCheck, keepalivedPolicy, mailNotifier } from '../src/index.js';

declare const director: DirectorPort;

describe('README example', () => {
  it('type-checks', () => {
    const run = () => {
      const hd = new HealthDirector({
        director,
        notifier: mailNotifier({ host: 'smtp.example.com', from: 'lb@example.com', to: ['ops@example.com'] }),
      });
      hd.on('realServerDown', (e) => console.log(`${e.server.id} down: ${e.reason}`));
      hd.apply([
        {
          id: 'TCP 192.0.2.10:80',
          mode: 'keepalived',
          quorum: 2,
          hysteresis: 1,
          sorryServer: { server: { id: '192.0.2.99:80', address: '192.0.2.99', port: 80 } },
          realServers: [
            {
              server: { id: '10.0.0.1:80', address: '10.0.0.1', port: 80 },
              weight: 3,
              notifyDown: '/usr/local/bin/page-oncall',
              checkers: [
                {
                  checker: httpGetCheck({ host: '10.0.0.1', port: 80, urls: [{ path: '/health', statusCode: [200] }] }),
                  policy: keepalivedPolicy('HTTP_GET', { delayLoopMs: 6000, retry: 3 }),
                  timeoutMs: 5000,
                },
              ],
            },
          ],
        },
      ]);
      hd.start();
      return hd;
    };
    expectTypeOf(run).returns.toEqualTypeOf<HealthDirector>();
  });
});
