/**
 * Loading the compiled addon (prebuilds/<platform>-<arch>/ when shipped, else build/Release/lvskit_native.node), lazily on first use so that importing
 * this package never fails — on macOS, in an unprivileged unit test, or before the build. Declares the raw
 * shape the C++ side exports. It must never be imported across packages: only this package's wrappers talk
 * to the raw binding.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { LvsError } from '@lvskit/base';

/** @internal Raw packet socket as the addon constructs it. */
export interface RawPacketSocket {
  readonly rxBuffer: Buffer;
  readonly rxOffsets: Uint32Array;
  readonly rxLengths: Uint32Array;
  readonly rxPacketTypes: Uint8Array;
  readonly rxFlags: Uint8Array;
  readonly txBuffer: Buffer;
  readonly txOffsets: Uint32Array;
  readonly txLengths: Uint32Array;
  readonly rxGsoTypes: Uint8Array;
  readonly rxGsoSizes: Uint16Array;
  readonly rxCsumStarts: Uint16Array;
  readonly rxCsumOffsets: Uint16Array;
  readonly txGsoTypes: Uint8Array;
  readonly txGsoSizes: Uint16Array;
  readonly txCsumStarts: Uint16Array;
  readonly txCsumOffsets: Uint16Array;
  readonly vnetHdr: boolean;
  readonly ifindex: number;
  readonly batchSize: number;
  readonly frameSize: number;
  receive(): number;
  send(count: number, fromRx?: boolean): number;
  startPolling(callback: (countOrError: number | Error) => void): void;
  stopPolling(): void;
  setRef(ref: boolean): void;
  stats(): {
    received: number;
    sent: number;
    truncated: number;
    txDropped: number;
    kernelPackets: number;
    kernelDrops: number;
  };
  close(): void;
  setFilter(program: Uint8Array | null): void;
}

/** @internal Options the addon's PacketSocket constructor reads. */
export interface RawPacketSocketOptions {
  ifname: string;
  netns?: string | undefined;
  batchSize?: number | undefined;
  frameSize?: number | undefined;
  protocol?: number | undefined;
  promiscuous?: boolean | undefined;
  ignoreOutgoing?: boolean | undefined;
  qdiscBypass?: boolean | undefined;
  bufferBytes?: number | undefined;
  vnetHdr?: boolean | undefined;
  multicast?: Buffer[] | undefined;
  rxRing?: { blockSize?: number; blockCount?: number; timeoutMs?: number } | undefined;
}

/** @internal The addon's exports. */
export interface Binding {
  PacketSocket: new (options: RawPacketSocketOptions) => RawPacketSocket;
  interfaceInfo(
    ifname: string,
    netns: string | undefined,
  ): { index: number; mac: Buffer; mtu: number; flags: number; hwType: number };
  addressChange(
    netns: string | undefined,
    ifindex: number,
    address: Buffer,
    prefixLength: number,
    remove: boolean,
    flags: number,
    scope?: number,
    label?: string,
  ): void;
  addressList(netns: string | undefined): {
    ifindex: number;
    family: 4 | 6;
    prefixLength: number;
    address: Buffer;
    scope: number;
    flags: number;
    label: string | null;
  }[];
  neighbourList(
    netns: string | undefined,
  ): { ifindex: number; family: 4 | 6; address: Buffer; mac: Buffer | null; state: number; flags: number }[];
  neighbourChange(
    netns: string | undefined,
    ifindex: number,
    address: Buffer,
    mac: Buffer | null,
    state: number,
    remove: boolean,
  ): void;
}

let binding: Binding | undefined;
let failure: LvsError | undefined;

function load(): Binding {
  if (process.platform !== 'linux') {
    throw new LvsError(
      'NATIVE_UNSUPPORTED',
      `native: AF_PACKET and rtnetlink exist only on Linux; this is ${process.platform}`,
    );
  }
  // Both src/ and dist/ sit one level below the package root, so one relative path serves both.
  // node-gyp-build picks prebuilds/<platform>-<arch>/*.node (shipped in the tarball) when it matches this
  // Node/ABI, else build/Release/lvskit_native.node (built from source by the install script).
  const require = createRequire(import.meta.url);
  try {
    const gypBuild = require('node-gyp-build') as (root: string) => unknown;
    return gypBuild(fileURLToPath(new URL('..', import.meta.url))) as Binding;
  } catch (err) {
    throw new LvsError(
      'NATIVE_NOT_BUILT',
      `native: the addon is not built or does not load (run \`npm rebuild @lvskit/native\`): ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** @internal The loaded addon; throws `NATIVE_UNSUPPORTED` / `NATIVE_NOT_BUILT` (every time) when absent. */
export function native(): Binding {
  if (binding !== undefined) return binding;
  if (failure !== undefined) throw failure;
  try {
    binding = load();
    return binding;
  } catch (err) {
    failure = err as LvsError;
    throw failure;
  }
}

/** Why the addon cannot be used here, or undefined when it loads. Never throws. */
export function nativeUnavailableReason(): string | undefined {
  try {
    native();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
