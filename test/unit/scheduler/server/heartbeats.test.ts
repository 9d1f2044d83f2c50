import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Heartbeats } from '../../../../scheduler/server/heartbeats.js';

const TTL = 3_000;
const GRACE = 1_000;
const FAILOVER = 60_000;

describe('Heartbeats', () => {
  let expired: string[];
  let heartbeats: Heartbeats;

  beforeEach(() => {
    vi.useFakeTimers();
    expired = [];
    heartbeats = new Heartbeats(TTL, GRACE, FAILOVER, (id) => expired.push(id));
  });
  afterEach(() => {
    heartbeats.close();
    vi.useRealTimers();
  });

  it('Heartbeats_silentForTtlPlusGrace_nodeExpiresOnce', () => {
    heartbeats.reset('n1');
    vi.advanceTimersByTime(TTL + GRACE - 1);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(expired).toEqual(['n1']);
    vi.advanceTimersByTime(10 * TTL);
    expect(expired).toEqual(['n1']);
    expect(heartbeats.watched).toBe(0);
  });

  it('Heartbeats_heartbeatWithinTtl_pushesTheDeadlineBack', () => {
    heartbeats.reset('n1');
    vi.advanceTimersByTime(TTL);
    heartbeats.reset('n1');
    vi.advanceTimersByTime(TTL + GRACE - 1);
    expect(expired).toEqual([]);
  });

  it('Heartbeats_nodeRestoredAfterServerRestart_getsTheFailoverTtlNotTheNormalOne', () => {
    heartbeats.restored('n1');
    vi.advanceTimersByTime(TTL + GRACE + 1);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(FAILOVER - TTL - 2);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(expired).toEqual(['n1']);
  });

  it('Heartbeats_restoredNodeHeartbeats_returnsToTheNormalTtl', () => {
    heartbeats.restored('n1');
    vi.advanceTimersByTime(10_000);
    heartbeats.reset('n1');
    vi.advanceTimersByTime(TTL + GRACE);
    expect(expired).toEqual(['n1']);
  });

  it('Heartbeats_removedNode_neverExpires', () => {
    heartbeats.restored('n1');
    heartbeats.remove('n1');
    vi.advanceTimersByTime(FAILOVER + GRACE);
    expect(expired).toEqual([]);
  });
});
