/**
 * The two calls of GoBGP's gRPC API the announcer needs on its fast path, `AddPath` and `DeletePath` of
 * service `apipb.GobgpApi`, with their request messages written by hand in protobuf's wire format (no code
 * generation, no .proto files shipped). Field numbers are those of GoBGP 3.x's `api/gobgp.proto` and
 * `api/attribute.proto` (Debian's gobgpd 3.10): `AddPathRequest{table_type 1, vrf_id 2, path 3}`,
 * `DeletePathRequest{table_type 1, vrf_id 2, family 3, path 4, uuid 5}`, `Path{nlri 1 (Any), pattrs 2
 * (repeated Any), family 9}`, `Family{afi 1, safi 2}`, `IPAddressPrefix{prefix_len 1, prefix 2}`,
 * `OriginAttribute{origin 1}`, `NextHopAttribute{next_hop 1}`, `MpReachNLRIAttribute{family 1, next_hops 2,
 * nlris 3}`; `google.protobuf.Any{type_url 1, value 2}`. One process-long gRPC channel over the daemon's Unix
 * socket: a route change costs one unary call, not a client process.
 */
import { Client, credentials, type ServiceError } from '@grpc/grpc-js';
import { LvsError } from '@lvskit/base';
import './errors.js';

// ------------------------------------------------------------------ protobuf wire format (writer only)

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** Field `n` as a varint (omitted when 0, as proto3 does). */
function fieldVarint(n: number, v: number): number[] {
  return v === 0 ? [] : [...varint(n << 3), ...varint(v)];
}

/** Field `n` length-delimited (bytes, string or an embedded message). */
function fieldBytes(n: number, bytes: readonly number[] | Uint8Array): number[] {
  return [...varint((n << 3) | 2), ...varint(bytes.length), ...bytes];
}

const utf8 = (s: string): number[] => [...Buffer.from(s, 'utf8')];

function any(type: string, value: readonly number[]): number[] {
  return [...fieldBytes(1, utf8(`type.googleapis.com/apipb.${type}`)), ...fieldBytes(2, value)];
}

/** `Family` for IPv4 or IPv6 unicast (AFI_IP 1 / AFI_IP6 2, SAFI_UNICAST 1). */
function family(af: 4 | 6): number[] {
  return [...fieldVarint(1, af === 4 ? 1 : 2), ...fieldVarint(2, 1)];
}

/**
 * The `Path` message of a locally originated unicast route: origin IGP, next hop "self" (`0.0.0.0` / `::`,
 * which GoBGP replaces with the session's own address toward each eBGP peer).
 */
function path(address: string, length: number, af: 4 | 6): number[] {
  const nlri = any('IPAddressPrefix', [...fieldVarint(1, length), ...fieldBytes(2, utf8(address))]);
  const origin = any('OriginAttribute', fieldVarint(1, 0));
  const nextHop =
    af === 4
      ? any('NextHopAttribute', fieldBytes(1, utf8('0.0.0.0')))
      : any('MpReachNLRIAttribute', [
          ...fieldBytes(1, family(6)),
          ...fieldBytes(2, utf8('::')),
          ...fieldBytes(3, nlri),
        ]);
  return [...fieldBytes(1, nlri), ...fieldBytes(2, origin), ...fieldBytes(2, nextHop), ...fieldBytes(9, family(af))];
}

/** `AddPathRequest{table_type GLOBAL, path}` for `address/length`. */
export function addPathRequest(address: string, length: number, af: 4 | 6): Buffer {
  return Buffer.from(fieldBytes(3, path(address, length, af)));
}

/** `DeletePathRequest{table_type GLOBAL, family, path}` for `address/length`. */
export function deletePathRequest(address: string, length: number, af: 4 | 6): Buffer {
  return Buffer.from([...fieldBytes(3, family(af)), ...fieldBytes(4, path(address, length, af))]);
}

// ------------------------------------------------------------------ the client

const identity = (b: Buffer): Buffer => b;

/** A gRPC channel to one gobgpd's API socket. */
export class GobgpApi {
  readonly #client: Client;

  /** @param target - `unix:///path/to/api.sock` */
  constructor(target: string) {
    this.#client = new Client(target, credentials.createInsecure());
  }

  #call(method: 'AddPath' | 'DeletePath', request: Buffer, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#client.makeUnaryRequest(
        `/apipb.GobgpApi/${method}`,
        identity,
        identity,
        request,
        { deadline: Date.now() + timeoutMs },
        (err: ServiceError | null) => {
          if (err) reject(new LvsError('ANNOUNCE_DAEMON_FAILED', `gobgpd ${method}: ${err.details || err.message}`));
          else resolve();
        },
      );
    });
  }

  /** Adds (announces) a route. */
  addPath(address: string, length: number, af: 4 | 6, timeoutMs = 5000): Promise<void> {
    return this.#call('AddPath', addPathRequest(address, length, af), timeoutMs);
  }

  /** Deletes (withdraws) a route. */
  deletePath(address: string, length: number, af: 4 | 6, timeoutMs = 5000): Promise<void> {
    return this.#call('DeletePath', deletePathRequest(address, length, af), timeoutMs);
  }

  /** Closes the channel. */
  close(): void {
    this.#client.close();
  }
}
