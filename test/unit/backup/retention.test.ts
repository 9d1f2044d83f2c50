import { Readable } from 'node:stream';
import { afterAll, describe, expect, test } from 'vitest';
import { Catalog } from '../../../backup/catalog.js';
import { backupKey } from '../../../backup/layout.js';
import type { Manifest } from '../../../backup/manifest.js';
import { FsObjectStore } from '../../../backup/object-store/fs.js';
import { applyRetention, planRetention } from '../../../backup/retention.js';
import { silentLogger } from '../../../common/logger.js';
import { tempDir } from '../../support/tmp.js';

const DAY = 86_400_000;
const now = new Date('2026-11-23T12:00:00Z');

function manifest(daysAgo: number, n = 0): Manifest {
  const at = new Date(now.getTime() - daysAgo * DAY);
  const id = `${at.toISOString().replace(/[-:.]/g, '').replace(/(\d{6})(\d{3})Z$/, '$1$2Z')}-00000${n}`;
  return {
    version: 1, id, cluster: 'c', recipe: 'mysql', source: 'mysql-physical', format: 'xbstream', flavor: 'mariadb',
    serverVersion: '10.11', member: 'm', startedAt: at.toISOString(), finishedAt: at.toISOString(), dataObject: 'data.xbstream.zst',
    rawBytes: 1, storedBytes: 1, sha256: '0'.repeat(64), compression: { algorithm: 'zstd', level: 3 }, encryption: null, position: null,
  };
}

describe('planRetention', () => {
  const policy = { keepLast: 2, keepWithinMs: 3 * DAY, orphanGraceMs: DAY };

  test('Retention_keepLastOrWithin_removesTheRest', () => {
    const backups = [10, 8, 5, 2, 1].map((d, i) => manifest(d, i));
    const plan = planRetention({ backups, orphans: [], policy, now });
    expect(plan.keep).toEqual([backups[4]!.id, backups[3]!.id]);
    expect(plan.remove.sort()).toEqual([backups[0]!.id, backups[1]!.id, backups[2]!.id].sort());
    const wide = planRetention({ backups, orphans: [], policy: { ...policy, keepLast: 1, keepWithinMs: 6 * DAY }, now });
    expect(wide.keep).toEqual([backups[4]!.id, backups[3]!.id, backups[2]!.id]);
  });

  test('Retention_allBackupsOld_neverDeletesNewestValid', () => {
    const backups = [40, 30, 20].map((d, i) => manifest(d, i));
    const plan = planRetention({ backups, orphans: [], policy: { keepLast: 0, keepWithinMs: 0, orphanGraceMs: 0 }, now });
    expect(plan.keep).toEqual([backups[2]!.id]);
    expect(plan.remove).toHaveLength(2);
  });

  test('Retention_orphans_removedOnlyAfterGrace', () => {
    const orphans = [
      { id: 'old', keys: ['x'], lastModified: new Date(now.getTime() - 2 * DAY) },
      { id: 'running', keys: ['y'], lastModified: new Date(now.getTime() - 60_000) },
    ];
    expect(planRetention({ backups: [], orphans, policy, now }).removeOrphans).toEqual(['old']);
  });
});

describe('applyRetention', () => {
  const dir = tempDir('pf-ret-');
  afterAll(() => dir.remove());

  test('Retention_apply_deletesPlannedBackupsAndKeepsNewestWithInjectedClock', async () => {
    const store = new FsObjectStore(dir.path);
    const backups = [9, 6, 4].map((d, i) => manifest(d, i));
    for (const m of backups) {
      await store.put(backupKey('', 'c', m.id, m.dataObject), Readable.from([Buffer.from('data')]));
      await store.put(backupKey('', 'c', m.id, 'manifest.json'), Readable.from([Buffer.from(JSON.stringify(m))]));
    }
    const orphanId = '20200101T000000000Z-0000ff';
    await store.put(backupKey('', 'c', orphanId, 'data.xbstream.zst'), Readable.from([Buffer.from('partial')]));
    const catalog = new Catalog(store, '', 'c');
    // The orphan's file is fresh on disk, so the injected clock must be a day later to pass its grace.
    const plan = await applyRetention({ store, catalog, policy: { keepLast: 1, keepWithinMs: DAY, orphanGraceMs: DAY }, now: () => new Date(Date.now() + 2 * DAY), logger: silentLogger() });
    expect(plan.keep).toEqual([backups[2]!.id]);
    expect(plan.removeOrphans).toEqual([orphanId]);
    expect((await catalog.list()).map((m) => m.id)).toEqual([backups[2]!.id]);
    expect((await store.list('c/backups/')).map((o) => o.key)).toEqual([
      backupKey('', 'c', backups[2]!.id, 'data.xbstream.zst'),
      backupKey('', 'c', backups[2]!.id, 'manifest.json'),
    ]);
  });
});
