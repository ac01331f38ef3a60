/**
 * Test helpers shared by the scheduler tests: servers named by letters (A = 198.18.1.1, B = .2, …) so that
 * expected sequences read like the spec's (`AABABCABC`). Test code only.
 */
import { makeFlow } from '../src/address.js';
import type { Scheduler, SchedulerName } from '../src/types.js';
import { NO_SERVER } from '../src/types.js';

/** One reusable IPv4 flow. */
export const FLOW = makeFlow({
  source: '198.19.0.1',
  sourcePort: 40000,
  destination: '198.18.0.1',
  destinationPort: 80,
});

/** The address of server letter `L`. */
export const addr = (letter: string): string => `198.18.1.${letter.charCodeAt(0) - 64}`;

/** Server specs for `weights`, lettered A, B, C… in the order given (= kernel list order when passed as `servers`). */
export const lettered = (weights: readonly number[]) =>
  weights.map((weight, i) => ({ address: addr(String.fromCharCode(65 + i)), port: 80, weight }));

/** The letter of a handle, or `-` for NO_SERVER. */
export function letterOf(s: Scheduler<SchedulerName>, h: number): string {
  if (h === NO_SERVER) return '-';
  return String.fromCharCode(64 + Number(s.info(h).address.split('.')[3]));
}

/** `n` picks as letters. */
export function picks(s: Scheduler<SchedulerName>, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += letterOf(s, s.schedule(FLOW));
  return out;
}

/** The handle of letter `L` (port 80). */
export const h = (s: Scheduler<SchedulerName>, letter: string): number => s.handleOf(addr(letter), 80);
