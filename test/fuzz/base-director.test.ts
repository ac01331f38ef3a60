/**
 * Fuzz: @lvskit/base's parsers and @lvskit/director's config, createDirector and reload. Every call succeeds
 * or throws an LvsError with a code and paths (harness.ts); a refused reload changes nothing that a
 * running director shows: its table, its served VIPs, its VRRP states, its config.
 */
import {
  canonicalIp,
  checkDelay,
  formatEndpoint,
  parseAddress,
  parseIp,
  parseMac,
  parsePrefix,
  protocolNumber,
} from '@lvskit/base';
import { createDirector, type DirectorConfig, validateConfig } from '@lvskit/director';
import { TestNetwork } from '@lvskit/director/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anyValue, mutate, mutations, RUNS, refusedOrOk, refusedOrOkAsync } from './harness.js';
import { valid } from './valid.js';

describe('fuzz: @lvskit/base parsers', () => {
  const parsers = { parseIp, parseAddress, parsePrefix, parseMac, canonicalIp, protocolNumber } as const;
  for (const [name, parse] of Object.entries(parsers)) {
    it(`${name}: any value → a result or an LvsError`, () => {
      fc.assert(
        fc.property(anyValue, (v) => {
          refusedOrOk(() => (parse as (v: unknown) => unknown)(v));
        }),
        { numRuns: RUNS },
      );
    });
  }
  it('formatEndpoint and checkDelay: any value → a result or an LvsError', () => {
    fc.assert(
      fc.property(anyValue, anyValue, (a, b) => {
        refusedOrOk(() => formatEndpoint(a as string, b as number));
        refusedOrOk(() => checkDelay(a as number, 'delay'));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('fuzz: @lvskit/director config', () => {
  it('the valid config is valid (the mutations start from something that works)', () => {
    expect(() => validateConfig(valid)).not.toThrow();
  });

  it('validateConfig and createDirector: any value, and mutations of a valid config → ok or an LvsError with paths', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          anyValue,
          mutations(4).map((m) => mutate(valid, m)),
        ),
        (input) => {
          const net = new TestNetwork();
          const e = refusedOrOk(() => validateConfig(input as DirectorConfig));
          const e2 = refusedOrOk(() => createDirector(input as DirectorConfig, net.ports()));
          // The two agree: createDirector refuses exactly what validateConfig refuses.
          expect(e2 === undefined).toBe(e === undefined);
          if (e) {
            expect(e.code).toBe('DIRECTOR_INVALID_CONFIG');
            for (const issue of e.issues) expect(issue.message.length).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('a refused reload of a running director changes nothing it shows', async () => {
    await fc.assert(
      fc.asyncProperty(mutations(3), async (m) => {
        const net = new TestNetwork();
        const d = net.director(valid);
        await d.start();
        await net.advance(4_000);
        const before = JSON.stringify({
          table: d.ipvs.list(),
          serving: d.serving,
          vrrp: d.status().vrrp,
          config: d.ipvs.configuration,
        });
        const input = mutate(valid, m) as DirectorConfig;
        const refused = await refusedOrOkAsync(() => d.reload(input));
        if (refused) {
          expect(refused.code).toBe('DIRECTOR_INVALID_CONFIG');
          const after = JSON.stringify({
            table: d.ipvs.list(),
            serving: d.serving,
            vrrp: d.status().vrrp,
            config: d.ipvs.configuration,
          });
          expect(after).toBe(before);
        }
        await d.stop();
        expect(net.clock.pending).toBe(0);
      }),
      { numRuns: Math.max(20, Math.floor(RUNS / 5)) },
    );
  }, 120_000);
});
