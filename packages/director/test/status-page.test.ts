/**
 * The status page in a real headless browser (Debian's chromium, driven by playwright-core): it renders the
 * services, real servers and VRRP state of a director on a TestNetwork, shows a real server down within a few
 * seconds of its check failing (waiting on the DOM, not on time), draws the rate charts, and logs no console
 * error and no failed request. The director's fake clock is moved in step with real time while the page runs,
 * with traffic through its datapath. Set LVSKIT_STATUS_SCREENSHOT=/path.png to keep a screenshot.
 */
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPacketSummary, DIR_IN, TCP_SYN } from '@lvskit/core';
import { noteSkip } from '@lvskit/netlab';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { defineConfig, serveStatus } from '../src/index.js';
import { TestNetwork } from '../src/testing/index.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function canRun(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true')
    throw new Error(
      `the status page browser test needs ${CHROMIUM} (Debian: chromium), not installed (CI=true: failing)`,
    );
  noteSkip(`skipping the status page browser test: ${CHROMIUM} not installed (Debian: chromium)`);
  return false;
}

const VIP = '198.18.0.100';
const config = defineConfig({
  interfaces: [{ name: 'eth0' }],
  vips: { web: VIP },
  services: [
    {
      name: 'http',
      vip: 'web',
      port: 80,
      scheduler: 'wlc',
      realServers: ['198.18.1.1', '198.18.1.2', '198.18.1.3'].map((address) => ({
        address,
        weight: 3,
        checks: [{ type: 'HTTP_GET' as const, delay_loop: 1, retry: 0, connect_timeout: 1, url: [{ path: '/' }] }],
      })),
      health: { inhibitOnFailure: true, sorryServer: { address: '198.18.1.9' } },
    },
    {
      name: 'https',
      vip: 'web',
      port: 443,
      scheduler: 'sh',
      persistence: { timeout: 300 },
      realServers: ['198.18.1.1', '198.18.1.2'].map((address) => ({
        address,
        checks: [{ type: 'TCP_CHECK' as const, delay_loop: 1, retry: 0, connect_timeout: 1 }],
      })),
    },
  ],
  vrrp: {
    instances: [{ name: 'VI_1', interface: 'eth0', virtualRouterId: 51, priority: 150, advertInt: 1, vips: ['web'] }],
  },
});

const summary = createPacketSummary();

describe.skipIf(!canRun())('the status page in headless chromium', () => {
  it('renders the director, shows a failed real server down, draws the charts, logs no errors', async () => {
    const net = new TestNetwork();
    const d = net.director(config, { address: '198.18.0.1' });
    const server = await serveStatus(d, { port: 0, historySeconds: 120 });
    await d.start();
    await net.advance(4_000);
    // A backup sync daemon (unicast on loopback, a free port) for the Connection sync panel.
    const probe = createSocket('udp4');
    await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve));
    const syncPort = probe.address().port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    await d.startSyncDaemon({
      role: 'backup',
      interface: 'lo',
      address: '127.0.0.1',
      peers: ['127.0.0.2'],
      port: syncPort,
    });

    // Fake time follows real time while the browser runs, with a little traffic each step.
    let pumping = true;
    let client = 0;
    const pump = (async () => {
      while (pumping) {
        const processor = net.datapaths.get('198.18.0.1')?.processor;
        const n = 3 + (client % 7);
        for (let i = 0; i < n && processor; i++, client++) {
          summary.family = 4;
          summary.protocol = 6;
          summary.saddr.set([198, 18, 2 + ((client >> 8) & 0x7f), client & 0xff]);
          summary.daddr.set([198, 18, 0, 100]);
          summary.sport = 40_000 + (client % 20_000);
          summary.dport = client % 3 === 0 ? 443 : 80;
          summary.tcpFlags = TCP_SYN;
          summary.length = 60 + (client % 5) * 200;
          summary.direction = DIR_IN;
          summary.mark = 0;
          processor.process(summary, net.clock.now());
        }
        await net.advance(250);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();

    const profile = mkdtempSync(join(tmpdir(), 'lvskit-status-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: ARGS,
      headless: true,
      viewport: { width: 1000, height: 1100 },
    });
    const problems: string[] = [];
    let closing = false;
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('requestfailed', (r) => {
        // The event stream is cut when the test closes the page; anything else failing is a problem.
        if (!closing) problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`);
      });
      page.on('response', (r) => {
        if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
      });

      await page.goto(server.url);
      // Services, real servers and the VRRP state render.
      await page.locator('.svc[data-service="http"] [data-rs="http|198.18.1.2|80"][data-health="up"]').waitFor();
      await page.locator('.svc[data-service="https"]').waitFor();
      await page.locator('[data-vrrp="VI_1"][data-state="MASTER"]').waitFor();
      await page.locator(`[data-vip="${VIP}"][data-serving="true"]`).waitFor();
      await page.locator('#live.ok').waitFor();
      const sync = page.locator('#sync [data-sync="backup"]');
      await sync.waitFor();
      expect(await sync.textContent()).toContain(`lo syncid 0 \u2192 127.0.0.2`);
      expect(await page.locator('#sync').textContent()).toContain('No sync block in the config.');
      expect(await page.locator('.svc[data-service="http"] [data-rs]').count()).toBe(4); // 3 + the sorry server
      expect(await page.locator('.svc[data-service="http"] .svc-head').textContent()).toMatch(/wlc/);
      expect(await page.locator('.svc[data-service="https"] .svc-head').textContent()).toMatch(/persistent 300s/);

      // A real server's check fails: the page shows it down, at weight 0, without a reload.
      net.checks.set('http', '198.18.1.2', 80, false);
      const row = page.locator('[data-rs="http|198.18.1.2|80"][data-health="down"]');
      await row.waitFor({ timeout: 10_000 });
      expect(await row.locator('td').nth(2).textContent()).toMatch(/^0\s*\/\s*3$/);
      await page
        .locator('#events li[data-type="realServerDown"]', { hasText: 'http: 198.18.1.2:80 down' })
        .first()
        .waitFor();

      // The charts have drawn points (the total line of each), with traffic in them.
      // (Page-side code as strings: this project's compiler has no DOM types.)
      await page.waitForFunction(
        `['cps', 'pps', 'bps'].every((k) =>
          Number(document.querySelector('svg[data-chart="' + k + '"]')?.getAttribute('data-points')) >= 3)`,
      );
      for (const k of ['cps', 'pps', 'bps']) {
        const d = await page.locator(`svg[data-chart="${k}"] path.total`).getAttribute('d');
        expect((d ?? '').split('L').length).toBeGreaterThan(2);
      }
      expect(await page.locator('svg[data-chart="cps"] path.svc-line').count()).toBe(2);

      // Readable at 1000px and on a phone: nothing wider than the screen (at 1000px not even a table), the
      // phone's tables scroll in their own boxes.
      const overflow = () =>
        page.evaluate<{ page: number; tables: number }>(`({
          page: document.documentElement.scrollWidth - window.innerWidth,
          tables: [...document.querySelectorAll('.scroll')].filter((e) => e.scrollWidth > e.clientWidth).length,
        })`);
      expect(await overflow()).toEqual({ page: 0, tables: 0 });
      await page.setViewportSize({ width: 390, height: 900 });
      expect((await overflow()).page).toBe(0);
      await page.setViewportSize({ width: 1000, height: 1100 });

      const shot = process.env.LVSKIT_STATUS_SCREENSHOT;
      if (shot) {
        await page.waitForTimeout(6_000); // a few more seconds of chart, for the picture only
        await page.screenshot({ path: shot, fullPage: true });
        await page.setViewportSize({ width: 390, height: 900 });
        await page.screenshot({ path: shot.replace(/\.png$/, '-phone.png'), fullPage: true });
      }
      closing = true;
      expect(problems).toEqual([]);
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
      pumping = false;
      await pump;
      await server.close();
      await d.stop();
    }
  }, 60_000);
});
