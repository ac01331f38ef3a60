// A client inside a lab namespace: one GET to the VIP every INTERVAL ms, each on a fresh connection, until
// stdin closes or COUNT requests were made; prints one JSON line per request: {t, ok, body}.
import http from 'node:http';

const [url, intervalText = '20', countText = '100000'] = process.argv.slice(2);
const interval = Number(intervalText);
const count = Number(countText);
let done = false;
process.stdin.on('close', () => {
  done = true;
});
process.stdin.resume();
const agent = new http.Agent({ keepAlive: false });
for (let i = 0; i < count && !done; i++) {
  const t = Date.now();
  const body = await new Promise((resolve) => {
    const req = http.get(url, { agent, timeout: 500 }, (res) => {
      let data = '';
      res.on('data', (c) => {
        data += c;
      });
      res.on('end', () => resolve(data.trim()));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(null));
  });
  console.log(JSON.stringify({ t, ok: body !== null, body }));
  const wait = t + interval - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}
process.exit(0);
