/**
 * IPVS protocol state data: the TCP state numbers and names, the normal and secure_tcp ("dos") transition
 * tables for the INPUT, OUTPUT and INPUT-ONLY directions, which states count as active, and the default
 * timeouts. Plain constant data from the kernel; must never hold per-connection state or logic beyond
 * table lookup.
 * @see net/netfilter/ipvs/ip_vs_proto_tcp.c `tcp_states`, `tcp_states_dos`, `tcp_timeouts`,
 *   `tcp_state_active_table`; net/netfilter/ipvs/ip_vs_proto_udp.c `udp_timeouts`
 */

/** `IP_VS_TCP_S_NONE` … `IP_VS_TCP_S_SYNACK` (include/net/ip_vs.h). */
export const TcpState = {
  NONE: 0,
  ESTABLISHED: 1,
  SYN_SENT: 2,
  SYN_RECV: 3,
  FIN_WAIT: 4,
  TIME_WAIT: 5,
  CLOSE: 6,
  CLOSE_WAIT: 7,
  LAST_ACK: 8,
  LISTEN: 9,
  SYNACK: 10,
} as const;

/** Number of TCP states. */
export const TCP_STATE_COUNT = 11;

/** Kernel state names (`tcp_state_name_table`), as `ipvsadm -lc` prints them. */
export const TCP_STATE_NAMES: readonly string[] = Object.freeze([
  'NONE',
  'ESTABLISHED',
  'SYN_SENT',
  'SYN_RECV',
  'FIN_WAIT',
  'TIME_WAIT',
  'CLOSE',
  'CLOSE_WAIT',
  'LAST_ACK',
  'LISTEN',
  'SYNACK',
]);

/** Default timeouts in seconds (`tcp_timeouts`). */
export const TCP_DEFAULT_TIMEOUTS: readonly number[] = Object.freeze([
  2, // NONE
  15 * 60, // ESTABLISHED
  2 * 60, // SYN_SENT
  1 * 60, // SYN_RECV
  2 * 60, // FIN_WAIT
  2 * 60, // TIME_WAIT
  10, // CLOSE
  60, // CLOSE_WAIT
  30, // LAST_ACK
  2 * 60, // LISTEN
  2 * 60, // SYNACK
]);

/** UDP timeout default, seconds (`udp_timeouts[IP_VS_UDP_S_NORMAL]`). */
export const UDP_DEFAULT_TIMEOUT = 5 * 60;

/** Timeout of a brand-new entry before its first transition (`ip_vs_conn_new`: `cp->timeout = 3*HZ`). */
export const NEW_CONN_TIMEOUT_MS = 3000;

/** Re-arm delay of an expiring template that still controls connections (`ip_vs_conn_expire`: 60*HZ). */
export const EXPIRE_LATER_MS = 60_000;

/** States counted in ActiveConn (`tcp_state_active_table`): ESTABLISHED, SYN_SENT, SYN_RECV, SYNACK. */
export const TCP_STATE_ACTIVE: Uint8Array = Uint8Array.from([0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1]);

/** Row offsets: `TCP_DIR_INPUT` 0, `TCP_DIR_OUTPUT` 4, `TCP_DIR_INPUT_ONLY` 8; flag index syn 0, fin 1, ack 2, rst 3. */
export const TCP_DIR_INPUT = 0;
/** OUTPUT rows. */
export const TCP_DIR_OUTPUT = 4;
/** INPUT-ONLY rows. */
export const TCP_DIR_INPUT_ONLY = 8;

const ES = 1;
const SS = 2;
const SR = 3;
const FW = 4;
const TW = 5;
const CL = 6;
const CW = 7;
const LA = 8;
const LI = 9;
const SA = 10;

// Columns: current state NO ES SS SR FW TW CL CW LA LI SA (ip_vs_proto_tcp.c `tcp_states`).
// biome-ignore format: the table mirrors the kernel's layout
const NORMAL = [
  /* IN  syn */ SR, ES, ES, SR, SR, SR, SR, SR, SR, SR, SR,
  /* IN  fin */ CL, CW, SS, TW, TW, TW, CL, CW, LA, LI, TW,
  /* IN  ack */ ES, ES, SS, ES, FW, TW, CL, CW, CL, LI, ES,
  /* IN  rst */ CL, CL, CL, SR, CL, CL, CL, CL, LA, LI, SR,
  /* OUT syn */ SS, ES, SS, SR, SS, SS, SS, SS, SS, LI, SR,
  /* OUT fin */ TW, FW, SS, TW, FW, TW, CL, TW, LA, LI, TW,
  /* OUT ack */ ES, ES, SS, ES, FW, TW, CL, CW, LA, ES, ES,
  /* OUT rst */ CL, CL, SS, CL, CL, TW, CL, CL, CL, CL, CL,
  /* IO  syn */ SR, ES, ES, SR, SR, SR, SR, SR, SR, SR, SR,
  /* IO  fin */ CL, FW, SS, TW, FW, TW, CL, CW, LA, LI, TW,
  /* IO  ack */ ES, ES, SS, ES, FW, TW, CL, CW, CL, LI, ES,
  /* IO  rst */ CL, CL, CL, SR, CL, CL, CL, CL, LA, LI, CL,
];

// `tcp_states_dos` (secure_tcp): the normal table with these cells changed.
// biome-ignore format: the table mirrors the kernel's layout
const DOS = [
  /* IN  syn */ SR, ES, ES, SR, SR, SR, SR, SR, SR, SR, SA,
  /* IN  fin */ CL, CW, SS, TW, TW, TW, CL, CW, LA, LI, SA,
  /* IN  ack */ ES, ES, SS, SR, FW, TW, CL, CW, CL, LI, SA,
  /* IN  rst */ CL, CL, CL, SR, CL, CL, CL, CL, LA, LI, CL,
  /* OUT syn */ SS, ES, SS, SA, SS, SS, SS, SS, SS, LI, SA,
  /* OUT fin */ TW, FW, SS, TW, FW, TW, CL, TW, LA, LI, TW,
  /* OUT ack */ ES, ES, SS, ES, FW, TW, CL, CW, LA, ES, ES,
  /* OUT rst */ CL, CL, SS, CL, CL, TW, CL, CL, CL, CL, CL,
  /* IO  syn */ SA, ES, ES, SR, SA, SA, SA, SA, SA, SA, SA,
  /* IO  fin */ CL, FW, SS, TW, FW, TW, CL, CW, LA, LI, TW,
  /* IO  ack */ ES, ES, SS, ES, FW, TW, CL, CW, CL, LI, ES,
  /* IO  rst */ CL, CL, CL, SR, CL, CL, CL, CL, LA, LI, CL,
];

/** The normal transition table, `[(rowOffset + flagIndex) * 11 + state]`. */
export const TCP_STATES: Uint8Array = Uint8Array.from(NORMAL);
/** The secure_tcp transition table, same layout. */
export const TCP_STATES_DOS: Uint8Array = Uint8Array.from(DOS);

/** Flag index of a TCP packet (`tcp_state_idx`): rst 3, syn 0, fin 1, ack 2, none -1. */
export function tcpFlagIndex(flags: number): number {
  if (flags & 0x04) return 3;
  if (flags & 0x02) return 0;
  if (flags & 0x01) return 1;
  if (flags & 0x10) return 2;
  return -1;
}
