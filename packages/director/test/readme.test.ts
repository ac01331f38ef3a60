/**
 * The README's HA director (examples/ha-director/director.ts, shown verbatim in packages/director/README.md)
 * runs unchanged here on fakes: two of them, a failover, a real server failing its check. The lab test runs the
 * same file in two namespaces as root.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { haDirector } from '../../../examples/ha-director/director.js';
import { TestNetwork } from '../src/testing/index.js';

const root = join(import.meta.dirname, '..', '..', '..');

describe('README example', () => {
  it('is the code of examples/ha-director/director.ts', () => {
    const readme = readFileSync(join(root, 'packages', 'director', 'README.md'), 'utf8');
    const code = readFileSync(join(root, 'examples', 'ha-director', 'director.ts'), 'utf8');
    expect(readme).toContain(`\`\`\`ts\n${code.trimEnd()}\n\`\`\``);
  });

  it('runs on fakes: the MASTER serves, the BACKUP takes over, a failed real server leaves the table', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const net = new TestNetwork();
      const a = haDirector(150, net.ports({ address: '198.18.0.1' }));
      const b = haDirector(100, net.ports({ address: '198.18.0.2' }));
      await a.start();
      await b.start();
      await net.advance(5_000);
      expect(a.serving).toEqual(['198.18.0.100']);
      expect(b.serving).toEqual([]);
      // The datapaths were told: only the master's serves and announced the VIP (keepalived's 5 gratuitous ARPs).
      expect(net.datapaths.get('198.18.0.1')!.served).toEqual(['198.18.0.100']);
      expect(net.datapaths.get('198.18.0.2')!.served).toEqual([]);
      expect(net.datapaths.get('198.18.0.1')!.announced[0]).toEqual({ vip: '198.18.0.100', repeat: 5 });
      expect(net.datapaths.get('198.18.0.2')!.announced).toEqual([]);
      net.partition('198.18.0.1', true);
      await net.advance(5_000);
      expect(b.serving).toEqual(['198.18.0.100']);
      expect(net.datapaths.get('198.18.0.2')!.served).toEqual(['198.18.0.100']);
      net.checks.set('http', '198.18.0.4', 80, false);
      await net.advance(5_000);
      expect(b.ipvs.get('http').realServers.map((r) => r.address)).toEqual(['198.18.0.3']);
      const lines = log.mock.calls.map((c) => String(c[0]));
      expect(lines).toContain('VI_1: BACKUP -> MASTER (master-down)');
      expect(lines).toContain('198.18.0.100: serving');
      expect(lines.some((l) => l.startsWith('198.18.0.4:80 down'))).toBe(true);
      await a.stop();
      await b.stop();
    } finally {
      log.mockRestore();
    }
  });
});
