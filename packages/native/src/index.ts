/**
 * @lvskit/native — the Node-API addon: AF_PACKET sockets with batched receive and send over preallocated
 * buffers, and interface / address / neighbour access through ioctl and rtnetlink, each usable inside a
 * named network namespace. Linux only; the only lvskit code that needs privileges (CAP_NET_RAW,
 * CAP_NET_ADMIN, and CAP_SYS_ADMIN to enter a namespace). Loading is lazy: importing never throws.
 * @packageDocumentation
 */
export { LvsError, type LvsErrorCode, type LvsIssue } from '@lvskit/base';
export { nativeUnavailableReason } from './binding.js';
export { BPF_MAX_INSTRUCTIONS, type BpfInstruction, BpfOp, encodeBpf } from './bpf.js';
export { nativeErrorCodes } from './errors.js';
export {
  type AddressEntry,
  type AddressScope,
  type AddressSpec,
  addAddress,
  getNeighbour,
  type InterfaceInfo,
  interfaceInfo,
  listAddresses,
  listNeighbours,
  type NeighbourEntry,
  type NeighbourSpec,
  type NeighbourState,
  type NetnsOption,
  removeAddress,
  removeNeighbour,
  setNeighbour,
} from './netlink.js';
export {
  ETH_P_ALL,
  GsoType,
  PacketSocket,
  type PacketSocketOptions,
  type PacketSocketStats,
  PacketType,
  type RxBatch,
  RxFlag,
  type RxRingOptions,
  type TxBatch,
} from './packet-socket.js';
