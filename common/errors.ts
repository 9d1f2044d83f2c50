/**
 * Every error pilotfish raises is a {@link PilotfishError} with a stable `code`.
 * Expected negative outcomes (a lost race, a missing key) are return values, not errors.
 * Wrap once, at the boundary where a foreign error enters our code.
 */

/** All error codes, in one place. */
export const ERROR_CODES = {
  CONFIG_INVALID: 'the configuration file or environment overrides are invalid',
  COORDINATOR_UNAVAILABLE: 'the coordination store (etcd, Consul) could not be reached in time',
  COORDINATOR_PROTOCOL: 'the coordination store answered something the adapter did not expect',
  SECRET_NOT_FOUND: 'a secret does not exist at the configured path',
  SECRET_STORE_UNAVAILABLE: 'the secret store (Vault) could not be reached or refused the token',
  OBJECT_STORE_UNAVAILABLE: 'the object store (S3, directory) could not be reached or failed a request',
  BACKUP_FAILED: 'a backup could not be taken',
  BACKUP_INCONSISTENT: 'a file kept changing while a snapshot read it, so no consistent copy could be taken',
  BACKUP_NOT_FOUND: 'no backup with that id exists in the catalog',
  BACKUP_CHECKSUM_MISMATCH: 'a stored backup does not match the checksum in its manifest',
  BACKUP_DECRYPT_FAILED: 'a backup could not be decrypted: wrong key or tampered data',
  RESTORE_FAILED: 'a restore could not be completed; the target was left as it was',
  RESTORE_TARGET_NOT_EMPTY: 'the restore target holds data and --force was not given',
  PROCESS_FAILED: 'a child process exited unexpectedly or could not be started',
  RECIPE_FAILED: 'the recipe could not carry out a lifecycle step',
  JOBSPEC_INVALID: 'a job specification is invalid',
  SCHEDULER_API: 'the scheduler API refused or failed a request',
  MIGRATION_FAILED: 'allocation data could not be migrated',
  UNAUTHORIZED: 'a request carried no valid token',
  FORBIDDEN: 'a token does not allow the request',
  INTERNAL: 'an internal invariant was violated',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface PilotfishErrorOptions {
  /** Whether the same call may succeed if tried again later. */
  retryable?: boolean;
  cause?: unknown;
  /** Structured detail for logs; never secrets. */
  details?: Record<string, unknown>;
}

export class PilotfishError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: PilotfishErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PilotfishError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }
}

/** The coordination store did not answer in time or refused the connection. Always retryable. */
export class CoordinatorUnavailable extends PilotfishError {
  constructor(message: string, cause?: unknown) {
    super('COORDINATOR_UNAVAILABLE', message, { retryable: true, cause });
    this.name = 'CoordinatorUnavailable';
  }
}

export function isPilotfishError(err: unknown, code?: ErrorCode): err is PilotfishError {
  return err instanceof PilotfishError && (code === undefined || err.code === code);
}

/** A short, secret-free description of any thrown value, for log fields and CLI output. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
