import vault from 'node-vault';
import { describeError, PilotfishError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { VaultConfig } from './config.js';
import { assertSecretName } from './secret-name.js';
import type { SecretStore } from './secret-store.js';
import { type Clock, type RenewalStep, TokenRenewalSchedule } from './token-renewal.js';
import { type VaultAnswer, vaultCall } from './vault-transport.js';
import { vaultLogin } from './vault-login.js';

/** Options for the Vault store besides its configuration section. */
export interface VaultStoreOptions {
  logger: Logger;
  /** Injectable for tests of the schedule; the adapter's timers still run in real time. */
  clock?: Clock;
}

interface KvReadBody {
  data?: { data?: Record<string, unknown> };
}

/**
 * Vault KV v2 as a SecretStore: secret `name` is field `value` of `<mount>/data/<path>/<name>`.
 * Logs in with a token (inline or `tokenFile`) or AppRole at start-up, renews the token at half its
 * TTL, keeps halving the wait while Vault is down, and once the token has expired logs in again
 * and calls the `onReauthenticated` listeners. Tokens and values never reach logs or errors.
 */
class VaultSecretStore implements SecretStore {
  readonly kind = 'vault' as const;
  private readonly client: vault.client;
  private readonly schedule: TokenRenewalSchedule;
  private readonly listeners = new Set<() => void>();
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private relogin: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly config: VaultConfig,
    options: VaultStoreOptions,
  ) {
    this.log = options.logger.child({ component: 'secrets', store: 'vault', address: config.address });
    // A no-op debug sink: node-vault's own debug output would print request bodies (secret ids).
    this.client = vault({
      endpoint: config.address,
      namespace: config.namespace,
      requestOptions: { timeout: config.timeout },
      debug: () => undefined,
    });
    this.schedule = new TokenRenewalSchedule({ floorMs: config.retryFloor, clock: options.clock });
  }

  /** First login; throws when Vault refuses or cannot be reached, so start-up fails loudly. */
  async start(): Promise<void> {
    const ttlMs = await vaultLogin(this.client, this.config);
    this.plan(this.schedule.succeeded(ttlMs));
    this.log.info({ ttlMs, method: this.config.approle ? 'approle' : 'token' }, 'logged in to Vault');
  }

  async get(name: string): Promise<string> {
    assertSecretName(name);
    const path = [this.config.mount, 'data', this.config.path, name].filter((p) => p !== '').join('/');
    let answer = await this.read(path);
    if (!answer.ok && answer.status === 403 && !(await this.tokenAlive())) {
      // The token died between renewals (a long outage, a revocation): log in once and try again.
      await this.reauthenticate();
      answer = await this.read(path);
    }
    const where = `Vault ${this.config.address}/v1/${path} (KV v2, field "value")`;
    if (answer.ok) {
      const value = answer.body?.data?.data?.value;
      if (typeof value === 'string') return value;
      throw new PilotfishError('SECRET_NOT_FOUND', `secret "${name}" exists at ${where} but has no string field "value"`);
    }
    if (answer.status === 404 && answer.errors.length > 0) {
      // Vault answers a missing secret with an empty error list; a message means no such mount.
      throw new PilotfishError(
        'SECRET_NOT_FOUND',
        `secret "${name}" not found: Vault has no KV v2 engine at mount "${this.config.mount}" (${answer.errors.join('; ')}); check secrets.vault.mount`,
        { details: { name, path } },
      );
    }
    if (answer.status === 404) {
      throw new PilotfishError(
        'SECRET_NOT_FOUND',
        `secret "${name}" not found at ${where}; write it with: vault kv put -mount=${this.config.mount} ${[this.config.path, name].filter((p) => p !== '').join('/')} value=…`,
        { details: { name, path } },
      );
    }
    throw new PilotfishError(
      'SECRET_STORE_UNAVAILABLE',
      `Vault refused reading secret "${name}" at ${where} (HTTP ${answer.status}: ${answer.errors.join('; ') || 'no detail'}); the token's policy must allow read on that path`,
      { details: { name, path, status: answer.status } },
    );
  }

  onReauthenticated(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private read(path: string): Promise<VaultAnswer<KvReadBody>> {
    return vaultCall(this.config.address, `reading ${path}`, () => this.client.read(path) as Promise<KvReadBody>);
  }

  private async tokenAlive(): Promise<boolean> {
    const answer = await vaultCall(this.config.address, 'looking up its token', () => this.client.tokenLookupSelf());
    return answer.ok;
  }

  /** Waits `step.delayMs`, then renews or logs in; one timer at a time. */
  private plan(step: RenewalStep): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.closed || step.action === 'none') return;
    this.timer = setTimeout(() => void this.run(step.action), step.delayMs);
    this.timer.unref();
  }

  private async run(action: 'renew' | 'login'): Promise<void> {
    if (this.closed) return;
    if (action === 'login') {
      await this.reauthenticate().catch(() => undefined);
      return;
    }
    let next: RenewalStep;
    try {
      const answer = await vaultCall(this.config.address, 'renewing its token', () => this.client.tokenRenewSelf());
      if (answer.ok) {
        const ttlMs = Number((answer.body as { auth?: { lease_duration?: unknown } })?.auth?.lease_duration ?? 0) * 1000;
        // A renewal that grants no more time means the token reached its max TTL: log in afresh.
        next = ttlMs > 0 ? this.schedule.succeeded(ttlMs) : this.schedule.tokenRejected();
        this.log.debug({ ttlMs, next }, 'renewed the Vault token');
      } else if (answer.status === 403) {
        next = this.schedule.tokenRejected();
        this.log.warn({ status: answer.status }, 'Vault no longer accepts the token; logging in again');
      } else {
        next = this.schedule.renewalFailed();
        this.log.warn({ status: answer.status, errors: answer.errors, next }, 'Vault refused to renew the token');
      }
    } catch (err) {
      next = this.schedule.renewalFailed();
      const remainingMs = this.schedule.remainingMs();
      this.log.warn({ err: describeError(err), remainingMs, next }, 'could not renew the Vault token; retrying');
    }
    this.plan(next);
  }

  /** Logs in again (once, however many callers ask at the same time) and tells the listeners. */
  private reauthenticate(): Promise<void> {
    this.relogin ??= (async () => {
      try {
        const ttlMs = await vaultLogin(this.client, this.config);
        if (this.closed) return;
        this.plan(this.schedule.succeeded(ttlMs));
        this.log.info({ ttlMs }, 'logged in to Vault again after the token expired');
        for (const listener of [...this.listeners]) {
          try {
            listener();
          } catch (err) {
            this.log.error({ err: describeError(err) }, 're-authentication listener failed');
          }
        }
      } catch (err) {
        const next = this.schedule.loginFailed();
        this.log.warn({ err: describeError(err), next }, 'could not log in to Vault; retrying');
        this.plan(next);
        throw err;
      } finally {
        this.relogin = undefined;
      }
    })();
    return this.relogin;
  }
}

/** Creates the Vault store and logs in; throws SECRET_STORE_UNAVAILABLE when that fails. */
export async function createVaultSecretStore(config: VaultConfig, options: VaultStoreOptions): Promise<SecretStore> {
  const store = new VaultSecretStore(config, options);
  await store.start();
  return store;
}
