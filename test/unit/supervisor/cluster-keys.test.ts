import { describe, expect, test } from 'vitest';
import { decodeKey, encodeKey, INITIALIZED, LATEST_BACKUP, SWITCHOVER } from '../../../supervisor/cluster-keys.js';

describe('cluster keys', () => {
  test('ClusterKeys_roundTrip_encodeThenDecodeGivesTheValueWithoutUnknownFields', () => {
    const latest = { id: '20261204T120000000Z-abcdef', position: '0-1-42', at: '2026-12-04T12:00:00.000Z', member: 'db-2', bytes: 10, durationMs: 5 };
    expect(decodeKey(LATEST_BACKUP, encodeKey(LATEST_BACKUP, latest))).toEqual(latest);
    expect(decodeKey(SWITCHOVER, JSON.stringify({ to: 'db-3', at: 'now', addedLater: true }))).toEqual({ to: 'db-3', at: 'now' });
  });

  test('ClusterKeys_absentKey_readsAsNull', () => {
    expect(decodeKey(INITIALIZED, undefined)).toBeNull();
    expect(decodeKey(LATEST_BACKUP, undefined)).toBeNull();
  });

  test('ClusterKeys_unreadableAdvisoryKey_readsAsAbsent', () => {
    expect(decodeKey(SWITCHOVER, 'not json')).toBeNull();
    expect(decodeKey(LATEST_BACKUP, '{"id":"x"}')).toBeNull();
  });

  test('ClusterKeys_unreadableInitialized_stillReadsAsInitialized', () => {
    // A cluster whose initialized key cannot be read is still initialised: no member may start empty.
    expect(decodeKey(INITIALIZED, 'x')).toMatchObject({ by: expect.stringContaining('unreadable') });
    expect(decodeKey(INITIALIZED, '{}')).not.toBeNull();
  });

  test('ClusterKeys_encodeInvalidValue_throwsInsteadOfWritingIt', () => {
    expect(() => encodeKey(SWITCHOVER, { to: '', at: 'now' })).toThrow();
  });
});
