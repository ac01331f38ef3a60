/**
 * The error codes @lvskit/core throws, declared into the shared `LvsErrorCodes` union by declaration
 * merging, and their catalogue (`coreErrorCodes`) that `docs/errors.md` is checked against. Owns codes
 * only; it must never define another error class (everything throws `LvsError`).
 */
import { LvsError } from '@lvskit/base';

declare module '@lvskit/base' {
  interface LvsErrorCodes {
    CORE_INVALID_CONFIG: true;
    CORE_INVALID_ADDRESS: true;
    CORE_INVALID_PORT: true;
    CORE_INVALID_PROTOCOL: true;
    CORE_INVALID_FWMARK: true;
    CORE_INVALID_SCHEDULER: true;
    CORE_INVALID_SCHED_FLAG: true;
    CORE_INVALID_PERSISTENCE: true;
    CORE_INVALID_NETMASK: true;
    CORE_PORT_ZERO_NOT_PERSISTENT: true;
    CORE_ONE_PACKET_NOT_UDP: true;
    CORE_INVALID_METHOD: true;
    CORE_INVALID_WEIGHT: true;
    CORE_INVALID_THRESHOLD: true;
    CORE_THRESHOLD_RANGE: true;
    CORE_FAMILY_MISMATCH: true;
    CORE_DUPLICATE_SERVICE: true;
    CORE_DUPLICATE_REAL_SERVER: true;
    CORE_UNKNOWN_SERVICE: true;
    CORE_UNKNOWN_REAL_SERVER: true;
    CORE_INVALID_TIMEOUT: true;
    CORE_INVALID_OPTION: true;
    CORE_BUILDER_STARTED: true;
    CORE_DIRECTOR_STATE: true;
    CORE_UNKNOWN_KEY: true;
    CORE_UNSUPPORTED_TUNNEL: true;
  }
}

/** The codes this package throws, with the sentence `docs/errors.md` carries for each. */
export const coreErrorCodes = {
  CORE_INVALID_CONFIG:
    'A director configuration or run-time change was rejected; `issues` lists every problem and nothing was applied.',
  CORE_INVALID_ADDRESS:
    'An address is not an IPv4 or IPv6 address, or not a usable one: a real server must be unicast (not unspecified, broadcast or multicast).',
  CORE_INVALID_PORT: 'A port is not an integer in 0..65535.',
  CORE_INVALID_PROTOCOL: 'A virtual service protocol is not tcp, udp or sctp.',
  CORE_INVALID_FWMARK: 'A firewall mark is not an integer in 1..4294967295.',
  CORE_INVALID_SCHEDULER: 'The scheduler name is not one of the IPVS schedulers.',
  CORE_INVALID_SCHED_FLAG: 'A scheduler flag is unknown or not accepted by the chosen scheduler (ipvsadm -b).',
  CORE_INVALID_PERSISTENCE: 'A persistence timeout is not an integer in 1..2678400 seconds (ipvsadm MAX_TIMEOUT).',
  CORE_INVALID_NETMASK:
    'A persistence netmask is not an IPv4 dotted mask or prefix length 1..32, or an IPv6 prefix length 1..128.',
  CORE_PORT_ZERO_NOT_PERSISTENT:
    'A virtual service on port 0 must be persistent (ipvsadm: Zero port specified for non-persistent service).',
  CORE_ONE_PACKET_NOT_UDP: 'One-packet scheduling was asked for a service that is neither UDP nor a firewall mark.',
  CORE_INVALID_METHOD: 'A forwarding method is not masq, route or tunnel.',
  CORE_INVALID_WEIGHT: 'A real server weight is not an integer in 0..65535.',
  CORE_INVALID_THRESHOLD: 'A connection threshold is not an integer in 0..2147483647.',
  CORE_THRESHOLD_RANGE: 'The lower threshold is above the upper threshold (kernel: -ERANGE).',
  CORE_FAMILY_MISMATCH: 'A real server address family differs from its service, or addresses of a flow disagree.',
  CORE_DUPLICATE_SERVICE:
    'A virtual service with the same name or the same protocol, address and port (or mark) already exists.',
  CORE_DUPLICATE_REAL_SERVER: 'A real server with the same address and port is already in the service.',
  CORE_UNKNOWN_SERVICE: 'No virtual service has that name or key.',
  CORE_UNKNOWN_REAL_SERVER: 'The virtual service has no real server with that address and port.',
  CORE_INVALID_TIMEOUT: 'A timeout (tcp, tcpfin, udp) is not an integer in 0..2147483 seconds.',
  CORE_INVALID_OPTION:
    'A director option (capacity up to MAX_CONNECTIONS, sysctl-like switch, classifier, a service name) has the wrong type or range.',
  CORE_BUILDER_STARTED: 'The builder was changed after start(); change the running director instead.',
  CORE_DIRECTOR_STATE:
    'The director is not in a state that allows this call (e.g. start() twice, stop() before start()).',
  CORE_UNKNOWN_KEY:
    "A configuration object has a key core does not know (a typo, or another package's option such as `advert_int`); the issue names the key and its value.",
  CORE_UNSUPPORTED_TUNNEL:
    'A tunnel real server is IPv6, or of another family than its service: the datapath tunnels IPv4 in IPv4 only (RFC 2003) and would drop its every packet.',
} as const;

/** Every code @lvskit/core throws. */
export type CoreErrorCode = keyof typeof coreErrorCodes;

export { ipvsadmErrorCodes } from './ipvsadm/errors.js';
export { LvsError };
