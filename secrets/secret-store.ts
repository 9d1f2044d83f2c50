/**
 * The SecretStore port: named secrets (database passwords, the backup encryption key).
 *
 * `get` throws PilotfishError `SECRET_NOT_FOUND` naming the secret and where it was looked for when
 * it does not exist, and `SECRET_STORE_UNAVAILABLE` (retryable) when the store cannot be reached.
 * Values never appear in logs or error messages.
 */
export interface SecretStore {
  readonly kind: 'env' | 'file' | 'vault' | 'memory';

  /** The secret's value. Takes at most the adapter's timeout. */
  get(name: string): Promise<string>;

  /**
   * Registers a listener called after the store re-authenticated with a new token (Vault, after the
   * old one expired): secrets may have changed and long-lived children should reload or restart.
   * Returns a function that removes the listener.
   */
  onReauthenticated(listener: () => void): () => void;

  /** Stops background renewal. Idempotent. */
  close(): Promise<void>;
}
