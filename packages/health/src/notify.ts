/**
 * Side effects of health transitions: notify scripts (keepalived `notify_up`/`notify_down`,
 * `quorum_up`/`quorum_down`) and alerts through a pluggable {@link Notifier} whose default sends mail with
 * nodemailer (keepalived `smtp_alert`, ldirectord `emailalert`). Nothing here decides health; it only acts.
 */
import { spawn } from 'node:child_process';
import { createTransport } from 'nodemailer';
import { errorMessage } from './types.js';

/** What a script run ended with. */
export interface ScriptOutcome {
  /** Exit status, or null when killed by a signal. */
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  /** Spawn error message, if it could not start. */
  readonly error?: string;
}

/**
 * Run `command` through `/bin/sh -c` in its own process group (so a timeout kills its children too, as
 * keepalived's `kill(-pid, …)` does), with `args` appended as positional parameters.
 */
export function runScript(
  command: string,
  options: { readonly args?: readonly string[]; readonly timeoutMs?: number; readonly signal?: AbortSignal } = {},
): Promise<ScriptOutcome> {
  return new Promise((resolve) => {
    let timedOut = false;
    let done = false;
    const child = spawn('/bin/sh', ['-c', `${command} "$@"`, 'sh', ...(options.args ?? [])], {
      stdio: 'ignore',
      detached: true,
    });
    const kill = (sig: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // already gone
      }
    };
    const onAbort = () => {
      timedOut = true;
      kill('SIGTERM');
      // keepalived escalates to SIGKILL when SIGTERM was not enough (check_misc.c).
      setTimeout(() => kill('SIGKILL'), 1000).unref();
    };
    const timer = options.timeoutMs ? setTimeout(onAbort, options.timeoutMs) : null;
    timer?.unref();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (o: ScriptOutcome) => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(o);
    };
    child.on('error', (err) => finish({ status: null, signal: null, timedOut, error: errorMessage(err) }));
    child.on('exit', (status, signal) => {
      // Reap any grandchildren left in the group.
      if (timedOut) kill('SIGKILL');
      finish({ status, signal, timedOut });
    });
  });
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
