/** The part of the untyped `raw-socket` package (1.8) the PING checker uses. */
declare module 'raw-socket' {
  import type { EventEmitter } from 'node:events';
  export const AddressFamily: { readonly IPv4: number; readonly IPv6: number };
  export const Protocol: { readonly ICMP: number; readonly ICMPv6: number };
  export interface Socket extends EventEmitter {
    send(
      buffer: Buffer,
      offset: number,
      length: number,
      address: string,
      afterCallback: (error: Error | null, bytes: number) => void,
    ): Socket;
    close(): Socket;
    on(event: 'message', fn: (buffer: Buffer, source: string) => void): this;
    on(event: 'error', fn: (error: Error) => void): this;
    on(event: 'close', fn: () => void): this;
  }
  export function createSocket(options: { protocol: number; addressFamily?: number; bufferSize?: number }): Socket;
  export function createChecksum(...buffers: (Buffer | { buffer: Buffer; offset: number; length: number })[]): number;
  export function writeChecksum(buffer: Buffer, offset: number, checksum: number): Buffer;
}
