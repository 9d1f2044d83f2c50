import type { Logger } from '../common/logger.js';

/**
 * What a store calls the thing one coordinator instance holds its keys under: an etcd lease or a
 * Consul session. `C` is the adapter's per-call context (deadline, abort signal).
 */
export interface SessionBackend<C> {
  /** `etcd lease` or `consul session`, for log lines. */
  readonly noun: string;
  /** Creates a new lease/session and returns its id. */
  create(call: C): Promise<string>;
  /** Renews `id` once: `true` while it lives, `false` when the store says it is gone. Throws on transport failure. */
  renew(id: string, call: C): Promise<boolean>;
  /** Whether an error from a call bound to the id means the store no longer knows it. */
  isGone(err: unknown): boolean;
  /** Gives `id` up (revoke / destroy) so the keys bound to it go at once. */
  destroy(id: string, call: C): Promise<void>;
}

/**
 * The lease/session life cycle both adapters share, one id at a time:
 *
 * ```
 * none ──first use / keepAlive──▶ held(id) ──renew ok──▶ held(id)
 *                                   │ renew says gone, or a bound call says gone
 *                                   ▼
 *                                 lost ──next keepAlive: reports false once, creates a new id──▶ held(id')
 * ```
 *
 * `lost` is what makes a lapse visible: every key bound to the old id is gone (the leader key
 * included), so the next {@link keepAlive} answers `false` even when a bound call already created a
 * replacement, and the supervisor re-publishes its member entry and re-checks its lease.
 */
export class StoreSession<C> {
  private id: string | null = null;
  private lost = false;

  constructor(
    private readonly backend: SessionBackend<C>,
    private readonly logger: Logger,
  ) {}

  /** The id currently held, if any (no call to the store). */
  get current(): string | null {
    return this.id;
  }

  private async create(call: C): Promise<string> {
    this.id = await this.backend.create(call);
    return this.id;
  }

  /** Runs a call bound to the id (creating one first if none is held); when the store says the id is gone, takes a new one and tries once more. */
  async bound<T>(call: C, fn: (id: string) => Promise<T>): Promise<T> {
    const id = this.id ?? (await this.create(call));
    try {
      return await fn(id);
    } catch (err) {
      if (!this.backend.isGone(err)) throw err;
      this.lost = true;
      return fn(await this.create(call));
    }
  }

  /** Renews the held id once; `false` when none is held or the store says it is gone (the id is then dropped). */
  async renew(call: C): Promise<boolean> {
    const id = this.id;
    if (id === null) return false;
    if (await this.backend.renew(id, call)) return true;
    this.logger.warn({ id }, `${this.backend.noun} had expired`);
    this.markGone();
    return false;
  }

  /** Records that the store no longer knows the held id (found out by a call outside {@link bound}). */
  markGone(): void {
    this.id = null;
    this.lost = true;
  }

  /**
   * Keeps the id alive: `true` while it lived through, `false` once after it lapsed (a new id is
   * then held). The first call creates the id.
   */
  async keepAlive(call: C): Promise<boolean> {
    if (this.id === null && !this.lost) {
      await this.create(call);
      return true;
    }
    const alive = (await this.renew(call)) && !this.lost;
    if (this.id === null) await this.create(call);
    this.lost = false;
    return alive;
  }

  /** Gives the id up; the keys bound to it go at once instead of at expiry. Never throws. */
  async close(run: (fn: (call: C) => Promise<void>) => Promise<void>): Promise<void> {
    const id = this.id;
    this.id = null;
    if (id === null) return;
    await run((call) => this.backend.destroy(id, call)).catch((err: unknown) =>
      this.logger.warn({ err }, `${this.backend.noun} not given up; its keys vanish at TTL expiry`),
    );
  }
}
