/**
 * What the director's lab tests share: spawning a TypeScript entry point in a lab namespace, the HTTP client
 * that requests the VIP continuously (client.mjs) and reading its replies, and the keepalived gate.
 */
import { fileURLToPath } from 'node:url';
import type { Lab, LabHost, LabProcess } from '@lvskit/netlab';

/** The README's HA director entry point (examples/ha-director/main.ts, run unchanged). */
export const haMain = fileURLToPath(new URL('../../../../examples/ha-director/main.ts', import.meta.url));
const clientScript = fileURLToPath(new URL('./client.mjs', import.meta.url));

/** Runs a TypeScript entry point (workspace sources, through tsx) as a process in `host`'s namespace. */
export function spawnTs(lab: Lab, host: LabHost, entry: string, args: readonly string[]): LabProcess {
  return lab.spawn(host, [process.execPath, '--conditions=@lvskit/source', '--import', 'tsx', entry, ...args]);
}

/** Starts the HTTP client in `host`: one GET of `url` every `intervalMs`, each on a fresh connection. */
export function startClient(lab: Lab, host: LabHost, url: string, intervalMs: number, count?: number): LabProcess {
  const args = [clientScript, url, String(intervalMs), ...(count === undefined ? [] : [String(count)])];
  return lab.spawn(host, [process.execPath, ...args]);
}

/** One request of the client: when it started (ms since the epoch), whether it was answered, the body. */
export interface Reply {
  readonly t: number;
  readonly ok: boolean;
  readonly body: string | null;
}

/** The client's replies so far. */
export function replies(p: LabProcess): Reply[] {
  return p
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Reply);
}

export { hasKeepalived } from '../../../vrrp/test/lab/helpers.js';
