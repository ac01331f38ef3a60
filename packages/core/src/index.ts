/**
 * @lvskit/core — the director's brain: virtual services and real servers, the connection and persistence
 * table, the engine that decides each packet, the typed builder and runtime, ipvsadm formats, events and
 * the ports other packages plug into. This file only re-exports; it must never hold behaviour.
 * @packageDocumentation
 */
export { LvsError, type LvsErrorCode, type LvsErrorCodes, type LvsIssue } from '@lvskit/schedulers';
export { type CoreErrorCode, coreErrorCodes } from './errors.js';
export * from './model.js';
export * from './packet.js';
export type * from './ports.js';
