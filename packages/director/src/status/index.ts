/**
 * The director's live status page: `serveStatus(director, { port })` and the JSON it serves. Only
 * re-exports.
 */
export type { HistoryJson, RatePoint, RateSeries } from './history.js';
export { type StatusServer, type StatusServerOptions, serveStatus } from './server.js';
export type {
  CheckTransition,
  StatusAnnounce,
  StatusCheck,
  StatusEvent,
  StatusRealServer,
  StatusService,
  StatusSnapshot,
  StatusSync,
  StatusSyncDaemon,
  StatusVrrp,
  TimelineEvents,
} from './snapshot.js';
