/**
 * Runs the README's builder example and checks the README shows that exact code.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { example } from './readme-example.js';

describe('README example', () => {
  it('is the code in readme-example.ts', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
    const src = readFileSync(join(import.meta.dirname, 'readme-example.ts'), 'utf8');
    const code = src.slice(src.indexOf('// README:start\n') + 16, src.indexOf('// README:end'));
    expect(readme).toContain(`\`\`\`ts\n${code}\`\`\``);
  });

  it('runs: persistence keeps the /24 on one server and the listing shows the live table', async () => {
    const { first, second, listing } = await example();
    expect(first.verdict).toBe('forward');
    expect(second.realServer).toBe(first.realServer);
    const lines = listing.split('\n');
    expect(lines[3]).toBe('TCP  198.18.0.10:80 wlc persistent 300 mask 255.255.255.0');
    expect(lines).toContain('UDP  198.18.0.10:53 rr ops');
    expect(listing).toContain('198.18.1.3:80');
  });
});
