/**
 * End-to-end scenarios on the real clock: a HealthDirector runs real HTTP_GET checks against a Node HTTP
 * server that dies, returns, hangs or changes its body; the in-memory director records the table; notify
 * scripts write files; alerts arrive by mail at a real smtp-server. Timings are checked as lower bounds
 * derived from keepalived's rule (down after retry × delay_before_retry), never as performance assertions.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FakeDirector,
  HealthDirector,
  HealthRunner,
  httpGetCheck,
  keepalivedPolicy,
  mailNotifier,
  type VirtualServiceHealth,
} from '../../src/index.js';
import { tempDir, waitFor } from './fixtures.js';

const HOST = '127.0.0.1';
let body = 'v1';
let mode: 'ok' | 'hang' = 'ok';

function startHttp(port = 0): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => {
    if (mode === 'hang') return;
    res.writeHead(200, { 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  return new Promise((resolve) =>
    server.listen(port, HOST, () => resolve({ server, port: (server.address() as { port: number }).port })),
  );
}

function stopHttp(s: Server): Promise<void> {
  s.closeAllConnections();
  return new Promise((r) => s.close(() => r()));
}

describe('HealthDirector with real HTTP_GET checks', () => {
  const dir = tempDir('scen');
  const mails: string[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, _session, cb) {
      let text = '';
      stream.on('data', (c: Buffer) => {
        text += c.toString();
      });
      stream.on('end', () => {
        mails.push(text);
        cb();
      });
    },
  });
  let smtpPort = 0;
  beforeAll(async () => {
    smtpPort = await new Promise((r) =>
      smtp.listen(0, HOST, () => r((smtp.server.address() as { port: number }).port)),
    );
  });
  afterAll(async () => {
    await new Promise((r) => smtp.close(() => r(null)));
    rmSync(dir, { recursive: true, force: true });
  });

  it('dies → down after retry × delay_before_retry; returns → up; hangs → timeout; wrong digest → down', async () => {
    let http = await startHttp();
    const port = http.port;
    const director = new FakeDirector();
    const runner = new HealthRunner();
    const hd = new HealthDirector({
      director,
      runner,
      notifier: mailNotifier({
        host: HOST,
        port: smtpPort,
        from: 'lvs@example.test',
        to: ['ops@example.test'],
        routerId: 'lab',
      }),
    });
    const times: Record<string, number> = {};
    const log: string[] = [];
    hd.on('realServerDown', (e) => {
      log.push(`down ${e.reason}`);
      times.down = Date.now();
    });
    hd.on('realServerUp', () => {
      log.push('up');
      times.up = Date.now();
    });
    const digest = createHash('md5').update('v1').digest('hex');
    // delay_loop 300 ms, retry 2, delay_before_retry 200 ms, connect_timeout 250 ms.
    const policy = keepalivedPolicy('HTTP_GET', { delayLoopMs: 300, retry: 2, delayBeforeRetryMs: 200, warmupMs: 0 });
    const upFile = join(dir, 'up');
    const downFile = join(dir, 'down');
    const cfg: VirtualServiceHealth = {
      id: 'TCP 10.0.0.100:80',
      mode: 'keepalived',
      inhibitOnFailure: true,
      realServers: [
        {
          server: { id: `${HOST}:${port}`, address: HOST, port },
          weight: 5,
          notifyUp: `touch ${upFile}`,
          notifyDown: `touch ${downFile}`,
          checkers: [
            { checker: httpGetCheck({ host: HOST, port, urls: [{ path: '/', digest }] }), policy, timeoutMs: 250 },
          ],
        },
      ],
    };
    hd.apply([cfg]);
    hd.start();
    await hd.idle();
    expect(director.weights(cfg.id)).toEqual({ [`${HOST}:${port}`]: 5 });

    // Let the first check pass: at startup a single failure is enough (check_data.c), which is not what
    // this scenario is about.
    await waitFor(() => runner.status()[0]?.checkers[0]?.state.hasRun === true, 5000, 'first check');
    // 1. The server dies: down no sooner than retry × delay_before_retry after the first failure.
    const killedAt = Date.now();
    await stopHttp(http.server);
    await waitFor(() => times.down !== undefined, 5000, 'down');
    expect(times.down as number).toBeGreaterThanOrEqual(killedAt + 2 * 200);
    await hd.idle();
    expect(director.weights(cfg.id)).toEqual({ [`${HOST}:${port}`]: 0 }); // inhibit_on_failure
    expect(existsSync(downFile)).toBe(true);

    // 2. It returns (same port): up at the next delay_loop, weight restored.
    http = await startHttp(port);
    await waitFor(() => times.up !== undefined, 5000, 'up');
    await hd.idle();
    expect(director.weights(cfg.id)).toEqual({ [`${HOST}:${port}`]: 5 });
    expect(existsSync(upFile)).toBe(true);

    // 3. It hangs: the runner's 250 ms timeout fails the checks and the runner keeps running.
    times.down = undefined as unknown as number;
    mode = 'hang';
    await waitFor(() => times.down !== undefined, 5000, 'down on hang');
    expect(log.at(-1)).toMatch(/timeout after 250 ms/);
    expect(runner.inflight).toBeLessThanOrEqual(1);
    mode = 'ok';
    times.up = undefined as unknown as number;
    await waitFor(() => times.up !== undefined, 5000, 'up after hang');

    // 4. Wrong digest: the body changes → down.
    times.down = undefined as unknown as number;
    body = 'v2';
    await waitFor(() => times.down !== undefined, 5000, 'down on digest');
    expect(log.at(-1)).toMatch(/MD5 digest error/);

    hd.stop();
    await hd.idle();
    await stopHttp(http.server);
    // Each of the five real-server transitions sent one mail with keepalived's subject shape (quorum
    // alerts are off: the service's smtp_alert defaults to no).
    await waitFor(() => mails.length >= 5, 5000, 'mails');
    expect(mails.length).toBe(5);
    // Long headers are folded on the wire (RFC 5322 §2.2.3); unfold before matching.
    const unfolded = mails.map((m) => m.replace(/\r?\n[ \t]+/g, ' '));
    expect(
      unfolded.some((m) =>
        m.includes(`Subject: [lab] Realserver [${HOST}:${port}] of virtual server [TCP 10.0.0.100:80] - DOWN`),
      ),
    ).toBe(true);
    expect(unfolded.some((m) => /Subject: .* - UP/.test(m))).toBe(true);
    expect(readFileSync(downFile, 'utf8')).toBe('');
  });
});
