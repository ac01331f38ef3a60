// The lab router's resilient next-hop group mode (run inside the router's namespace): BIRD 2 cannot program
// Linux next-hop objects, so it exports its multipath route for the VIP into kernel table 100, and this loop
// mirrors that route's next hops into a resilient next-hop group (`ip nexthop … type resilient`) that the
// main table's route for the VIP uses. A resilient group keeps every bucket of a next hop that stays where it
// was, so removing one of N next hops moves only that one's flows. Polls every 20 ms; prints one line per change.
//   node resilient-nhg.mjs <vip/32> <buckets>
import { execFileSync } from 'node:child_process';

const [prefix, bucketsArg] = process.argv.slice(2);
const buckets = String(Number(bucketsArg ?? 96));
const GROUP = '100';
const ip = (...args) => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const ids = new Map(); // next-hop address -> nexthop object id
let current = '';

function tick() {
  let hops = [];
  try {
    hops = [...ip('-4', 'route', 'show', 'table', '100', prefix).matchAll(/via (\d+\.\d+\.\d+\.\d+) dev (\S+)/g)].map(
      (m) => [m[1], m[2]],
    );
  } catch {
    hops = [];
  }
  const key = hops
    .map(([a]) => a)
    .sort()
    .join(',');
  if (key === current) return;
  current = key;
  if (hops.length === 0) {
    try {
      ip('route', 'del', prefix);
    } catch {}
  } else {
    for (const [a, dev] of hops) {
      if (!ids.has(a)) ids.set(a, String(10 + ids.size));
      ip('nexthop', 'replace', 'id', ids.get(a), 'via', a, 'dev', dev);
    }
    const group = hops.map(([a]) => ids.get(a)).join('/');
    ip('nexthop', 'replace', 'id', GROUP, 'group', group, 'type', 'resilient', 'buckets', buckets, 'idle_timer', '0');
    ip('route', 'replace', prefix, 'nhid', GROUP);
  }
  process.stdout.write(`next hops ${key || '-'}\n`);
}
setInterval(tick, 20);
tick();
