/**
 * Socket plumbing shared by the TCP-based checkers: dial (plain or TLS) bound to an AbortSignal, a
 * reply-line reader for text protocols, and read-to-end. Everything here destroys its socket when the
 * signal aborts; nothing here decides whether a server is healthy.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';

/** Where and how to connect. */
export interface DialOptions {
  readonly host: string;
  readonly port: number;
  /** keepalived `bindto` / `bind_port`. */
  readonly bindTo?: string;
  readonly bindPort?: number;
  /** TLS: set to use TLS. */
  readonly tls?: {
    /** SNI name to send; none when undefined (keepalived: only with `enable_sni`). */
    readonly servername?: string;
    /** Verify the certificate chain (keepalived: off unless a CA is configured). */
    readonly verify?: boolean;
    /** Trusted CA certificates (PEM). */
    readonly ca?: string | Buffer;
    /** Client certificate and key (keepalived SSL { certificate; key }). */
    readonly cert?: string | Buffer;
    readonly key?: string | Buffer;
  };
}

/** Reject with the abort reason as an Error. */
export function abortError(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new Error(typeof r === 'string' ? r : 'aborted');
}

/** Connect; resolves once connected (and, for TLS, once the handshake is done). */
export function dial(o: DialOptions, signal: AbortSignal): Promise<Socket | TLSSocket> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortError(signal));
      return;
    }
    const base = {
      host: o.host,
      port: o.port,
      ...(o.bindTo !== undefined ? { localAddress: o.bindTo } : {}),
      ...(o.bindPort !== undefined ? { localPort: o.bindPort } : {}),
    };
    const sock: Socket | TLSSocket = o.tls
      ? tlsConnect({
          ...base,
          ...(o.tls.servername !== undefined ? { servername: o.tls.servername } : {}),
          rejectUnauthorized: o.tls.verify ?? false,
          ...(o.tls.ca !== undefined ? { ca: o.tls.ca } : {}),
          ...(o.tls.cert !== undefined ? { cert: o.tls.cert } : {}),
          ...(o.tls.key !== undefined ? { key: o.tls.key } : {}),
        })
      : netConnect(base);
    const onAbort = () => {
      sock.destroy();
      reject(abortError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    sock.once('error', (err) => {
      signal.removeEventListener('abort', onAbort);
      sock.destroy();
      reject(err);
    });
    sock.once(o.tls ? 'secureConnect' : 'connect', () => {
      signal.removeEventListener('abort', onAbort);
      sock.removeAllListeners('error');
      sock.on('error', () => {}); // later errors surface through the readers
      resolve(sock);
    });
  });
}

/** Read until EOF (or `limit` bytes, then stop), honouring the signal. */
export function readAll(sock: Socket, signal: AbortSignal, limit = 4 * 1024 * 1024): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    const done = (err?: Error) => {
      signal.removeEventListener('abort', onAbort);
      sock.removeListener('data', onData);
      sock.removeListener('end', onEnd);
      sock.removeListener('close', onEnd);
      sock.removeListener('error', onError);
      if (err) reject(err);
      else resolve(Buffer.concat(chunks, n));
    };
    const onAbort = () => {
      sock.destroy();
      done(abortError(signal));
    };
    const onData = (b: Buffer) => {
      chunks.push(b);
      n += b.length;
      if (n >= limit) {
        sock.destroy();
        done();
      }
    };
    const onEnd = () => done();
    const onError = (err: Error) => done(err);
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    sock.on('data', onData);
    sock.once('end', onEnd);
    sock.once('close', onEnd);
    sock.once('error', onError);
  });
}

/**
 * Reads CRLF/LF-terminated lines from a socket. Text protocols (SMTP, FTP, POP3, IMAP) use
 * {@link LineReader.reply} for multi-line replies.
 */
export class LineReader {
  readonly #sock: Socket;
  #buf = '';
  #lines: string[] = [];
  #waiter: ((err?: Error) => void) | null = null;
  #ended: Error | null = null;

  constructor(sock: Socket) {
    this.#sock = sock;
    sock.setEncoding('latin1');
    sock.on('data', (s: string) => {
      this.#buf += s;
      let i = this.#buf.indexOf('\n');
      while (i >= 0) {
        this.#lines.push(this.#buf.slice(0, i).replace(/\r$/, ''));
        this.#buf = this.#buf.slice(i + 1);
        i = this.#buf.indexOf('\n');
      }
      this.#wake();
    });
    const end = (err?: Error) => {
      // A last line without its newline is still a line (Perl's <$sock> returns it too).
      if (this.#buf !== '' && !this.#ended) {
        this.#lines.push(this.#buf.replace(/\r$/, ''));
        this.#buf = '';
      }
      this.#ended ??= err ?? new Error('connection closed by peer');
      this.#wake();
    };
    sock.on('end', () => end());
    sock.on('close', () => end());
    sock.on('error', (err) => end(err));
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = null;
    w?.();
  }

  /** Next line. */
  async line(signal: AbortSignal): Promise<string> {
    for (;;) {
      const l = this.#lines.shift();
      if (l !== undefined) return l;
      if (this.#ended) throw this.#ended;
      if (signal.aborted) throw abortError(signal);
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          this.#waiter = null;
          this.#sock.destroy();
          reject(abortError(signal));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        this.#waiter = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
      });
    }
  }

  /** An SMTP/FTP style reply: lines `NNN-…` continue, `NNN …` ends. Returns the code and the last line. */
  async reply(signal: AbortSignal): Promise<{ code: number; text: string }> {
    for (;;) {
      const l = await this.line(signal);
      const m = /^(\d{3})([ -])?(.*)$/.exec(l);
      if (!m) throw new Error(`malformed reply: ${l.slice(0, 80)}`);
      if (m[2] !== '-') return { code: Number(m[1]), text: l };
    }
  }

  /** Write a line (CRLF appended). */
  send(text: string): void {
    this.#sock.write(`${text}\r\n`, 'latin1');
  }
}
