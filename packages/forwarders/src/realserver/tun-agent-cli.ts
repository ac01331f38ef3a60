#!/usr/bin/env node
/**
 * Command line for the IPIP decapsulation agent, to run inside a real server's namespace:
 * `ip netns exec <ns> node … tun-agent-cli.ts --vip 198.18.0.100 [--vip …] [--director 198.18.0.2]`.
 * Prints "ready" once listening and its counters on SIGTERM/SIGINT, then exits. It owns argument parsing
 * only; must never change any system setting.
 */
import { startTunnelDecapAgent } from './tun-agent.js';

const vips: string[] = [];
const directors: string[] = [];
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i += 2) {
  if (args[i] === '--vip') vips.push(args[i + 1] ?? '');
  else if (args[i] === '--director') directors.push(args[i + 1] ?? '');
  else {
    process.stderr.write(`usage: tun-agent-cli --vip ADDR [--vip ADDR …] [--director ADDR …]\n`);
    process.exit(2);
  }
}
const agent = startTunnelDecapAgent({ vips, directors });
process.stdout.write('ready\n');
const stop = () => {
  agent.stop();
  process.stdout.write(`counters ${Array.from(agent.counters).join(' ')}\n`);
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
