/**
 * Side effects of health transitions: notify scripts (keepalived `notify_up`/`notify_down`,
 * `quorum_up`/`quorum_down`, also the runner of `misc_path` and ldirectord's `checkcommand`) and alerts
 * through a pluggable {@link Notifier} whose default sends mail with nodemailer (keepalived `smtp_alert`,
 * ldirectord `emailalert`). Scripts run only through `@lvskit/base`'s `CommandRunner` port, as argv, never
 * through a shell. Nothing here decides health; it only acts.
 */
import { type CommandOutcome, type CommandRunner, execCommand, IssueList } from '@lvskit/base';
import { createTransport } from 'nodemailer';
import {
  abortSignal,
  anyString,
  arrayOf,
  checkOptions,
  checkRecord,
  duration,
  fn,
  port,
  required,
  text,
  throwIssues,
} from './options.js';

/**
 * Splits a keepalived script line into argv as keepalived's `alloc_strvec_quoted_escaped` does for
 * `misc_path` and `notify_*`: words separated by blanks; `"…"` and `'…'` quote (a quoted word may hold
 * blanks); a backslash escapes the next character (outside single quotes). No variables, globs or
 * operators: keepalived `execve`s the words, it does not run a shell.
 * @param line - the script line, e.g. `/usr/local/bin/check "two words" 3`
 * @returns at least one word
 * @throws LvsError `HEALTH_INVALID_CONFIG` for an empty line, an unterminated quote or a NUL byte
 * @see keepalived/lib/notify.c `set_script_params_array`, keepalived/core/parser.c `alloc_strvec_quoted_escaped`
 */
export function splitCommandLine(line: string): string[] {
  const fail = (why: string): never => {
    const issues = new IssueList();
    issues.add([], 'HEALTH_INVALID_CONFIG', `${why}: ${JSON.stringify(line)}`);
    return throwIssues(issues, 'invalid script') as never;
  };
  if (typeof line !== 'string') return fail('a script must be a string');
  if (line.includes('\u0000')) fail('a script line must not contain a NUL byte');
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quote === "'") {
      if (ch === "'") quote = null;
      else word += ch;
      continue;
    }
    if (ch === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
      continue;
    }
    if (quote === '"') {
      if (ch === '"') quote = null;
      else word += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote !== null) fail(`unterminated ${quote} quote in script line`);
  if (inWord) words.push(word);
  if (words.length === 0 || words[0] === '') fail('a script line needs a program');
  return words;
}

/** Options of {@link runScript}. */
export interface RunScriptOptions {
  /** The command runner (default `execCommand` of `@lvskit/base`: argv, no shell, killed by PID). */
  readonly runner?: CommandRunner;
  /** Extra arguments appended to the script's own words. */
  readonly args?: readonly string[];
  /** Kill the script after this many ms (default: the runner's default, 10 s for `execCommand`). */
  readonly timeoutMs?: number;
  /** Aborting kills the script. */
  readonly signal?: AbortSignal;
}

/**
 * Runs a script line the way keepalived runs `notify_up`/`notify_down`/`quorum_up`/`quorum_down` and
 * `misc_path`: split into argv ({@link splitCommandLine}), `args` appended, executed directly through the
 * {@link CommandRunner} port — no shell. (keepalived falls back to `system()` only for a file that is not
 * executable; lvskit does not: make the script executable.)
 * @param command - the script line, or an argv already split
 * @param options - runner, extra arguments, timeout, abort signal
 * @returns the runner's outcome (never rejects once started)
 * @throws LvsError `HEALTH_INVALID_CONFIG` for a malformed command or options, synchronously
 */
export function runScript(
  command: string | readonly string[],
  options: RunScriptOptions = {},
): Promise<CommandOutcome> {
  const issues = new IssueList();
  checkRecord(
    options,
    { runner: fn, args: arrayOf(anyString, 'an array of strings'), timeoutMs: duration(1, false), signal: abortSignal },
    ['options'],
    issues,
    'runScript options',
  );
  if (Array.isArray(command)) arrayOf(text, 'an argv of non-empty strings')(command, ['command'], issues, 'command');
  else if (typeof command !== 'string')
    issues.add(['command'], 'HEALTH_INVALID_CONFIG', 'command must be a string or an argv');
  throwIssues(issues, 'invalid runScript call');
  const argv = typeof command === 'string' ? splitCommandLine(command) : [...command];
  const runner = options.runner ?? execCommand;
  return runner([...argv, ...(options.args ?? [])], {
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  });
}

/** A one-line description of a failed outcome (`exit 3`, `timed out`, `could not start: …`), or null when it succeeded. */
export function describeOutcome(o: CommandOutcome): string | null {
  if (o.timedOut) return 'timed out';
  if (o.code === 0) return null;
  if (o.code === 127 && o.stdout === '' && o.stderr !== '') return `could not start: ${o.stderr.trim().slice(0, 200)}`;
  if (o.code < 0) return 'killed';
  return `exited with status ${o.code}`;
}

/** An alert about a real server or a virtual service. */
export interface HealthAlert {
  readonly kind: 'realServerUp' | 'realServerDown' | 'quorumUp' | 'quorumDown';
  readonly service: string;
  /** The real server, for real-server alerts. */
  readonly realServer?: string;
  /** A one-line description, e.g. the checker message. */
  readonly message: string;
  readonly at: Date;
}

/** Where alerts go. Implementations must not throw into the caller; failures are reported via the promise. */
export interface Notifier {
  notify(alert: HealthAlert): Promise<void>;
}

/** Mail notifier options (nodemailer SMTP transport). */
export interface MailNotifierOptions {
  /** SMTP server (keepalived `smtp_server`, ldirectord `smtp`). */
  readonly host: string;
  /** Default 25. */
  readonly port?: number;
  /** keepalived `notification_email_from` / ldirectord `emailalertfrom`. */
  readonly from: string;
  /** keepalived `notification_email` / ldirectord `emailalert`. */
  readonly to: readonly string[];
  /** keepalived `router_id`, used in the subject (default: the host name). */
  readonly routerId?: string;
  /** keepalived `smtp_connect_timeout` (default 30 s). */
  readonly timeoutMs?: number;
}

/**
 * The default notifier: one mail per alert. Subjects follow keepalived's smtp.c shapes:
 * `[router] Realserver [rs] of virtual server [vs] - UP|DOWN`, `[router] Virtualserver [vs] - UP|DOWN`.
 */
export function mailNotifier(options: MailNotifierOptions): Notifier {
  checkOptions(
    options,
    {
      host: required(text),
      port: port,
      from: required(text),
      to: required(arrayOf(text, 'an array of addresses')),
      routerId: text,
      timeoutMs: duration(1, false),
    },
    'mailNotifier options',
  );
  const timeout = options.timeoutMs ?? 30_000;
  const transport = createTransport({
    host: options.host,
    port: options.port ?? 25,
    secure: false,
    ignoreTLS: true,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  });
  const router = options.routerId ?? process.env.HOSTNAME ?? 'lvskit';
  return {
    async notify(alert) {
      const updown = alert.kind.endsWith('Up') ? 'UP' : 'DOWN';
      const subject =
        alert.realServer !== undefined
          ? `[${router}] Realserver [${alert.realServer}] of virtual server [${alert.service}] - ${updown}`
          : `[${router}] Virtualserver [${alert.service}] - ${updown}`;
      await transport.sendMail({
        from: options.from,
        to: [...options.to],
        subject,
        text: `=> ${alert.message} <=\n${alert.at.toISOString()}\n`,
      });
    },
  };
}
