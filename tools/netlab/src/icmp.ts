/**
 * The lab's own `ping`: ICMP echo (IPv4, RFC 792; IPv6, RFC 4443 §4.1) from inside a lab host, so no lab
 * test needs iputils. The requests are built here with base's Internet checksum; `scripts/icmp-echo.mjs`,
 * run in the host's namespace, sends them on a raw socket (the `raw-socket` package, built by `npm install`)
 * and reports the replies — the kernel routes the requests and resolves the next hop, as for iputils ping's.
 * It must never send to an address outside the lab ranges.
 */
import { randomInt } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { canonicalIp, internetChecksum, ipFamily, LvsError, put16 } from '@lvskit/base';
import { isLabAddress } from './address.js';
import type { CommandResult, RunOptions } from './proc.js';

/** Path of the script {@link pingFrom} runs inside the host. */
export const ICMP_ECHO_SCRIPT = fileURLToPath(new URL('../scripts/icmp-echo.mjs', import.meta.url));

// ICMP echo request / reply (RFC 792 p.14; RFC 4443 §4.1–4.2):
//  0       8       16              31
// | type  | code  |   checksum    |
// |  identifier   |   sequence    |
// | data …
const ECHO_TYPE = 0;
const ECHO_CHECKSUM = 2;
const ECHO_ID = 4;
const ECHO_SEQ = 6;
const ECHO_HEADER = 8;
const ECHO_REQUEST_V4 = 8;
const ECHO_REQUEST_V6 = 128;

/** Options of {@link Lab.ping}. */
export interface PingOptions {
  /** Echo requests to send (iputils `-c`). Default 1; 1–1000. */
  readonly count?: number;
  /** Milliseconds between requests (iputils `-i`, in ms). Default 100; 0 sends them back to back. */
  readonly intervalMs?: number;
  /** How long to wait for replies after the last request (iputils `-W`, in ms). Default 1000. */
  readonly timeoutMs?: number;
  /** Data bytes after the 8-byte ICMP header (iputils `-s`). Default 56. */
  readonly payloadBytes?: number;
}

/** What {@link Lab.ping} saw. */
export interface PingResult {
  /** Requests the kernel accepted. */
  readonly sent: number;
  /** Requests answered by an echo reply from the address (duplicates count once). */
  readonly received: number;
  /** Round-trip time of each answered request, in sequence order, in milliseconds. */
  readonly rttsMs: readonly number[];
  /** Send errors (e.g. `Network is unreachable`), one per refused request. */
  readonly errors: readonly string[];
}

function intOption(name: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new LvsError('INVALID_ARGUMENT', `netlab ping: ${name} must be an integer ${min}–${max}, not ${value}`);
  }
  return value;
}

/**
 * Builds the echo requests {@link pingFrom} sends: identifier `id`, sequence 1…count, a payload of
 * `payloadBytes` counting bytes. IPv4 gets its checksum; IPv6's stays zero (the kernel fills it on raw
 * ICMPv6 sockets, RFC 3542 §3.1).
 */
export function echoRequests(family: 4 | 6, id: number, count: number, payloadBytes: number): Buffer[] {
  const out: Buffer[] = [];
  for (let seq = 1; seq <= count; seq++) {
    const m = Buffer.alloc(ECHO_HEADER + payloadBytes);
    m[ECHO_TYPE] = family === 4 ? ECHO_REQUEST_V4 : ECHO_REQUEST_V6;
    put16(m, ECHO_ID, id);
    put16(m, ECHO_SEQ, seq);
    for (let i = 0; i < payloadBytes; i++) m[ECHO_HEADER + i] = i & 0xff;
    if (family === 4) put16(m, ECHO_CHECKSUM, internetChecksum(m, 0, m.length));
    out.push(m);
  }
  return out;
}

/**
 * Pings `address` with `run`, a command runner inside one lab host (see {@link Lab.ping}).
 * @throws LvsError `NETLAB_BAD_ADDRESS` for an address outside the lab ranges, `INVALID_ARGUMENT` for bad
 *   options, `NETLAB_COMMAND_FAILED` when the script cannot run (no raw socket: not root, or `raw-socket`
 *   not built)
 */
export async function pingFrom(
  run: (argv: readonly string[], options: RunOptions) => Promise<CommandResult>,
  address: string,
  options: PingOptions = {},
): Promise<PingResult> {
  const family = ipFamily(address);
  if (family === undefined || !isLabAddress(address)) {
    throw new LvsError('NETLAB_BAD_ADDRESS', `netlab ping: ${JSON.stringify(address)} is not a lab address`);
  }
  const count = intOption('count', options.count, 1, 1000, 1);
  const intervalMs = intOption('intervalMs', options.intervalMs, 0, 60_000, 100);
  const timeoutMs = intOption('timeoutMs', options.timeoutMs, 1, 60_000, 1000);
  const payloadBytes = intOption('payloadBytes', options.payloadBytes, 0, 1400, 56);
  const id = randomInt(1, 0x10000);
  const argv = [
    process.execPath,
    ICMP_ECHO_SCRIPT,
    '--family',
    String(family),
    '--to',
    canonicalIp(address),
    '--id',
    String(id),
    '--interval',
    String(intervalMs),
    '--timeout',
    String(timeoutMs),
    ...echoRequests(family, id, count, payloadBytes).map((m) => m.toString('hex')),
  ];
  const r = await run(argv, { timeoutMs: count * intervalMs + timeoutMs + 10_000 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  let report: { sent: number; replies: { seq: number; rttMs: number }[]; errors: string[] };
  try {
    report = JSON.parse(line);
  } catch {
    throw new LvsError('NETLAB_COMMAND_FAILED', `netlab ping ${address}: no report: ${(r.stderr || r.stdout).trim()}`);
  }
  const replies = [...report.replies].sort((a, b) => a.seq - b.seq);
  return { sent: report.sent, received: replies.length, rttsMs: replies.map((x) => x.rttMs), errors: report.errors };
}

let rawSocketReason: string | undefined | null = null;

/**
 * Why {@link Lab.ping} cannot work here, or undefined when it can: it needs the `raw-socket` package's
 * addon (built by `npm install` with g++, make and python3) and root for the raw socket.
 */
export function pingUnavailableReason(): string | undefined {
  if (rawSocketReason !== null) return rawSocketReason;
  try {
    createRequire(import.meta.url)('raw-socket');
    rawSocketReason = process.getuid?.() === 0 ? undefined : 'raw ICMP sockets need root (CAP_NET_RAW)';
  } catch (err) {
    rawSocketReason = `the raw-socket addon does not load (run npm install; it builds with g++, make and python3): ${
      err instanceof Error ? err.message : String(err)
    }`;
  }
  return rawSocketReason;
}
