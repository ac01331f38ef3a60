/**
 * Runs the README's example and checks that README.md still carries exactly this code (between the markers),
 * so the documentation cannot drift from something that works.
 */
import { strictEqual } from 'node:assert';
import { readFileSync } from 'node:fs';
import { createScheduler, makeFlow, NO_SERVER } from '@lvskit/schedulers';
import { describe, expect, it } from 'vitest';

describe('README example', () => {
  it('runs', () => {
    // README:begin
    // Weighted round robin with three real servers already in the service (kernel list order = this order).
    const wrr = createScheduler('wrr', {
      servers: [
        { address: '198.18.1.1', port: 80, weight: 4 },
        { address: '198.18.1.2', port: 80, weight: 3 },
        { address: '198.18.1.3', port: 80, weight: 2 },
      ],
    });
    // One Flow object, refilled per packet on a hot path; schedule() returns a handle and allocates nothing.
    const flow = makeFlow({ source: '198.19.0.7', sourcePort: 40000, destination: '198.18.0.10', destinationPort: 80 });
    const last = (h: number) => wrr.info(h).address.split('.')[3];
    const order = Array.from({ length: 9 }, () => last(wrr.schedule(flow))).join('');
    strictEqual(order, '112123123'); // the kernel's AABABCABC for weights 4, 3, 2

    // Weighted least connection (the IPVS default): the caller reports connection counts.
    const wlc = createScheduler('wlc');
    const a = wlc.add({ address: '198.18.1.1', port: 80, weight: 1 });
    const b = wlc.add({ address: '2001:db8::2', port: 80, weight: 2 }); // added last → head of the list
    wlc.setConnections(a, 1, 0); // overhead 1*256 + 0  → 256 per weight
    wlc.setConnections(b, 1, 10); // overhead 1*256 + 10 → 133 per weight
    strictEqual(wlc.pick({ source: '198.19.0.7', destination: '198.18.0.10' })?.address, '2001:db8::2');
    wlc.setOverloaded(b, true); // upper threshold reached
    strictEqual(wlc.schedule(flow), a);
    wlc.update(a, { weight: 0 }); // quiesced: no new connections
    strictEqual(wlc.schedule(flow), NO_SERVER);
    // README:end
    expect(order).toBe('112123123');
  });

  it('README.md carries exactly this example', () => {
    const self = readFileSync(new URL(import.meta.url), 'utf8');
    const block = self.slice(self.indexOf('// README:begin\n') + 16, self.indexOf('    // README:end'));
    // The README shows the same lines without the test's indentation.
    const code = block
      .split('\n')
      .map((l) => l.replace(/^ {4}/, ''))
      .join('\n')
      .trimEnd();
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(code);
  });
});
