/**
 * Error codes and exact messages of the ipvsadm compatibility layer: the refusals libipvs `ipvs_strerror`
 * prints for kernel errors, and the two ways ipvsadm rejects a command line. Owns the code catalogue
 * (`ipvsadmErrorCodes`, merged into `LvsErrorCodes`) and {@link ipvsadmError}; must never decide when an
 * error applies (targets and the parser do) or change a message text, which users' scripts match on.
 */
import { LvsError } from '@lvskit/base';

declare module '@lvskit/base' {
  interface LvsErrorCodes {
    /** ipvsadm: "Service already exists". */
    IPVSADM_SERVICE_EXISTS: true;
    /** ipvsadm: "No such service" / "Service not defined". */
    IPVSADM_NO_SUCH_SERVICE: true;
    /** ipvsadm: "Scheduler or persistence engine not found". */
    IPVSADM_SCHEDULER_NOT_FOUND: true;
    /** ipvsadm: "Destination already exists". */
    IPVSADM_DEST_EXISTS: true;
    /** ipvsadm: "No such destination". */
    IPVSADM_NO_SUCH_DEST: true;
    /** Kernel ERANGE, e.g. lower threshold above upper threshold. */
    IPVSADM_OUT_OF_RANGE: true;
    /** Kernel EINVAL. */
    IPVSADM_INVALID_OPERATION: true;
    /** ipvsadm: "Daemon has already run". */
    IPVSADM_DAEMON_RUNNING: true;
    /** ipvsadm: "No daemon is running". */
    IPVSADM_NO_DAEMON: true;
    /** The target does not implement the operation (sync daemons). */
    IPVSADM_NOT_AVAILABLE: true;
    /** ipvsadm rejected the command line with a message and exit status 2. */
    IPVSADM_BAD_COMMAND: true;
    /** ipvsadm rejected the command line with a usage hint or option-parser error and exit status 255. */
    IPVSADM_USAGE: true;
  }
}

/** The codes this part of core throws, with the sentence `docs/errors.md` carries for each. */
export const ipvsadmErrorCodes = {
  IPVSADM_SERVICE_EXISTS: 'ipvsadm -A: the virtual service already exists ("Service already exists").',
  IPVSADM_NO_SUCH_SERVICE: 'ipvsadm: the virtual service does not exist ("No such service" / "Service not defined").',
  IPVSADM_SCHEDULER_NOT_FOUND:
    'ipvsadm -A/-E: unknown scheduler or persistence engine ("Scheduler or persistence engine not found").',
  IPVSADM_DEST_EXISTS: 'ipvsadm -a: the real server already exists in the service ("Destination already exists").',
  IPVSADM_NO_SUCH_DEST: 'ipvsadm -e/-d: the real server is not in the service ("No such destination").',
  IPVSADM_OUT_OF_RANGE:
    'ipvsadm -a/-e: a value the kernel refuses with ERANGE, e.g. lower threshold above upper threshold.',
  IPVSADM_INVALID_OPERATION: 'ipvsadm: an operation the kernel refuses with EINVAL ("Invalid operation. ...").',
  IPVSADM_DAEMON_RUNNING: 'ipvsadm --start-daemon: a sync daemon in that role already runs.',
  IPVSADM_NO_DAEMON: 'ipvsadm --stop-daemon: no sync daemon in that role runs.',
  IPVSADM_NOT_AVAILABLE: 'ipvsadm: the target does not implement this operation ("Protocol not available").',
  IPVSADM_BAD_COMMAND: 'ipvsadm rejected the command line (its own message, exit status 2).',
  IPVSADM_USAGE: 'ipvsadm could not parse the command line (usage hint or option error, exit status 255).',
} as const;

/** Kinds of refusal a target reports, each with ipvsadm's exact text. */
export type IpvsadmErrorKind =
  | 'service-exists'
  | 'no-such-service'
  | 'service-not-defined'
  | 'scheduler-not-found'
  | 'dest-exists'
  | 'no-such-dest'
  | 'out-of-range'
  | 'invalid-operation'
  | 'daemon-running'
  | 'no-daemon'
  | 'not-available';

/**
 * Exact texts: libipvs.c `ipvs_strerror` table, and glibc `strerror` for ERANGE / ENOPROTOOPT where the
 * table has no entry for the function (ERANGE) or maps the errno globally (ENOPROTOOPT).
 */
export const ipvsadmMessages = {
  'service-exists': 'Service already exists',
  'no-such-service': 'No such service',
  'service-not-defined': 'Service not defined',
  'scheduler-not-found': 'Scheduler or persistence engine not found',
  'dest-exists': 'Destination already exists',
  'no-such-dest': 'No such destination',
  'out-of-range': 'Numerical result out of range',
  'invalid-operation': 'Invalid operation.  Possibly wrong module version, address not unicast, ...',
  'daemon-running': 'Daemon has already run',
  'no-daemon': 'No daemon is running',
  'not-available': 'Protocol not available',
} as const satisfies Record<IpvsadmErrorKind, string>;

const KIND_CODE = {
  'service-exists': 'IPVSADM_SERVICE_EXISTS',
  'no-such-service': 'IPVSADM_NO_SUCH_SERVICE',
  'service-not-defined': 'IPVSADM_NO_SUCH_SERVICE',
  'scheduler-not-found': 'IPVSADM_SCHEDULER_NOT_FOUND',
  'dest-exists': 'IPVSADM_DEST_EXISTS',
  'no-such-dest': 'IPVSADM_NO_SUCH_DEST',
  'out-of-range': 'IPVSADM_OUT_OF_RANGE',
  'invalid-operation': 'IPVSADM_INVALID_OPERATION',
  'daemon-running': 'IPVSADM_DAEMON_RUNNING',
  'no-daemon': 'IPVSADM_NO_DAEMON',
  'not-available': 'IPVSADM_NOT_AVAILABLE',
} as const satisfies Record<IpvsadmErrorKind, keyof typeof ipvsadmErrorCodes>;

/**
 * Builds the `LvsError` a target throws when it refuses an operation, carrying ipvsadm's exact message
 * (which `runIpvsadm` prints on stderr).
 * @param kind - which refusal
 * @example `throw ipvsadmError('service-exists')` → message "Service already exists"
 */
export function ipvsadmError(kind: IpvsadmErrorKind): LvsError {
  return new LvsError(KIND_CODE[kind], ipvsadmMessages[kind]);
}
