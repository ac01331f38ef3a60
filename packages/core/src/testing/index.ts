/**
 * @lvskit/core/testing — fakes for driving a whole director without privileges: a clock advanced by hand
 * and a simulated packet port that feeds text-described packets through the director's engine and
 * records the decisions. Test support only: never imported by production code, never touches the
 * network or the real clock.
 * @packageDocumentation
 */
import { DropReason, LvsError } from '@lvskit/base';
/** The one fake clock, `@lvskit/base/testing`'s, re-exported for core's own tests and users'. */
import { FakeClock } from '@lvskit/base/testing';
import type { Decision } from '../packet.js';
import {
  createPacketSummary,
  describeDecision,
  fillPacketSummary,
  METHOD_LOCALNODE,
  METHOD_MASQ,
  METHOD_TUNNEL,
  type PacketInit,
  VERDICT_DROP,
  VERDICT_FORWARD,
} from '../packet.js';
import type { Clock, PacketPort, PacketProcessor } from '../ports.js';

export { FakeClock };

/** A decision copied out of the engine's reusable object, with text fields for assertions. */
export interface SimulatedResult {
  /** `forward`, `local` or `drop`. */
  readonly verdict: 'forward' | 'local' | 'drop';
  /** Drop reason name (`NO_SERVER`, …) or `NONE`. */
  readonly reason: keyof typeof DropReason;
  /** `masq`, `route`, `tunnel` or `local` (forward only). */
  readonly method: 'masq' | 'route' | 'tunnel' | 'local' | undefined;
  /** `addr:port` of the real server (forward only), or the client for NAT replies. */
  readonly realServer: string | undefined;
  /** True for a NAT reply. */
  readonly reply: boolean;
}

function copy(d: Decision): SimulatedResult {
  const verdict = d.verdict === VERDICT_FORWARD ? 'forward' : d.verdict === VERDICT_DROP ? 'drop' : 'local';
  const reason =
    (Object.keys(DropReason) as (keyof typeof DropReason)[]).find((k) => DropReason[k] === d.reason) ?? 'NONE';
  const method =
    verdict !== 'forward'
      ? undefined
      : d.method === METHOD_MASQ
        ? 'masq'
        : d.method === METHOD_TUNNEL
          ? 'tunnel'
          : d.method === METHOD_LOCALNODE
            ? 'local'
            : 'route';
  return {
    verdict,
    reason,
    method,
    realServer: verdict === 'forward' ? describeDecision(d) : undefined,
    reply: d.reply,
  };
}

/**
 * A packet port with no network: `send()` runs a text-described packet through the director's engine
 * at the clock's time and returns the decision. Plug it in as `ports.packets`.
 */
export class SimulatedPacketPort implements PacketPort {
  private processor: PacketProcessor | undefined;
  private readonly summary = createPacketSummary();
  /** Every result, in order (cleared by {@link SimulatedPacketPort.reset}). */
  readonly log: SimulatedResult[] = [];

  /** @param clock - the clock whose time stamps packets */
  constructor(private readonly clock: Clock) {}

  /** Called by the director. */
  async open(processor: PacketProcessor): Promise<void> {
    this.processor = processor;
  }

  /** Called by the director. */
  async close(): Promise<void> {
    this.processor = undefined;
  }

  /** True while a director is attached. */
  get isOpen(): boolean {
    return this.processor !== undefined;
  }

  /**
   * Sends one packet.
   * @throws LvsError `CORE_DIRECTOR_STATE` when no director is attached
   */
  send(packet: PacketInit): SimulatedResult {
    if (!this.processor)
      throw new LvsError('CORE_DIRECTOR_STATE', 'SimulatedPacketPort: no director attached (start it first)');
    fillPacketSummary(packet, this.summary);
    const r = copy(this.processor.process(this.summary, this.clock.now()));
    this.log.push(r);
    return r;
  }

  /**
   * A whole TCP handshake from a client to a virtual service (SYN, then ACK) and, for NAT, the SYN+ACK
   * reply in between. Returns the first packet's result.
   */
  connect(client: string, clientPort: number, vip: string, vport: number): SimulatedResult {
    const first = this.send({
      source: client,
      sourcePort: clientPort,
      destination: vip,
      destinationPort: vport,
      flags: 'S',
    });
    if (first.verdict === 'forward' && first.method === 'masq' && first.realServer) {
      const i = first.realServer.lastIndexOf(':');
      const addr = first.realServer.slice(0, i).replace(/^\[|\]$/g, '');
      this.send({
        source: addr,
        sourcePort: Number(first.realServer.slice(i + 1)),
        destination: client,
        destinationPort: clientPort,
        flags: 'SA',
        direction: 'out',
      });
    }
    this.send({ source: client, sourcePort: clientPort, destination: vip, destinationPort: vport, flags: 'A' });
    return first;
  }

  /** Clears the log. */
  reset(): void {
    this.log.length = 0;
  }
}

/** What {@link SimulatedClients} sends. */
export interface SimulatedTrafficOptions {
  /** Virtual IP. */
  readonly vip: string;
  /** Virtual port. */
  readonly port: number;
  /** `tcp` (default) or `udp`. */
  readonly protocol?: 'tcp' | 'udp';
  /** Distinct client addresses (IPv4, from `198.19.0.0/16`); default 50. */
  readonly clients?: number;
  /** New connections per second; default 20. */
  readonly connectionsPerSecond?: number;
  /** Data packets per connection after the handshake; default 4. */
  readonly packetsPerConnection?: number;
  /** Bytes per data packet; default 800. */
  readonly packetBytes?: number;
  /** Seed of the deterministic client choice; default 1. */
  readonly seed?: number;
}

/**
 * Simulated clients for demos and tests: opens connections to a virtual service at a steady rate on a
 * {@link FakeClock}, each a complete exchange (handshake, data, FIN; NAT replies when the real server is
 * masqueraded), so listings show live ActiveConn/InActConn, counters and rates.
 */
export class SimulatedClients {
  private carry = 0;
  private rnd: number;
  private nextPort = 1024;
  /** Connections opened so far. */
  opened = 0;

  /**
   * @param port - the simulated packet port plugged into the director
   * @param clock - the fake clock the director runs on
   * @param options - traffic shape
   */
  constructor(
    private readonly port: SimulatedPacketPort,
    private readonly clock: FakeClock,
    private readonly options: SimulatedTrafficOptions,
  ) {
    this.rnd = options.seed ?? 1;
  }

  /** Runs `ms` of traffic, advancing the clock in 100 ms steps. */
  run(ms: number): void {
    const rate = this.options.connectionsPerSecond ?? 20;
    for (let t = 0; t < ms; t += 100) {
      this.carry += (rate * Math.min(100, ms - t)) / 1000;
      while (this.carry >= 1) {
        this.carry -= 1;
        this.one();
      }
      this.clock.advance(Math.min(100, ms - t));
    }
  }

  private one(): void {
    const o = this.options;
    this.rnd = (Math.imul(this.rnd, 1103515245) + 12345) >>> 0;
    const n = (this.rnd >>> 8) % (o.clients ?? 50);
    const client = `198.19.${(n >> 8) & 255}.${(n & 255) + 1 > 255 ? 1 : (n & 255) + 1}`;
    const sport = this.nextPort;
    this.nextPort = this.nextPort >= 65000 ? 1024 : this.nextPort + 1;
    this.opened++;
    const bytes = o.packetBytes ?? 800;
    const base = { source: client, sourcePort: sport, destination: o.vip, destinationPort: o.port };
    if (o.protocol === 'udp') {
      for (let k = 0; k < (o.packetsPerConnection ?? 4); k++)
        this.port.send({ ...base, protocol: 'udp', length: bytes });
      return;
    }
    const first = this.port.connect(client, sport, o.vip, o.port);
    const server = first.method === 'masq' ? first.realServer : undefined;
    for (let k = 0; k < (o.packetsPerConnection ?? 4); k++) {
      this.port.send({ ...base, flags: 'A', length: bytes });
      if (server) {
        const i = server.lastIndexOf(':');
        this.port.send({
          source: server.slice(0, i).replace(/^\[|\]$/g, ''),
          sourcePort: Number(server.slice(i + 1)),
          destination: client,
          destinationPort: sport,
          flags: 'A',
          length: bytes * 4,
          direction: 'out',
        });
      }
    }
    this.port.send({ ...base, flags: 'FA' });
  }
}
