/**
 * Fakes for tests (ours and users'): a scripted checker
 * and an in-memory director. They hold no real timers or sockets and must never be used in production paths.
 */
import type { DirectorPort, HealthServerRef } from './director.js';
import { bool, checkArgs, int, isRecord, optional, type Rule, rule, text } from './options.js';

const serverRef: Rule = rule(
  (s) => isRecord(s) && typeof s.id === 'string' && typeof s.address === 'string' && Number.isInteger(s.port),
  'a server { id, address, port }',
);

import type { Checker, CheckResult } from './types.js';

/**
 * A checker whose results are set by the test: `set(ok)` for a steady answer, or `hang()` to never answer
 * (it then resolves only when aborted if `honourAbort`).
 */
export class ScriptedChecker implements Checker {
  readonly kind: string;
  readonly key: string;
  /** How many times check() was called. */
  calls = 0;
  #answer: CheckResult | 'hang' = { ok: true, message: 'ok', durationMs: 0 };
  #honourAbort: boolean;

  /**
   * @param key - the checker's identity (default `scripted`)
   * @param kind - its kind (default `SCRIPTED`)
   * @param options - `honourAbort` (default true): a hanging check resolves when aborted
   */
  constructor(key = 'scripted', kind = 'SCRIPTED', options: { honourAbort?: boolean } = {}) {
    checkArgs('ScriptedChecker', [
      ['key', text, key],
      ['kind', text, kind],
      [
        'options',
        rule(
          (o) => isRecord(o) && (o.honourAbort === undefined || typeof o.honourAbort === 'boolean'),
          'an object { honourAbort?: boolean }',
        ),
        options,
      ],
    ]);
    this.key = key;
    this.kind = kind;
    this.#honourAbort = options.honourAbort ?? true;
  }

  /** Answer `ok` (and optionally a dynamic weight) from now on. */
  set(ok: boolean, weight?: number): this {
    checkArgs('ScriptedChecker.set', [
      ['ok', bool, ok],
      ['weight', optional(int(0, 2_147_483_647)), weight],
    ]);
    this.#answer =
      weight === undefined
        ? { ok, message: ok ? 'ok' : 'failed', durationMs: 0 }
        : { ok, message: ok ? 'ok' : 'failed', durationMs: 0, weight };
    return this;
  }

  /** Never answer from now on. */
  hang(): this {
    this.#answer = 'hang';
    return this;
  }

  check(signal: AbortSignal): Promise<CheckResult> {
    this.calls++;
    const a = this.#answer;
    if (a !== 'hang') return Promise.resolve(a);
    return new Promise((resolve) => {
      if (this.#honourAbort) {
        signal.addEventListener('abort', () => resolve({ ok: false, message: 'aborted', durationMs: 0 }), {
          once: true,
        });
      }
    });
  }
}

/** One operation the fake director received. */
export type DirectorOp =
  | { readonly op: 'add'; readonly service: string; readonly server: string; readonly weight: number }
  | { readonly op: 'remove'; readonly service: string; readonly server: string }
  | { readonly op: 'weight'; readonly service: string; readonly server: string; readonly weight: number };

/** An in-memory director: a table service → server → weight, plus the log of operations. */
export class FakeDirector implements DirectorPort {
  readonly log: DirectorOp[] = [];
  readonly table = new Map<string, Map<string, number>>();

  #svc(service: string): Map<string, number> {
    let m = this.table.get(service);
    if (!m) {
      m = new Map();
      this.table.set(service, m);
    }
    return m;
  }

  addRealServer(service: string, server: HealthServerRef, weight: number): void {
    checkArgs('FakeDirector.addRealServer', [
      ['service', text, service],
      ['server', serverRef, server],
      ['weight', int(0, 2_147_483_647), weight],
    ]);
    this.log.push({ op: 'add', service, server: server.id, weight });
    this.#svc(service).set(server.id, weight);
  }

  removeRealServer(service: string, server: HealthServerRef): void {
    checkArgs('FakeDirector.removeRealServer', [
      ['service', text, service],
      ['server', serverRef, server],
    ]);
    this.log.push({ op: 'remove', service, server: server.id });
    this.#svc(service).delete(server.id);
  }

  setWeight(service: string, server: HealthServerRef, weight: number): void {
    checkArgs('FakeDirector.setWeight', [
      ['service', text, service],
      ['server', serverRef, server],
      ['weight', int(0, 2_147_483_647), weight],
    ]);
    this.log.push({ op: 'weight', service, server: server.id, weight });
    this.#svc(service).set(server.id, weight);
  }

  /** The servers of `service` with their weights, sorted by id. */
  weights(service: string): Record<string, number> {
    return Object.fromEntries([...(this.table.get(service) ?? new Map<string, number>())].sort());
  }
}
