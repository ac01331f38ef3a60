/**
 * Wires a {@link HealthRunner} to virtual services and a {@link DirectorPort}: real-server transitions
 * become table actions (through {@link ServiceController}), notify scripts, quorum scripts, typed events and
 * alerts. Director calls are serialised in order so the table never sees a remove overtake its add. It
 * holds no health policy of its own.
 */

import { type CommandRunner, execCommand, IssueList, TypedEmitter } from '@lvskit/base';
import {
  type ControllerOutput,
  type DirectorAction,
  type DirectorPort,
  type HealthServerRef,
  type QuorumChange,
  ServiceController,
  type VirtualServiceHealth,
  validateServices,
} from './director.js';
import { describeOutcome, type Notifier, runScript } from './notify.js';
import { checkRecord, duration, fn, required, rule, throwIssues } from './options.js';
import {
  type CheckerTransition,
  HealthRunner,
  type RealServerHealthSpec,
  type RealServerStatus,
  type RealServerTransition,
} from './runner.js';
import { errorMessage } from './types.js';

/** A real server went up or down in a virtual service. */
export interface ServiceRealServerEvent {
  readonly service: string;
  readonly server: HealthServerRef;
  readonly up: boolean;
  /** Checker message, `reload` or `damper`. */
  readonly reason: string;
}

/** One check of a real server changed its verdict (the real server itself may not have). */
export interface ServiceCheckerEvent {
  readonly service: string;
  readonly server: HealthServerRef;
  /** Position of the check in the real server's `checkers`. */
  readonly index: number;
  /** The checker's kind (`TCP_CHECK`, `HTTP_GET`, …). */
  readonly kind: string;
  readonly up: boolean;
  /** The checker's message. */
  readonly reason: string;
}

/** A director call failed (the controller's view is kept; the next change retries the diff). */
export interface ActionFailed {
  readonly service: string;
  readonly action: DirectorAction;
  readonly error: string;
}

/** Events of a {@link HealthDirector}. */
export interface HealthDirectorEvents {
  realServerUp: ServiceRealServerEvent;
  realServerDown: ServiceRealServerEvent;
  /** A check passed (again); built only when someone listens. */
  checkerUp: ServiceCheckerEvent;
  /** A check failed; built only when someone listens. */
  checkerDown: ServiceCheckerEvent;
  quorumUp: QuorumChange;
  quorumDown: QuorumChange;
  /** A table change was applied. */
  action: { readonly service: string; readonly action: DirectorAction };
  actionFailed: ActionFailed;
  /** Configuration warnings (keepalived would log them), script failures, notifier failures. */
  warning: { readonly message: string };
}

/** Options of a {@link HealthDirector}. */
export interface HealthDirectorOptions {
  readonly director: DirectorPort;
  /** The runner to drive (default: a new one on the system clock). */
  readonly runner?: HealthRunner;
  /** Alerts (keepalived `smtp_alert`, ldirectord `emailalert`); none by default. */
  readonly notifier?: Notifier;
  /** Timeout for notify/quorum scripts (default 30 s). */
  readonly scriptTimeoutMs?: number;
  /**
   * Runs notify/quorum scripts (default `execCommand` of `@lvskit/base`: argv, no shell). Tests inject
   * `FakeCommandRunner` from `@lvskit/base/testing`.
   */
  readonly commandRunner?: CommandRunner;
}

// Joins service and real-server ids into the runner's ids; never shown to a user (issues are validated
// per service first, events carry the two ids apart).
const SEP = '\u0000';

function isPort(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const d = v as Record<string, unknown>;
  return (
    typeof d.addRealServer === 'function' &&
    typeof d.removeRealServer === 'function' &&
    typeof d.setWeight === 'function'
  );
}

/** Health checking bound to a director. */
export class HealthDirector extends TypedEmitter<HealthDirectorEvents> {
  readonly runner: HealthRunner;
  readonly #director: DirectorPort;
  readonly #notifier: Notifier | undefined;
  readonly #scriptTimeoutMs: number;
  readonly #commandRunner: CommandRunner;
  readonly #controllers = new Map<string, ServiceController>();
  #queue: Promise<void> = Promise.resolve();

  /**
   * @param options - the director port, and optionally the runner, notifier, script timeout and command runner
   * @throws LvsError `HEALTH_INVALID_CONFIG` for malformed options
   */
  constructor(options: HealthDirectorOptions) {
    super();
    const issues = new IssueList();
    checkRecord(
      options,
      {
        director: required(rule(isPort, 'an object with addRealServer, removeRealServer and setWeight')),
        runner: rule((v) => v instanceof HealthRunner, 'a HealthRunner'),
        notifier: rule(
          (v) => typeof v === 'object' && v !== null && typeof (v as Notifier).notify === 'function',
          'a Notifier',
        ),
        scriptTimeoutMs: duration(1, false),
        commandRunner: fn,
      },
      [],
      issues,
      'HealthDirector options',
    );
    throwIssues(issues, 'invalid HealthDirector options');
    this.#director = options.director;
    this.runner = options.runner ?? new HealthRunner();
    this.#notifier = options.notifier;
    this.#scriptTimeoutMs = options.scriptTimeoutMs ?? 30_000;
    this.#commandRunner = options.commandRunner ?? execCommand;
    this.runner.on('realServerUp', (e) => this.#onRs(e));
    this.runner.on('realServerDown', (e) => this.#onRs(e));
    this.runner.on('checkerUp', (e) => this.#onChecker(e));
    this.runner.on('checkerDown', (e) => this.#onChecker(e));
    this.runner.on('weightChanged', (e) => {
      const [svc, rs] = e.realServer.split(SEP) as [string, string];
      const c = this.#controllers.get(svc);
      if (c) this.#perform(c, c.setDynamicWeight(rs, e.weight));
    });
  }

  /**
   * Install or reload the whole configuration. Validated first; nothing changes if anything is wrong.
   * Kept services and real servers keep their health state (no flap on reload).
   */
  apply(services: readonly VirtualServiceHealth[]): void {
    const issues = new IssueList();
    for (const i of validateServices(services)) issues.add(i.path, i.code, i.message);
    throwIssues(issues, 'invalid health services');
    const specs: RealServerHealthSpec[] = [];
    for (const vs of services) {
      for (const rs of vs.realServers) specs.push({ id: vs.id + SEP + rs.server.id, checkers: rs.checkers });
    }
    this.runner.apply(specs); // validates the checkers; throws before anything below changes
    const alive = (vs: string) => (id: string) => this.runner.statusOf(vs + SEP + id)?.up ?? false;
    const keep = new Set(services.map((s) => s.id));
    for (const [id, c] of this.#controllers) {
      if (!keep.has(id)) {
        this.#controllers.delete(id);
        this.#perform(c, { actions: c.teardown(), quorum: null });
      }
    }
    for (const vs of services) {
      const existing = this.#controllers.get(vs.id);
      let c: ServiceController;
      let out: ControllerOutput;
      if (existing) {
        c = existing;
        out = c.reconfigure(vs, alive(vs.id));
      } else {
        c = new ServiceController(vs, alive(vs.id));
        this.#controllers.set(vs.id, c);
        out = c.init();
      }
      for (const w of c.figures.warnings) this.emit('warning', { message: w });
      this.#perform(c, out);
    }
  }

  /** Start checking. */
  start(): void {
    this.runner.start();
  }

  /** Stop checking (the table is left as it is). */
  stop(): void {
    this.runner.stop();
  }

  /** Resolves when every queued director call, script and alert so far has finished. */
  idle(): Promise<void> {
    return this.#queue;
  }

  /** The controller of a virtual service (read-only use). */
  controller(service: string): ServiceController | undefined {
    return this.#controllers.get(service);
  }

  /**
   * The runner's view of one real server of a virtual service: its verdict and each checker's state, in the
   * order of its `checkers`; undefined when the service or real server is not configured.
   * @param service - the virtual service's id
   * @param serverId - the real server's id in that service
   */
  realServerStatus(service: string, serverId: string): RealServerStatus | undefined {
    return this.runner.statusOf(service + SEP + serverId);
  }

  #onChecker(e: CheckerTransition): void {
    const name = e.up ? 'checkerUp' : 'checkerDown';
    if (!this.listens(name)) return;
    const i = e.realServer.indexOf(SEP);
    const svc = e.realServer.slice(0, i);
    const rsId = e.realServer.slice(i + 1);
    const rs = this.#controllers.get(svc)?.config.realServers.find((r) => r.server.id === rsId);
    if (!rs) return;
    const index = rs.checkers.findIndex((c) => c.checker.key === e.checker);
    this.emit(name, { service: svc, server: rs.server, index, kind: e.kind, up: e.up, reason: e.result.message });
  }

  #onRs(e: RealServerTransition): void {
    const i = e.realServer.indexOf(SEP);
    const svc = e.realServer.slice(0, i);
    const rsId = e.realServer.slice(i + 1);
    const c = this.#controllers.get(svc);
    const rs = c?.config.realServers.find((r) => r.server.id === rsId);
    if (!c || !rs) return;
    const out = c.setAlive(rsId, e.up);
    const reason = typeof e.cause === 'string' ? e.cause : e.cause.result.message;
    const ev: ServiceRealServerEvent = { service: svc, server: rs.server, up: e.up, reason };
    this.emit(e.up ? 'realServerUp' : 'realServerDown', ev);
    const script = e.up ? rs.notifyUp : rs.notifyDown;
    // keepalived order (ipwrapper.c perform_svr_state): IPVS change, the real server's notify, then quorum.
    this.#perform(c, out, () =>
      this.#enqueue(async () => {
        if (script) await this.#script(script);
        if (rs.smtpAlert === false) return;
        await this.#alert({
          kind: e.up ? 'realServerUp' : 'realServerDown',
          service: svc,
          realServer: rsId,
          message: reason,
          at: new Date(),
        });
      }),
    );
  }

  #perform(c: ServiceController, out: ControllerOutput, beforeQuorum?: () => void): void {
    const svc = c.config.id;
    for (const action of out.actions) {
      this.#enqueue(async () => {
        try {
          if (action.op === 'add') await this.#director.addRealServer(svc, action.server, action.weight);
          else if (action.op === 'remove') await this.#director.removeRealServer(svc, action.server);
          else await this.#director.setWeight(svc, action.server, action.weight);
          this.emit('action', { service: svc, action });
        } catch (err) {
          this.emit('actionFailed', { service: svc, action, error: errorMessage(err) });
        }
      });
    }
    beforeQuorum?.();
    const q = out.quorum;
    if (q) {
      this.emit(q.up ? 'quorumUp' : 'quorumDown', q);
      const script = q.up ? c.config.quorumUp : c.config.quorumDown;
      this.#enqueue(async () => {
        if (script) await this.#script(script);
        if (c.config.smtpAlert !== true) return;
        await this.#alert({
          kind: q.up ? 'quorumUp' : 'quorumDown',
          service: svc,
          message: `quorum ${q.up ? 'gained' : 'lost'}: live weight ${q.liveWeight}, threshold ${q.threshold}`,
          at: new Date(),
        });
      });
    }
  }

  #enqueue(fn: () => Promise<void>): void {
    this.#queue = this.#queue.then(fn, fn);
  }

  // keepalived notify_exec: the line split into argv and exec'd, no shell (validated by validateServices).
  async #script(command: string): Promise<void> {
    const o = await runScript(command, { runner: this.#commandRunner, timeoutMs: this.#scriptTimeoutMs });
    const failed = describeOutcome(o);
    if (failed !== null) this.emit('warning', { message: `script ${JSON.stringify(command)}: ${failed}` });
  }

  async #alert(alert: Parameters<Notifier['notify']>[0]): Promise<void> {
    if (!this.#notifier) return;
    try {
      await this.#notifier.notify(alert);
    } catch (err) {
      this.emit('warning', { message: `notifier: ${errorMessage(err)}` });
    }
  }
}
