/**
 * The error codes of @lvskit/health and their catalogue. Only configuration mistakes throw (before anything
 * runs); a failing check never throws — it returns `{ ok: false }`. This file must never hold logic.
 */
import type { LvsErrorCode } from '@lvskit/base';

declare module '@lvskit/base' {
  interface LvsErrorCodes {
    /** A checker or runner option is missing, of the wrong type, or out of range. */
    HEALTH_INVALID_CONFIG: true;
    /** Two checkers or real servers were registered under the same identity. */
    HEALTH_DUPLICATE_ID: true;
    /** A server's reply given to an exported parser (HTTP, DNS, LDAP) is malformed or truncated. */
    HEALTH_MALFORMED_REPLY: true;
  }
}

/** The codes this package throws, with the sentence `docs/errors.md` carries for each. */
export const healthErrorCodes = {
  HEALTH_INVALID_CONFIG: 'A health checker or runner option is missing, of the wrong type, or out of range.',
  HEALTH_DUPLICATE_ID: 'Two health checkers or real servers were registered under the same identity.',
  HEALTH_MALFORMED_REPLY:
    'A reply given to a health protocol parser (parseHttpResponse, decodeDnsMessage, berRead) is malformed or truncated.',
} as const satisfies Partial<Record<LvsErrorCode, string>>;
