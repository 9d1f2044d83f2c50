/**
 * When to renew a Vault token, as a pure function of what the token last reported and a clock.
 *
 * - After a successful login or renewal with TTL `t`, the next renewal is due at `t / 2`.
 * - When a renewal fails because Vault cannot be reached, the next attempt is due after half the
 *   time the token has left, never sooner than `floorMs`: with 2 s left it retries after 1 s, then
 *   500 ms, then 250 ms, so it keeps trying more often as expiry nears without hammering Vault.
 * - Once the token's expiry has passed, renewing is pointless: the step is `login`, retried with
 *   exponential backoff from `floorMs` up to `maxLoginBackoffMs` while Vault stays unreachable.
 * - A token with TTL 0 (root and other non-expiring tokens) is never renewed.
 */

/** Milliseconds since some fixed origin; `Date.now` in production, a fake in tests. */
export type Clock = () => number;

/** What the renewal loop does next, and how long it waits first. */
export type RenewalStep =
  | { readonly action: 'renew'; readonly delayMs: number }
  | { readonly action: 'login'; readonly delayMs: number }
  | { readonly action: 'none' };

/** Tuning for {@link TokenRenewalSchedule}. */
export interface TokenRenewalOptions {
  /** Shortest wait between two attempts while Vault is down. */
  floorMs: number;
  /** Longest wait between two login attempts after the token expired. */
  maxLoginBackoffMs?: number;
  clock?: Clock;
}

/** Tracks one token's expiry and answers "what next?" after every attempt. Not thread-safe; one loop owns it. */
export class TokenRenewalSchedule {
  private readonly floorMs: number;
  private readonly maxLoginBackoffMs: number;
  private readonly clock: Clock;
  /** `undefined` for a token that never expires. */
  private expiresAtMs: number | undefined;
  private failedLogins = 0;

  constructor(options: TokenRenewalOptions) {
    this.floorMs = options.floorMs;
    this.maxLoginBackoffMs = options.maxLoginBackoffMs ?? 30_000;
    this.clock = options.clock ?? Date.now;
  }

  /** Milliseconds the token has left (0 once expired); `undefined` for a non-expiring token. */
  remainingMs(): number | undefined {
    return this.expiresAtMs === undefined ? undefined : Math.max(0, this.expiresAtMs - this.clock());
  }

  /** Whether the token's TTL has run out by the clock. A non-expiring token never expires. */
  expired(): boolean {
    return this.expiresAtMs !== undefined && this.clock() >= this.expiresAtMs;
  }

  /** A login or renewal answered with TTL `ttlMs` (0 = never expires): renew at half of it. */
  succeeded(ttlMs: number): RenewalStep {
    this.failedLogins = 0;
    if (ttlMs <= 0) {
      this.expiresAtMs = undefined;
      return { action: 'none' };
    }
    this.expiresAtMs = this.clock() + ttlMs;
    return { action: 'renew', delayMs: Math.max(this.floorMs, ttlMs / 2) };
  }

  /** A renewal could not reach Vault: retry after half the remaining time, or log in once expired. */
  renewalFailed(): RenewalStep {
    const remaining = this.remainingMs();
    if (remaining === undefined) return { action: 'none' };
    if (remaining <= 0) return this.loginDue();
    return { action: 'renew', delayMs: Math.max(this.floorMs, remaining / 2) };
  }

  /** Vault answered that the token is no longer valid (expired or revoked): log in now. */
  tokenRejected(): RenewalStep {
    this.expiresAtMs = this.clock();
    return { action: 'login', delayMs: 0 };
  }

  /** A login attempt failed: back off from the floor, doubling up to the cap. */
  loginFailed(): RenewalStep {
    this.failedLogins++;
    return this.loginDue();
  }

  private loginDue(): RenewalStep {
    const delayMs = Math.min(this.maxLoginBackoffMs, this.floorMs * 2 ** Math.max(0, this.failedLogins - 1));
    return { action: 'login', delayMs: this.failedLogins === 0 ? this.floorMs : delayMs };
  }
}
