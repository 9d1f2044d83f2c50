/** Backoff and retry helpers shared by every component that talks to something that can be down. */

export interface BackoffOptions {
  /** First delay. */
  initialMs: number;
  /** Upper bound for any single delay. */
  maxMs: number;
  /** Growth per attempt; 2 doubles. */
  factor?: number;
  /** Fraction of each delay that is randomised (0 to 1), so that members do not retry in lockstep. */
  jitter?: number;
  /** Source of randomness in [0, 1); injectable for tests. */
  random?: () => number;
}

/** Delay before retry number `attempt` (0-based): exponential, capped, with optional jitter. */
export function backoffDelayMs(attempt: number, options: BackoffOptions): number {
  const factor = options.factor ?? 2;
  const base = Math.min(options.maxMs, options.initialMs * factor ** Math.max(0, attempt));
  const jitter = options.jitter ?? 0;
  if (jitter <= 0) return base;
  const random = options.random ?? Math.random;
  return Math.round(base * (1 - jitter + jitter * random()));
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface RetryOptions extends BackoffOptions {
  /** Total attempts including the first; `Infinity` retries until aborted. */
  attempts: number;
  signal?: AbortSignal;
  /** Decides whether an error is worth another attempt; defaults to `err.retryable === true`. */
  shouldRetry?: (err: unknown) => boolean;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

/** Calls `fn` until it succeeds, a non-retryable error is thrown, attempts run out or the signal aborts. */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const shouldRetry =
    options.shouldRetry ?? ((err: unknown) => (err as { retryable?: boolean } | null)?.retryable === true);
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt + 1 >= options.attempts || !shouldRetry(err) || options.signal?.aborted) throw err;
      const waitMs = backoffDelayMs(attempt, options);
      options.onRetry?.(err, attempt, waitMs);
      await delay(waitMs, options.signal);
    }
  }
}
