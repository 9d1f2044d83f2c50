import { describe, expect, it } from 'vitest';
import { PilotfishError } from '../../../common/errors.js';
import { backoffDelayMs, retry } from '../../../common/retry.js';

describe('backoff', () => {
  it('backoffDelayMs_grows_and_caps', () => {
    const delays = [0, 1, 2, 3, 10].map((a) => backoffDelayMs(a, { initialMs: 100, maxMs: 1000 }));
    expect(delays).toEqual([100, 200, 400, 800, 1000]);
  });

  it('backoffDelayMs_jitter_stays_within_fraction', () => {
    const low = backoffDelayMs(2, { initialMs: 100, maxMs: 1000, jitter: 0.5, random: () => 0 });
    const high = backoffDelayMs(2, { initialMs: 100, maxMs: 1000, jitter: 0.5, random: () => 0.999 });
    expect(low).toBe(200);
    expect(high).toBeLessThanOrEqual(400);
  });

  it('retry_retries_retryable_errors_until_success', async () => {
    let calls = 0;
    const result = await retry(
      async () => {
        calls++;
        if (calls < 3) throw new PilotfishError('COORDINATOR_UNAVAILABLE', 'down', { retryable: true });
        return 'ok';
      },
      { attempts: 5, initialMs: 1, maxMs: 2 },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
  });

  it('retry_stops_on_non_retryable_error', async () => {
    let calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw new PilotfishError('CONFIG_INVALID', 'bad');
        },
        { attempts: 5, initialMs: 1, maxMs: 2 },
      ),
    ).rejects.toThrow('bad');
    expect(calls).toBe(1);
  });
});
