/**
 * The live status page of a director over node:http: `GET /` the page (one self-contained HTML file),
 * `GET /api/status` a {@link StatusSnapshot}, `GET /api/history` the sampled rates, `GET /api/events` Server-Sent
 * Events (a snapshot every second and each director event as it happens). Opt-in: nothing listens unless
 * `serveStatus` is called. It samples the table once a second on the director's clock and listens to the
 * director's events; it never changes the director, and `close()` removes every listener and timer it added.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { formatEndpoint, LvsError, type TimerHandle } from '@lvskit/base';
import type { Director, DirectorEvents } from '../director.js';
import { canonical } from '../metrics.js';
import { RateHistory } from './history.js';
import { STATUS_PAGE_HTML } from './page.js';
import {
  describeEvent,
  realServerKey,
  type StatusEvent,
  type StatusSnapshot,
  type StatusVrrp,
  statusSnapshot,
  type TimelineEvents,
} from './snapshot.js';

/** Options of {@link serveStatus}. */
export interface StatusServerOptions {
  /** TCP port; 0 picks a free one (read it from {@link StatusServer.port}). */
  readonly port: number;
  /** Address to listen on; default `127.0.0.1` (the page has no authentication: expose it with care). */
  readonly host?: string;
  /** Seconds of rate history kept and drawn (one sample a second); default 600. */
  readonly historySeconds?: number;
}

/** A running status page. */
export interface StatusServer {
  /** The port it listens on. */
  readonly port: number;
  /** `http://host:port/`. */
  readonly url: string;
  /** Stops listening, ends the event streams, removes the director listeners and the sampling timer. */
  close(): Promise<void>;
}

/** Events kept for the timeline (and sent with each snapshot). */
const EVENT_CAP = 200;
const SAMPLE_MS = 1000;

// Every event the director emits goes on the timeline: a new event in DirectorEvents fails to compile here.
const TIMELINE_EVENTS: Record<keyof DirectorEvents, true> = {
  started: true,
  stopped: true,
  serving: true,
  vrrpTransition: true,
  realServerUp: true,
  realServerDown: true,
  realServerDraining: true,
  realServerRemoved: true,
  quorumUp: true,
  quorumDown: true,
  tableChanged: true,
  reloaded: true,
  syncStarted: true,
  syncStopped: true,
  syncResync: true,
  announced: true,
  withdrawn: true,
  warning: true,
  error: true,
};
const TIMELINE = Object.keys(TIMELINE_EVENTS) as (keyof DirectorEvents)[];

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

// The page loads nothing from anywhere: inline style and script, data: images, fetch and SSE to itself only.
const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * Serves the live status page of a director.
 * @param director - the director to show (created, running or stopped; it may start, reload and stop under
 *   the page)
 * @param options - port, host and history length
 * @returns the server, once it listens
 * @throws LvsError `INVALID_ARGUMENT` for a bad port or history length; the listen error (e.g. `EADDRINUSE`)
 *   rejects
 */
export async function serveStatus(director: Director, options: StatusServerOptions): Promise<StatusServer> {
  const { port, host = '127.0.0.1', historySeconds = 600 } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new LvsError('INVALID_ARGUMENT', `serveStatus: port must be an integer 0..65535, got ${String(port)}`);
  if (!Number.isInteger(historySeconds) || historySeconds < 2 || historySeconds > 86_400)
    throw new LvsError(
      'INVALID_ARGUMENT',
      `serveStatus: historySeconds must be an integer 2..86400, got ${String(historySeconds)}`,
    );

  const clock = director.clock;
  const history = new RateHistory(historySeconds, SAMPLE_MS);
  const events: StatusEvent[] = [];
  const transitions = new Map<string, NonNullable<StatusVrrp['lastTransition']>>();
  const reasons = new Map<string, string>();
  const streams = new Set<ServerResponse>();
  const host_ = hostname();
  let seq = 0;

  const snapshot = (withEvents = true): StatusSnapshot =>
    statusSnapshot(director, {
      host: host_,
      transitions,
      reasons,
      latest: history.latest(),
      events: withEvents ? events : [],
      lastEventSeq: seq,
    });

  const send = (res: ServerResponse, event: string, id: number | undefined, data: unknown) => {
    res.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };

  const record = <K extends keyof TimelineEvents>(type: K, e: TimelineEvents[K]) => {
    const { level, text } = describeEvent(type, e);
    const ev: StatusEvent = { seq: ++seq, at: clock.now(), type, level, text };
    events.push(ev);
    if (events.length > EVENT_CAP) events.splice(0, events.length - EVENT_CAP);
    for (const res of streams) send(res, 'director', ev.seq, ev);
  };

  const offs: (() => void)[] = [];
  for (const type of TIMELINE) offs.push(director.on(type, (e) => record(type, e)));
  offs.push(director.health.on('checkerUp', (e) => record('checkerUp', e)));
  offs.push(director.health.on('checkerDown', (e) => record('checkerDown', e)));
  offs.push(
    director.on('vrrpTransition', (e) =>
      transitions.set(e.instance, { from: e.from, to: e.to, reason: e.reason, at: clock.now() }),
    ),
  );
  const onRs = (e: { service: string; address: string; port: number; reason: string }) =>
    reasons.set(realServerKey(e.service, canonical(e.address), e.port), e.reason);
  offs.push(director.on('realServerUp', onRs), director.on('realServerDown', onRs));

  // Sampling: once a second on the director's clock, on a fixed grid so the interval does not drift.
  const sample = () => history.sample(clock.now(), director.ipvs.totals(), director.ipvs.list());
  sample();
  const start = clock.now();
  let ticks = 0;
  let timer: TimerHandle | undefined;
  const schedule = () => {
    ticks++;
    timer = clock.setTimeout(tick, start + ticks * SAMPLE_MS - clock.now());
  };
  const tick = () => {
    sample();
    if (streams.size > 0) {
      const s = snapshot(false);
      for (const res of streams) send(res, 'snapshot', undefined, s);
    }
    schedule();
  };
  schedule();

  const json = (res: ServerResponse, head: boolean, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
    });
    res.end(head ? undefined : text);
  };

  const routes: Record<
    string,
    { methods: readonly string[]; handle(req: IncomingMessage, res: ServerResponse): void }
  > = {
    '/': {
      methods: ['GET', 'HEAD'],
      handle: (req, res) => {
        res.writeHead(200, {
          ...SECURITY_HEADERS,
          'content-type': 'text/html; charset=utf-8',
          'content-length': Buffer.byteLength(STATUS_PAGE_HTML),
          'content-security-policy': PAGE_CSP,
          'referrer-policy': 'no-referrer',
        });
        res.end(req.method === 'HEAD' ? undefined : STATUS_PAGE_HTML);
      },
    },
    '/api/status': { methods: ['GET', 'HEAD'], handle: (req, res) => json(res, req.method === 'HEAD', snapshot()) },
    '/api/history': {
      methods: ['GET', 'HEAD'],
      handle: (req, res) => json(res, req.method === 'HEAD', history.toJSON()),
    },
    '/api/events': {
      methods: ['GET'],
      handle: (req, res) => {
        res.writeHead(200, {
          ...SECURITY_HEADERS,
          'content-type': 'text/event-stream; charset=utf-8',
          connection: 'keep-alive',
        });
        res.write('retry: 2000\n\n');
        // A reconnecting page sends Last-Event-ID: it gets the events it missed, then the snapshot.
        const last = Number(req.headers['last-event-id']);
        if (Number.isInteger(last)) for (const ev of events) if (ev.seq > last) send(res, 'director', ev.seq, ev);
        send(res, 'snapshot', undefined, snapshot());
        streams.add(res);
        const drop = () => streams.delete(res);
        req.on('close', drop);
        res.on('close', drop);
      },
    },
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = Object.hasOwn(routes, url.pathname) ? routes[url.pathname] : undefined;
    if (!route) {
      res.writeHead(404, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    if (!route.methods.includes(req.method ?? '')) {
      res
        .writeHead(405, {
          ...SECURITY_HEADERS,
          allow: route.methods.join(', '),
          'content-type': 'text/plain; charset=utf-8',
        })
        .end('method not allowed\n');
      return;
    }
    try {
      route.handle(req, res);
    } catch (err) {
      if (!res.headersSent) res.writeHead(500, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' });
      res.end(`${err instanceof Error ? err.message : String(err)}\n`);
    }
  });

  const cleanup = () => {
    timer?.cancel();
    timer = undefined;
    for (const off of offs.splice(0)) off();
  };
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    cleanup();
    throw err;
  }
  const bound = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    port: bound,
    url: `http://${formatEndpoint(host, bound)}/`,
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        cleanup();
        for (const res of streams) res.end();
        streams.clear();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
