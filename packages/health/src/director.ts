/**
 * Health into the director: per virtual service, which real servers are in the IPVS table and with what
 * weight — removal or weight 0 (keepalived `inhibit_on_failure`, ldirectord `quiescent`), restore with the
 * configured weight, quorum with hysteresis and the sorry server (keepalived) or fallback (ldirectord).
 * The decision is a pure desired-state computation diffed against what was applied; the director itself is
 * reached only through the narrow {@link DirectorPort}. This file runs no scripts and sends no mail.
 */
import { describe, IssueList, LvsError, type LvsIssue } from '@lvskit/base';
import { splitCommandLine } from './notify.js';
import {
  arrayOf,
  bool,
  checkRecord,
  each,
  int,
  isRecord,
  oneOf,
  port0,
  type Rule,
  required,
  rule,
  type Shape,
  text,
  throwIssues,
} from './options.js';
import { type CheckerSpec, checkerSpecIssues } from './runner.js';

/** A real (or sorry/fallback) server as the director knows it. */
export interface HealthServerRef {
  /** Identity within its virtual service, e.g. `10.0.0.1:80`. */
  readonly id: string;
  readonly address: string;
  readonly port: number;
}

/**
 * The narrow port into the director (an IPVS table, `@lvskit/core`'s engine, or ipvsadm). Every call is
 * idempotent from the controller's view: it only calls what changes the table.
 */
export interface DirectorPort {
  /** Add `server` to `service` with `weight` (ipvsadm -a). */
  addRealServer(service: string, server: HealthServerRef, weight: number): void | Promise<void>;
  /** Remove `server` from `service` (ipvsadm -d). */
  removeRealServer(service: string, server: HealthServerRef): void | Promise<void>;
  /** Change the weight of a server already in `service` (ipvsadm -e -w). */
  setWeight(service: string, server: HealthServerRef, weight: number): void | Promise<void>;
}

/** A real server under health control. */
export interface HealthRealServer {
  readonly server: HealthServerRef;
  /** Configured weight (keepalived `weight`, default 1). */
  readonly weight: number;
  /** Checkers; the server is alive only when all are up. */
  readonly checkers: readonly CheckerSpec[];
  /** Override the service's `inhibitOnFailure` for this server (keepalived allows it per real server). */
  readonly inhibitOnFailure?: boolean;
  /** keepalived `notify_up` script. */
  readonly notifyUp?: string;
  /** keepalived `notify_down` script. */
  readonly notifyDown?: string;
  /** keepalived real-server `smtp_alert`: alert on this server's transitions (default true). */
  readonly smtpAlert?: boolean;
}

/** The sorry server (keepalived) or fallback (ldirectord). */
export interface SorryServer {
  readonly server: HealthServerRef;
  /** Weight while in use (keepalived: its `weight`, default 1; ldirectord fallback: always 1). */
  readonly weight?: number;
  /** keepalived `sorry_server_inhibit`: keep it in the table at weight 0 when not in use. */
  readonly inhibit?: boolean;
}

/** One virtual service's health configuration. */
export interface VirtualServiceHealth {
  /** Identity of the virtual service, e.g. `TCP 10.0.0.100:80` or `FWM 1`. */
  readonly id: string;
  /**
   * `keepalived`: quorum/hysteresis and sorry server when quorum is lost.
   * `ldirectord`: fallback while no real server is up (ldirectord.in `fallback_on`/`fallback_off`).
   */
  readonly mode: 'keepalived' | 'ldirectord';
  readonly realServers: readonly HealthRealServer[];
  /** keepalived `inhibit_on_failure` / ldirectord `quiescent`: a down server stays at weight 0. */
  readonly inhibitOnFailure?: boolean;
  /** keepalived `quorum` (default 1). */
  readonly quorum?: number;
  /** keepalived `hysteresis` (default 0). */
  readonly hysteresis?: number;
  readonly sorryServer?: SorryServer;
  /** keepalived `quorum_up` script. */
  readonly quorumUp?: string;
  /** keepalived `quorum_down` script. */
  readonly quorumDown?: string;
  /** keepalived virtual-server `smtp_alert`: alert on quorum changes (default false). */
  readonly smtpAlert?: boolean;
}

/** A table change the controller wants. */
export type DirectorAction =
  | { readonly op: 'add'; readonly server: HealthServerRef; readonly weight: number }
  | { readonly op: 'remove'; readonly server: HealthServerRef }
  | { readonly op: 'weight'; readonly server: HealthServerRef; readonly weight: number };

/** Quorum change. */
export interface QuorumChange {
  readonly service: string;
  readonly up: boolean;
  /** Sum of the effective weights of live real servers. */
  readonly liveWeight: number;
  readonly threshold: number;
}

/** Normalised quorum figures and any warnings keepalived would log. */
export interface QuorumFigures {
  readonly quorum: number;
  readonly hysteresis: number;
  readonly warnings: readonly string[];
}

/**
 * keepalived's sanitising of quorum and hysteresis (check_data.c `validate_check_config`): quorum above the
 * total weight is reduced to it; hysteresis ≥ quorum becomes quorum − 1.
 */
export function quorumFigures(vs: VirtualServiceHealth): QuorumFigures {
  needService(vs, 'quorumFigures');
  const warnings: string[] = [];
  let quorum = vs.quorum ?? 1;
  let hysteresis = vs.hysteresis ?? 0;
  const total = vs.realServers.reduce((s, r) => s + r.weight, 0);
  if (quorum > total) {
    warnings.push(`${vs.id}: quorum ${quorum} is greater than total weight ${total}; reduced`);
    quorum = total;
  }
  if (hysteresis >= quorum && quorum > 0) {
    warnings.push(`${vs.id}: hysteresis ${hysteresis} >= quorum ${quorum}; set to ${quorum - 1}`);
    hysteresis = quorum - 1;
  } else if (quorum === 0) hysteresis = 0;
  return { quorum, hysteresis, warnings };
}

const SERVER_REF: Shape = { id: required(text), address: required(text), port: required(port0) };
// IPVS_WEIGHT_LIMIT: weights are 0..INT_MAX in the kernel; keepalived allows 0 (GH#1762).
const WEIGHT = int(0, 2_147_483_647);
const SCRIPT: Rule = (v, path, issues, key) => {
  if (typeof v !== 'string') return text(v, path, issues, key);
  try {
    splitCommandLine(v);
  } catch (err) {
    if (!LvsError.is(err)) throw err;
    for (const i of err.issues) issues.add(path, i.code, `${key}: ${i.message}`);
  }
};

/**
 * Validate a set of virtual services: every issue of every service, real server and checker spec at once,
 * with paths into `services` (`[0, 'realServers', 1, 'checkers', 0, 'policy', 'delayLoopMs']`) and the bad
 * values in the messages. Nothing is applied by the caller if any issue is returned.
 */
export function validateServices(services: readonly VirtualServiceHealth[]): LvsIssue[] {
  const issues = new IssueList();
  if (!Array.isArray(services)) {
    issues.add([], 'HEALTH_INVALID_CONFIG', `services must be an array, got ${describe(services)}`);
    return [...issues.issues];
  }
  const ids = new Set<string>();
  each(services, (vs, i) => {
    const o = checkRecord(
      vs,
      {
        id: required(text),
        mode: required(oneOf(['keepalived', 'ldirectord'])),
        realServers: required(arrayOf(isRecordRule, 'an array of real servers')),
        inhibitOnFailure: bool,
        quorum: int(0, 2_147_483_647),
        hysteresis: int(0, 2_147_483_647),
        sorryServer: isRecordRule,
        quorumUp: SCRIPT,
        quorumDown: SCRIPT,
        smtpAlert: bool,
      },
      [i],
      issues,
      'a virtual service',
    );
    if (!o) return;
    const id = typeof o.id === 'string' ? o.id : `#${i}`;
    if (typeof o.id === 'string') {
      if (ids.has(o.id)) issues.add([i, 'id'], 'HEALTH_DUPLICATE_ID', `virtual service ${describe(o.id)} repeated`);
      ids.add(o.id);
    }
    const rsIds = new Set<string>();
    const rss = Array.isArray(o.realServers) ? o.realServers : [];
    each(rss, (rs: unknown, j: number) => {
      const p = [i, 'realServers', j];
      const r = checkRecord(
        rs,
        {
          server: required(isRecordRule),
          weight: required(WEIGHT),
          checkers: required(arrayOf(isRecordRule, 'an array of checker specs')),
          inhibitOnFailure: bool,
          notifyUp: SCRIPT,
          notifyDown: SCRIPT,
          smtpAlert: bool,
        },
        p,
        issues,
        'a real server',
      );
      if (!r) return;
      const ref = isRecord(r.server)
        ? checkRecord(r.server, SERVER_REF, [...p, 'server'], issues, 'a server')
        : undefined;
      if (ref && typeof ref.id === 'string') {
        if (rsIds.has(ref.id)) {
          issues.add(
            [...p, 'server', 'id'],
            'HEALTH_DUPLICATE_ID',
            `${describe(id)}: real server ${describe(ref.id)} repeated`,
          );
        }
        rsIds.add(ref.id);
      }
      const keys = new Set<string>();
      each(Array.isArray(r.checkers) ? r.checkers : [], (c: unknown, k: number) => {
        checkerSpecIssues(c, [...p, 'checkers', k], issues, keys);
      });
    });
    if (o.sorryServer !== undefined && isRecord(o.sorryServer)) {
      const sp = [i, 'sorryServer'];
      const sr = checkRecord(
        o.sorryServer,
        { server: required(isRecordRule), weight: WEIGHT, inhibit: bool },
        sp,
        issues,
        'a sorry server',
      );
      const ref =
        sr && isRecord(sr.server)
          ? checkRecord(sr.server, SERVER_REF, [...sp, 'server'], issues, 'a server')
          : undefined;
      if (ref && typeof ref.id === 'string' && rsIds.has(ref.id)) {
        issues.add(
          [...sp, 'server', 'id'],
          'HEALTH_INVALID_CONFIG',
          `${describe(id)}: sorry server ${describe(ref.id)} is also a real server`,
        );
      }
    }
  });
  return [...issues.issues];
}

const isRecordRule: Rule = rule(isRecord, 'an object');

// One service given on its own (quorumFigures, ServiceController): its issues without the leading index.
function needService(vs: VirtualServiceHealth, what: string): void {
  const found = validateServices([vs]);
  if (found.length === 0) return;
  const issues = new IssueList();
  for (const i of found) issues.add(i.path.slice(1), i.code, i.message);
  throwIssues(issues, `${what}: invalid virtual service`);
}

function needAlive(alive: unknown, what: string): void {
  if (typeof alive !== 'function') {
    throw new LvsError('INVALID_ARGUMENT', `${what}: alive must be a function (id) => boolean, got ${describe(alive)}`);
  }
}

/** What one controller step produced. */
export interface ControllerOutput {
  readonly actions: readonly DirectorAction[];
  readonly quorum: QuorumChange | null;
}

/**
 * One virtual service's health controller: a synchronous step over real-server verdicts and dynamic
 * weights, returning table actions as a diff against what it applied before.
 */
export class ServiceController {
  #vs: VirtualServiceHealth;
  #fig: QuorumFigures;
  readonly #alive = new Map<string, boolean>();
  readonly #dyn = new Map<string, number | null>();
  #quorumUp = true;
  /** What is in the table now: server id → weight. */
  readonly #applied = new Map<string, { ref: HealthServerRef; weight: number }>();

  constructor(vs: VirtualServiceHealth, alive: (id: string) => boolean) {
    needService(vs, 'ServiceController');
    needAlive(alive, 'ServiceController');
    this.#vs = vs;
    this.#fig = quorumFigures(vs);
    for (const rs of vs.realServers) this.#alive.set(rs.server.id, alive(rs.server.id));
    // ipwrapper.c `init_service_vs`: quorum_state_up = live weight >= quorum + hysteresis at start.
    this.#quorumUp = this.liveWeight() >= this.#fig.quorum + this.#fig.hysteresis;
  }

  /** The service configuration in force. */
  get config(): VirtualServiceHealth {
    return this.#vs;
  }

  /** keepalived quorum figures in force (after sanitising). */
  get figures(): QuorumFigures {
    return this.#fig;
  }

  /** Is the quorum up? (Always true in ldirectord mode.) */
  get quorumUp(): boolean {
    return this.#quorumUp;
  }

  /** Is a real server alive? */
  isAlive(id: string): boolean {
    return this.#alive.get(id) ?? false;
  }

  /** The table the controller believes it has applied. */
  applied(): ReadonlyMap<string, number> {
    return new Map([...this.#applied].map(([k, v]) => [k, v.weight]));
  }

  /** Effective weight: the MISC dynamic weight if any, else the configured one. */
  effectiveWeight(id: string): number {
    const rs = this.#vs.realServers.find((r) => r.server.id === id);
    const dyn = this.#dyn.get(id);
    return dyn ?? rs?.weight ?? 0;
  }

  /** keepalived `weigh_live_realservers`: sum of effective weights of alive servers. */
  liveWeight(): number {
    let w = 0;
    for (const rs of this.#vs.realServers) if (this.#alive.get(rs.server.id)) w += this.effectiveWeight(rs.server.id);
    return w;
  }

  /** First table fill (and the quorum verdict at start if it is down). */
  init(): ControllerOutput {
    const actions = this.#reconcile();
    const quorum =
      this.#vs.mode === 'keepalived' && !this.#quorumUp
        ? this.#quorumChange(this.#fig.quorum + this.#fig.hysteresis)
        : null;
    return { actions, quorum };
  }

  /** A real server's verdict changed. */
  setAlive(id: string, up: boolean): ControllerOutput {
    if (!this.#alive.has(id)) return { actions: [], quorum: null };
    this.#alive.set(id, up);
    const quorum = this.#updateQuorum();
    return { actions: this.#reconcile(), quorum };
  }

  /** MISC_CHECK misc_dynamic weight changed (null: back to the configured weight). */
  setDynamicWeight(id: string, weight: number | null): ControllerOutput {
    if (weight !== null && !(Number.isInteger(weight) && weight >= 0 && weight <= 2_147_483_647)) {
      throw new LvsError(
        'INVALID_ARGUMENT',
        `setDynamicWeight: weight must be null or an integer 0..2147483647, got ${describe(weight)}`,
      );
    }
    if (!this.#alive.has(id)) return { actions: [], quorum: null };
    this.#dyn.set(id, weight);
    const quorum = this.#updateQuorum();
    return { actions: this.#reconcile(), quorum };
  }

  /**
   * Replace the configuration (reload). Alive flags of kept servers stay; new ones take `alive(id)`.
   * Returns the actions that bring the table to the new desired state.
   */
  reconfigure(vs: VirtualServiceHealth, alive: (id: string) => boolean): ControllerOutput {
    needService(vs, 'reconfigure');
    needAlive(alive, 'reconfigure');
    const old = new Map(this.#alive);
    this.#vs = vs;
    this.#fig = quorumFigures(vs);
    this.#alive.clear();
    for (const rs of vs.realServers) this.#alive.set(rs.server.id, old.get(rs.server.id) ?? alive(rs.server.id));
    for (const k of [...this.#dyn.keys()]) if (!this.#alive.has(k)) this.#dyn.delete(k);
    const quorum = this.#updateQuorum();
    return { actions: this.#reconcile(), quorum };
  }

  /** Remove everything this controller added (service deleted). */
  teardown(): DirectorAction[] {
    const actions: DirectorAction[] = [];
    for (const { ref } of this.#applied.values()) actions.push({ op: 'remove', server: ref });
    this.#applied.clear();
    return actions;
  }

  #quorumChange(threshold: number): QuorumChange {
    return { service: this.#vs.id, up: this.#quorumUp, liveWeight: this.liveWeight(), threshold };
  }

  // ipwrapper.c `update_quorum_state`: threshold = quorum ∓ hysteresis; gain when live ≥ threshold;
  // lose when live == 0 or live < threshold.
  #updateQuorum(): QuorumChange | null {
    if (this.#vs.mode !== 'keepalived') return null;
    const { quorum, hysteresis } = this.#fig;
    const threshold = quorum + (this.#quorumUp ? -hysteresis : hysteresis);
    const live = this.liveWeight();
    if (!this.#quorumUp && live >= threshold) {
      this.#quorumUp = true;
      return this.#quorumChange(threshold);
    }
    if (this.#quorumUp && (live === 0 || live < threshold)) {
      this.#quorumUp = false;
      return this.#quorumChange(threshold);
    }
    return null;
  }

  #desired(): Map<string, { ref: HealthServerRef; weight: number }> {
    const want = new Map<string, { ref: HealthServerRef; weight: number }>();
    const vs = this.#vs;
    const anyAlive = vs.realServers.some((r) => this.#alive.get(r.server.id));
    // keepalived: the sorry server replaces the real servers while quorum is down (perform_quorum_state).
    // ldirectord: the fallback is in while no real server is up (fallback_on / fallback_off via _status_check).
    const sorryActive = vs.sorryServer !== undefined && (vs.mode === 'keepalived' ? !this.#quorumUp : !anyAlive);
    for (const rs of vs.realServers) {
      const inhibit = rs.inhibitOnFailure ?? vs.inhibitOnFailure ?? false;
      const alive = this.#alive.get(rs.server.id) ?? false;
      if (alive && !sorryActive) want.set(rs.server.id, { ref: rs.server, weight: this.effectiveWeight(rs.server.id) });
      else if (inhibit) want.set(rs.server.id, { ref: rs.server, weight: 0 });
    }
    const s = vs.sorryServer;
    if (s) {
      const weight = vs.mode === 'ldirectord' ? 1 : (s.weight ?? 1);
      if (sorryActive) want.set(s.server.id, { ref: s.server, weight });
      else if (s.inhibit) want.set(s.server.id, { ref: s.server, weight: 0 });
    }
    return want;
  }

  #reconcile(): DirectorAction[] {
    const want = this.#desired();
    const actions: DirectorAction[] = [];
    for (const [id, cur] of this.#applied) {
      if (!want.has(id)) {
        actions.push({ op: 'remove', server: cur.ref });
        this.#applied.delete(id);
      }
    }
    for (const [id, w] of want) {
      const cur = this.#applied.get(id);
      if (!cur) actions.push({ op: 'add', server: w.ref, weight: w.weight });
      else if (cur.weight !== w.weight) actions.push({ op: 'weight', server: w.ref, weight: w.weight });
      this.#applied.set(id, w);
    }
    return actions;
  }
}
