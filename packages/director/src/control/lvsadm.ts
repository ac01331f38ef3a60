/**
 * `lvsadm`: ipvsadm's grammar sent to a running director over its control socket, plus query subcommands
 * outside ipvsadm's grammar (`--vrrp`, `--checks`, `--connections`, each with `--json`).
 */
import type { Readable } from 'node:stream';
import { LvsError } from '@lvskit/base';
import {
  type ControlCheck,
  type ControlConnectionsResult,
  type ControlIpvsadmResult,
  type ControlVrrpInstance,
  controlRequest,
} from './index.js';

/** Where {@link runLvsadm} writes and reads. */
export interface LvsadmIo {
  readonly stdout: { write(chunk: string): unknown };
  readonly stderr: { write(chunk: string): unknown };
  /** What `-R` reads (read only for `-R`). */
  readonly stdin?: string | Readable;
  /** Control socket path (overrides `LVSKIT_SOCKET`). */
  readonly socket?: string;
  /** Environment (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Default control socket path. */
export const DEFAULT_CONTROL_SOCKET = '/run/lvskit/lvskit.sock';

async function readAll(input: string | Readable | undefined): Promise<string> {
  if (input === undefined) return '';
  if (typeof input === 'string') return input;
  let text = '';
  input.setEncoding('utf8');
  for await (const chunk of input) text += chunk as string;
  return text;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) {
    for (const [i, c] of r.entries()) widths[i] = Math.max(widths[i] ?? 0, c.length);
  }
  const lines = rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join(' ')
      .trimEnd(),
  );
  return `${lines.join('\n')}\n`;
}

function isRestore(argv: readonly string[]): boolean {
  return argv.some((w) => w === '-R' || w === '--restore');
}

/**
 * Runs one `lvsadm` invocation and resolves with its exit status. A director that cannot be reached is
 * reported as ipvsadm reports an IPVS it cannot initialise (ipvsadm.c `main`: `fail(2, "Can't initialize
 * ipvs: …")`), exit status 2.
 */
export async function runLvsadm(argv: readonly string[], io: LvsadmIo): Promise<number> {
  let args = [...argv];
  let socket = io.socket ?? (io.env ?? process.env).LVSKIT_SOCKET ?? DEFAULT_CONTROL_SOCKET;
  if (args[0] === '--control-socket') {
    if (args[1] === undefined) {
      io.stderr.write('lvsadm: --control-socket needs a PATH\n');
      return 2;
    }
    socket = args[1];
    args = args.slice(2);
  }
  const json = args.includes('--json');
  const query = args[0];
  try {
    if (query === '--vrrp') {
      const r = (await controlRequest(socket, 'vrrp')) as ControlVrrpInstance[];
      if (json) io.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else
        io.stdout.write(
          table([
            ['Instance', 'State', 'Priority', 'MasterSince', 'LastTransition', 'Reason'],
            ...r.map((v) => [
              v.instance,
              v.state,
              v.priority === undefined ? '-' : String(v.priority),
              v.masterSince === undefined ? '-' : String(v.masterSince),
              v.lastTransition ? `${v.lastTransition.from}->${v.lastTransition.to}@${v.lastTransition.at}` : '-',
              v.lastTransition?.reason ?? '-',
            ]),
          ]),
        );
      return 0;
    }
    if (query === '--checks') {
      const r = (await controlRequest(socket, 'checks')) as ControlCheck[];
      if (json) io.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else
        io.stdout.write(
          table([
            ['Service', 'RealServer', 'Check', 'State', 'LastAt', 'Duration', 'Message'],
            ...r.map((c) => {
              const last = c.results[c.results.length - 1];
              return [
                c.service,
                `${c.address}:${c.port}`,
                c.checker,
                c.up === undefined ? '-' : c.up ? 'UP' : 'DOWN',
                last ? String(last.at) : '-',
                last ? `${last.durationMs}ms` : '-',
                last?.message ?? '-',
              ];
            }),
          ]),
        );
      return 0;
    }
    if (query === '--connections') {
      const params: Record<string, string> = {};
      for (let i = 1; i < args.length; i++) {
        const w = args[i];
        if (w === '--json') continue;
        const v = args[i + 1];
        const key =
          w === '--client'
            ? 'client'
            : w === '--real-server'
              ? 'realServer'
              : w === '--service'
                ? 'service'
                : undefined;
        if (key === undefined || v === undefined) {
          io.stderr.write(`lvsadm: --connections: unexpected argument ${w}\n`);
          return 2;
        }
        params[key] = v;
        i++;
      }
      const r = (await controlRequest(socket, 'connections', params)) as ControlConnectionsResult;
      if (json) io.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else
        io.stdout.write(
          table([
            ['Pro', 'FromIP:Port', 'ToIP:Port', 'DestIP:Port', 'State', 'Expires'],
            ...r.connections.map((c) => [
              c.protocol,
              `${c.clientAddress}:${c.clientPort}`,
              `${c.virtualAddress}:${c.virtualPort}`,
              `${c.destAddress}:${c.destPort}`,
              c.state,
              String(c.expires),
            ]),
          ]),
        );
      return 0;
    }
    const params: { argv: string[]; stdin?: string } = { argv: args };
    if (isRestore(args)) params.stdin = await readAll(io.stdin);
    const r = (await controlRequest(socket, 'ipvsadm', params)) as ControlIpvsadmResult;
    io.stdout.write(r.stdout);
    io.stderr.write(r.stderr);
    return r.code;
  } catch (err) {
    if (err instanceof LvsError && err.code === 'DIRECTOR_CONTROL_UNREACHABLE') {
      io.stderr.write(
        `Can't initialize ipvs: ${err.message}\nAre you sure that the lvskit daemon is running (control socket ${socket})?\n`,
      );
      return 2;
    }
    io.stderr.write(`lvsadm: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
}
