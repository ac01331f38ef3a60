/**
 * Health policy as pure synchronous step functions: how one checker's results turn into up/down decisions
 * and when it runs next — keepalived's retry rules, ldirectord's failurecount and generic rise/fall. It owns
 * no timers and no I/O; the runner feeds it results and the time, and tests drive it directly.
 */
import { describe, IssueList, LvsError } from '@lvskit/base';
import {
  bool,
  checkRecord,
  duration,
  int,
  isRecord,
  oneOf,
  type Path,
  required,
  type Shape,
  throwIssues,
} from './options.js';

/**
 * keepalived checker timing and retry policy.
 * @see keepalived/check/check_api.c (defaults), keepalived/check/check_tcp.c `tcp_epilog` (the rules)
 */
export interface KeepalivedPolicy {
  readonly kind: 'keepalived';
  /** `delay_loop`: interval between checks (keepalived default 60 s). */
  readonly delayLoopMs: number;
  /** `retry`: failures tolerated before DOWN (default 1; DNS_CHECK 3; MISC_CHECK 0). */
  readonly retry: number;
  /** `delay_before_retry` (default 1 s; HTTP_GET/SSL_GET 3 s; DNS_CHECK = delay_loop). */
  readonly delayBeforeRetryMs: number;
  /** `warmup`: first check after a random delay in [0, warmup] (default = delay_loop; 0 disables). */
  readonly warmupMs: number;
  /** `alpha`: the checker starts failed, so the real server stays out until it passes. */
  readonly alpha: boolean;
  /**
   * HTTP_GET/SSL_GET only: when already down, the next try waits max(delay_before_retry, delay_loop)
   * instead of delay_loop (check_http.c `epilog`, REGISTER_CHECKER_FAILED).
   */
  readonly downDelay?: 'loop' | 'max';
}

/**
 * ldirectord policy: a check every `checkinterval`; a real that is up is failed only after `failurecount`
 * consecutive failures; any success resets the count; a real that is not up is added by one success.
 * @see ldirectord.in `_service_up`, `_service_down`
 */
export interface LdirectordPolicy {
  readonly kind: 'ldirectord';
  /** `checkinterval` (default 10 s). */
  readonly checkIntervalMs: number;
  /** `failurecount` (default 1). */
  readonly failureCount: number;
}

/** Generic rise/fall: `rise` consecutive successes bring a checker up, `fall` consecutive failures down. */
export interface RiseFallPolicy {
  readonly kind: 'riseFall';
  readonly intervalMs: number;
  readonly rise: number;
  readonly fall: number;
  /** Start up (true) or down (false, the default). */
  readonly startUp?: boolean;
}

/** Any policy the runner understands. */
export type CheckPolicy = KeepalivedPolicy | LdirectordPolicy | RiseFallPolicy;

/** Per-checker state the policy threads through. Immutable; each step returns a new one. */
export interface CheckerState {
  /** The checker's verdict: keepalived `is_up`. */
  readonly up: boolean;
  /** keepalived `has_run`: a result has been processed. */
  readonly hasRun: boolean;
  /** keepalived `retry_it`; ldirectord `failcount`; rise/fall: current streak length. */
  readonly retryIt: number;
  /** rise/fall only: consecutive successes. */
  readonly okStreak: number;
}

/** What one step decided. */
export interface StepOutcome {
  readonly state: CheckerState;
  /** `'up'`/`'down'` when the checker's verdict changed; null otherwise. */
  readonly transition: 'up' | 'down' | null;
  /** Delay until the next check, in ms. */
  readonly delayMs: number;
}

/** keepalived defaults for the common checker keywords, per checker type. */
export function keepalivedPolicy(
  type: 'TCP_CHECK' | 'HTTP_GET' | 'SSL_GET' | 'SMTP_CHECK' | 'DNS_CHECK' | 'MISC_CHECK' | 'UDP_CHECK' | 'PING_CHECK',
  overrides: Partial<Omit<KeepalivedPolicy, 'kind'>> = {},
): KeepalivedPolicy {
  const issues = new IssueList();
  oneOf(KEEPALIVED_TYPES)(type, ['type'], issues, 'type');
  checkRecord(overrides, KEEPALIVED_OVERRIDES, ['overrides'], issues, 'keepalivedPolicy overrides');
  throwIssues(issues, 'invalid keepalived policy');
  // KEEPALIVED_DEFAULT_DELAY 60 s (check_data.h); retry/delay_before_retry per checker file (spec §4.1).
  const delayLoopMs = overrides.delayLoopMs ?? 60_000;
  const retry = overrides.retry ?? (type === 'DNS_CHECK' ? 3 : type === 'MISC_CHECK' ? 0 : 1);
  const dbr = type === 'HTTP_GET' || type === 'SSL_GET' ? 3_000 : type === 'DNS_CHECK' ? delayLoopMs : 1_000;
  const p: KeepalivedPolicy = {
    kind: 'keepalived',
    delayLoopMs,
    retry,
    delayBeforeRetryMs: overrides.delayBeforeRetryMs ?? dbr,
    warmupMs: overrides.warmupMs ?? delayLoopMs,
    alpha: overrides.alpha ?? false,
    downDelay: overrides.downDelay ?? (type === 'HTTP_GET' || type === 'SSL_GET' ? 'max' : 'loop'),
  };
  validatePolicy(p, ['policy']);
  return p;
}

/** ldirectord defaults (`checkinterval` 10, `failurecount` 1; ldirectord.in `set_defaults`). */
export function ldirectordPolicy(overrides: Partial<Omit<LdirectordPolicy, 'kind'>> = {}): LdirectordPolicy {
  const issues = new IssueList();
  checkRecord(overrides, LDIRECTORD_OVERRIDES, ['overrides'], issues, 'ldirectordPolicy overrides');
  throwIssues(issues, 'invalid ldirectord policy');
  const p: LdirectordPolicy = {
    kind: 'ldirectord',
    checkIntervalMs: overrides.checkIntervalMs ?? 10_000,
    failureCount: overrides.failureCount ?? 1,
  };
  validatePolicy(p, ['policy']);
  return p;
}

/** The keepalived checker types a policy can be made for. */
const KEEPALIVED_TYPES = [
  'TCP_CHECK',
  'HTTP_GET',
  'SSL_GET',
  'SMTP_CHECK',
  'DNS_CHECK',
  'MISC_CHECK',
  'UDP_CHECK',
  'PING_CHECK',
] as const;

const KEEPALIVED_FIELDS = {
  delayLoopMs: duration(1, false),
  retry: int(0),
  delayBeforeRetryMs: duration(1, true),
  warmupMs: duration(1, true),
  alpha: bool,
  downDelay: oneOf(['loop', 'max']),
} as const satisfies Shape;
const KEEPALIVED_OVERRIDES: Shape = KEEPALIVED_FIELDS;
const LDIRECTORD_FIELDS = { checkIntervalMs: duration(1, false), failureCount: int(1) } as const satisfies Shape;
const LDIRECTORD_OVERRIDES: Shape = LDIRECTORD_FIELDS;

const POLICY_SHAPES: Readonly<Record<CheckPolicy['kind'], Shape>> = {
  keepalived: {
    kind: required(oneOf(['keepalived'])),
    delayLoopMs: required(KEEPALIVED_FIELDS.delayLoopMs),
    retry: required(KEEPALIVED_FIELDS.retry),
    delayBeforeRetryMs: required(KEEPALIVED_FIELDS.delayBeforeRetryMs),
    warmupMs: required(KEEPALIVED_FIELDS.warmupMs),
    alpha: required(bool),
    downDelay: KEEPALIVED_FIELDS.downDelay,
  },
  ldirectord: {
    kind: required(oneOf(['ldirectord'])),
    checkIntervalMs: required(LDIRECTORD_FIELDS.checkIntervalMs),
    failureCount: required(LDIRECTORD_FIELDS.failureCount),
  },
  riseFall: {
    kind: required(oneOf(['riseFall'])),
    intervalMs: required(duration(1, false)),
    rise: required(int(1)),
    fall: required(int(1)),
    startUp: bool,
  },
};

/**
 * Records every issue of a policy (wrong kind, missing or out-of-range fields, delays a timer cannot hold)
 * under `path`, with the field names of the policy object and the bad values.
 * @internal
 */
export function policyIssues(p: unknown, path: Path, issues: IssueList): void {
  const kind = isRecord(p) ? p.kind : undefined;
  if (!isRecord(p) || typeof kind !== 'string' || !Object.hasOwn(POLICY_SHAPES, kind)) {
    if (isRecord(p)) {
      issues.add(
        [...path, 'kind'],
        'HEALTH_INVALID_CONFIG',
        `policy kind must be one of keepalived, ldirectord, riseFall, got ${JSON.stringify(kind) ?? String(kind)}`,
      );
    } else checkRecord(p, {}, path, issues, 'a policy');
    return;
  }
  checkRecord(p, POLICY_SHAPES[kind as CheckPolicy['kind']], path, issues, `a ${kind} policy`);
}

// The step functions run once per check: a cheap test of the kind, the full validation only when it fails.
function needPolicy(p: CheckPolicy): void {
  if (!isRecord(p) || typeof p.kind !== 'string' || !Object.hasOwn(POLICY_SHAPES, p.kind)) {
    validatePolicy(p, ['policy']);
  }
}

function needState(s: CheckerState, fn: string): void {
  if (
    !isRecord(s) ||
    typeof s.up !== 'boolean' ||
    typeof s.hasRun !== 'boolean' ||
    !Number.isInteger(s.retryIt) ||
    !Number.isInteger(s.okStreak)
  ) {
    throw new LvsError('INVALID_ARGUMENT', `${fn}: not a checker state (from initialState or step): ${describe(s)}`);
  }
}

/**
 * Checks a policy; throws once with every issue it has.
 * @param p - the policy
 * @param path - where it sits in the caller's input (prefix of every issue's path)
 * @throws LvsError `HEALTH_INVALID_CONFIG`, or `TIMER_RANGE` for a delay of 2^31 ms or more
 */
export function validatePolicy(p: CheckPolicy, path: readonly (string | number)[]): void {
  if (!Array.isArray(path) || !path.every((k) => typeof k === 'string' || typeof k === 'number')) {
    throw new LvsError(
      'INVALID_ARGUMENT',
      `validatePolicy: path must be an array of keys and indexes, got ${describe(path)}`,
    );
  }
  const issues = new IssueList();
  policyIssues(p, path, issues);
  throwIssues(issues, 'invalid health policy');
}

/**
 * The state a new checker starts in. keepalived: up unless `alpha` (check_api.c: `is_up = true`; alpha →
 * `set_checker_state(false)`), and at startup `retry_it = retry` — "For non alpha mode, one failure is
 * enough initially" (check_data.c `validate_check_config`, not on reload); a checker added by a reload
 * starts at 0 unless `migrate_checkers` says otherwise. ldirectord: a real is not in the table until a
 * check passes (`_status_up` only on success).
 * @param startup - true for the first configuration (keepalived start), false for one added by a reload
 */
export function initialState(p: CheckPolicy, startup = true): CheckerState {
  needPolicy(p);
  switch (p.kind) {
    case 'keepalived':
      return { up: !p.alpha, hasRun: false, retryIt: startup ? p.retry : 0, okStreak: 0 };
    case 'ldirectord':
      return { up: false, hasRun: false, retryIt: 0, okStreak: 0 };
    case 'riseFall':
      return { up: p.startUp ?? false, hasRun: false, retryIt: 0, okStreak: 0 };
  }
}

/**
 * Delay before a checker's first run. keepalived: `warmup * random() / RAND_MAX`
 * (check_api.c `register_checkers_thread`). Others: spread over one interval so thousands of checks do not
 * fire together (ldirectord itself checks everything at once; we stagger, which changes only the phase).
 * @param rnd - a number in [0, 1)
 */
export function firstDelay(p: CheckPolicy, rnd: number): number {
  needPolicy(p);
  if (typeof rnd !== 'number' || !(rnd >= 0 && rnd < 1)) {
    throw new LvsError('INVALID_ARGUMENT', `firstDelay: rnd must be a number in [0, 1), got ${describe(rnd)}`);
  }
  switch (p.kind) {
    case 'keepalived':
      return p.warmupMs > 0 ? Math.floor(p.warmupMs * rnd) : 0;
    case 'ldirectord':
      return Math.floor(p.checkIntervalMs * rnd);
    case 'riseFall':
      return Math.floor(p.intervalMs * rnd);
  }
}

/** Feed one result to the policy. Pure. */
export function step(p: CheckPolicy, s: CheckerState, ok: boolean): StepOutcome {
  needPolicy(p);
  needState(s, 'step');
  if (typeof ok !== 'boolean')
    throw new LvsError('INVALID_ARGUMENT', `step: ok must be true or false, got ${describe(ok)}`);
  switch (p.kind) {
    case 'keepalived':
      return stepKeepalived(p, s, ok);
    case 'ldirectord':
      return stepLdirectord(p, s, ok);
    case 'riseFall':
      return stepRiseFall(p, s, ok);
  }
}

// keepalived/check/check_tcp.c `tcp_epilog` (the other checkers' epilogs implement the same rule):
//   if success or ((is_up or !has_run) and retry_it >= retry): retry_it = 0; report UP/DOWN when it changes
//   elif is_up: retry_it++, next after delay_before_retry
//   else: next after delay_loop
function stepKeepalived(p: KeepalivedPolicy, s: CheckerState, ok: boolean): StepOutcome {
  let delayMs = p.delayLoopMs;
  let up = s.up;
  let retryIt = s.retryIt;
  let transition: 'up' | 'down' | null = null;
  if (ok || ((s.up || !s.hasRun) && s.retryIt >= p.retry)) {
    retryIt = 0;
    if (ok && !s.up) {
      up = true;
      transition = 'up';
    } else if (!ok && s.up) {
      up = false;
      transition = 'down';
    }
  } else if (s.up) {
    delayMs = p.delayBeforeRetryMs;
    retryIt++;
  } else if (p.downDelay === 'max') {
    delayMs = Math.max(p.delayBeforeRetryMs, p.delayLoopMs);
  }
  return { state: { up, hasRun: true, retryIt, okStreak: 0 }, transition, delayMs };
}

function stepLdirectord(p: LdirectordPolicy, s: CheckerState, ok: boolean): StepOutcome {
  const delayMs = p.checkIntervalMs;
  if (ok) {
    return { state: { up: true, hasRun: true, retryIt: 0, okStreak: 0 }, transition: s.up ? null : 'up', delayMs };
  }
  // `_service_down` returns early for a real that is not up: its failcount is not incremented.
  if (!s.up) return { state: { ...s, hasRun: true }, transition: null, delayMs };
  const failcount = s.retryIt + 1;
  if (failcount < p.failureCount) {
    return { state: { up: true, hasRun: true, retryIt: failcount, okStreak: 0 }, transition: null, delayMs };
  }
  return { state: { up: false, hasRun: true, retryIt: failcount, okStreak: 0 }, transition: 'down', delayMs };
}

function stepRiseFall(p: RiseFallPolicy, s: CheckerState, ok: boolean): StepOutcome {
  const delayMs = p.intervalMs;
  if (ok) {
    const okStreak = s.okStreak + 1;
    const up = s.up || okStreak >= p.rise;
    return { state: { up, hasRun: true, retryIt: 0, okStreak }, transition: up && !s.up ? 'up' : null, delayMs };
  }
  const fails = s.retryIt + 1;
  const up = s.up && fails < p.fall;
  return { state: { up, hasRun: true, retryIt: fails, okStreak: 0 }, transition: s.up && !up ? 'down' : null, delayMs };
}

/**
 * Carry a checker's state into its replacement after a reload (keepalived `migrate_checkers`,
 * keepalived/check/ipwrapper.c): the verdict and `has_run` are kept; if already down, one more failure is
 * enough to stay down; if up, the retry count is kept but capped at the new `retry`.
 */
export function migrateState(next: CheckPolicy, old: CheckerState): CheckerState {
  needPolicy(next);
  needState(old, 'migrateState');
  if (!old.hasRun) return initialState(next);
  if (next.kind === 'keepalived') {
    const retryIt = !old.up ? next.retry + 1 : Math.min(old.retryIt, next.retry);
    return { up: old.up, hasRun: true, retryIt, okStreak: 0 };
  }
  if (next.kind === 'ldirectord') {
    return { up: old.up, hasRun: true, retryIt: Math.min(old.retryIt, next.failureCount - 1), okStreak: 0 };
  }
  return { up: old.up, hasRun: true, retryIt: Math.min(old.retryIt, next.fall - 1), okStreak: old.okStreak };
}

/** The interval of a policy (for stagger and for display). */
export function intervalOf(p: CheckPolicy): number {
  needPolicy(p);
  return p.kind === 'keepalived' ? p.delayLoopMs : p.kind === 'ldirectord' ? p.checkIntervalMs : p.intervalMs;
}
