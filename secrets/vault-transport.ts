import { PilotfishError } from '../common/errors.js';

/**
 * The one place where errors from `node-vault` enter pilotfish. Vault's own answers (4xx) come
 * back as values for the adapter to interpret; everything that means "Vault could not be asked"
 * (refused or reset connection, timeout, 5xx such as a sealed Vault) becomes one retryable
 * `SECRET_STORE_UNAVAILABLE` error. The foreign error is not attached as `cause`: node-vault's
 * errors carry the request headers, and with them the token.
 */

/** Vault answered with an error status; `errors` is Vault's own list of messages. */
export interface VaultRefusal {
  readonly status: number;
  readonly errors: readonly string[];
}

/** What a Vault call came back with: the body on success, Vault's refusal otherwise. */
export type VaultAnswer<T> = { readonly ok: true; readonly body: T } | ({ readonly ok: false } & VaultRefusal);

interface ErrorShape {
  code?: unknown;
  message?: unknown;
  response?: { statusCode?: unknown; body?: { errors?: unknown } };
}

/** Runs one Vault call; `what` says what it was doing, for the error message (never a value or token). */
export async function vaultCall<T>(address: string, what: string, call: () => Promise<T>): Promise<VaultAnswer<T>> {
  try {
    return { ok: true, body: await call() };
  } catch (err) {
    const shape = (err ?? {}) as ErrorShape;
    const status = shape.response?.statusCode;
    if (typeof status === 'number' && status < 500) {
      const raw = shape.response?.body?.errors;
      const errors = Array.isArray(raw) ? raw.map((e) => String(e)) : [];
      return { ok: false, status, errors };
    }
    const reason =
      typeof status === 'number'
        ? `HTTP ${status}${describeErrors(shape.response?.body?.errors)}`
        : typeof shape.code === 'string'
          ? shape.code
          : typeof shape.message === 'string'
            ? shape.message
            : 'unknown transport error';
    throw new PilotfishError(
      'SECRET_STORE_UNAVAILABLE',
      `Vault at ${address} could not be reached while ${what} (${reason}); check that Vault is running, unsealed and reachable`,
      { retryable: true, details: { address, what, reason } },
    );
  }
}

function describeErrors(errors: unknown): string {
  return Array.isArray(errors) && errors.length > 0 ? `: ${errors.map(String).join('; ')}` : '';
}

/** `permission denied` and friends: the token is missing, expired, revoked or lacks the policy. */
export function isTokenRefused(answer: VaultRefusal): boolean {
  return answer.status === 403;
}
