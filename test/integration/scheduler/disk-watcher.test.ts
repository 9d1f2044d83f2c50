import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { diskUsageBytes } from '../../../scheduler/agent/disk-usage.js';
import { type DiskEvent, DiskWatcher } from '../../../scheduler/agent/disk-watcher.js';
import { repoRoot } from '../../support/paths.js';
import { type TrackedProcess, spawnTracked } from '../../support/processes.js';
import { tempDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function allocDir(): { root: string; data: string; local: string } {
  const dir = tempDir('pf-disk-');
  cleanups.push(dir.remove);
  const data = join(dir.path, 'alloc', 'data');
  const local = join(dir.path, 'web', 'local');
  mkdirSync(data, { recursive: true });
  mkdirSync(local, { recursive: true });
  return { root: dir.path, data, local };
}

function writer(dir: string, chunkKiB: number, everyMs: number): TrackedProcess {
  const proc = spawnTracked(process.execPath, [join(repoRoot, 'test/fixtures/disk-writer.mjs'), dir, String(chunkKiB), String(everyMs)]);
  cleanups.push(() => proc.kill());
  return proc;
}

describe('ephemeral disk enforcement', () => {
  it('DiskUsage_measure_countsHardLinksOnceAndSkipsSymlinkTargets', async () => {
    const { root, data } = allocDir();
    writeFileSync(join(data, 'a'), Buffer.alloc(100_000));
    const before = await diskUsageBytes([root]);
    const { linkSync, symlinkSync } = await import('node:fs');
    linkSync(join(data, 'a'), join(data, 'b'));
    symlinkSync('/usr', join(data, 'usr'));
    const after = await diskUsageBytes([root]);
    expect(before).toBeGreaterThanOrEqual(100_000);
    expect(after - before).toBeLessThan(100);
  });

  it('DiskWatcher_realWriter_warnsOverSizeThenFailsPastTheHardLimit', async () => {
    const { root, data } = allocDir();
    const events: DiskEvent[] = [];
    let failed: DiskEvent | undefined;
    const watcher = new DiskWatcher({
      allocId: 'a1',
      dirs: [root],
      sizeMb: 2,
      hardLimitFactor: 1.5,
      intervalMs: 50,
      onEvent: (event) => {
        events.push(event);
        if (event.type === 'hardLimit') failed = event;
      },
    }).start();
    cleanups.push(() => watcher.stop());
    writer(data, 64, 50);
    await waitFor('the hard limit event', () => failed, { timeoutMs: 20_000 });
    const kinds = events.map((e) => e.type);
    expect(kinds.indexOf('over')).toBeGreaterThan(-1);
    expect(kinds.indexOf('over')).toBeLessThan(kinds.indexOf('hardLimit'));
    expect(kinds.filter((k) => k === 'over')).toHaveLength(1);
    expect(failed?.usedBytes).toBeGreaterThan(3 * 1024 * 1024);
    expect(failed).toMatchObject({ hardLimitBytes: 3 * 1024 * 1024 });
    expect((failed as { message: string }).message).toMatch(/past the hard limit of 3\.0 MiB \(ephemeral_disk\.size = 2 MiB\)/);
    // Stopped after failing: no more measurements.
    const count = events.length;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(events.length).toBe(count);
  });

  it('DiskWatcher_underSize_onlyReportsUsage', async () => {
    const { root, local } = allocDir();
    writeFileSync(join(local, 'small'), Buffer.alloc(10_000));
    const events: DiskEvent[] = [];
    const watcher = new DiskWatcher({ allocId: 'a1', dirs: [root], sizeMb: 1, intervalMs: 20, onEvent: (e) => events.push(e) }).start();
    cleanups.push(() => watcher.stop());
    await waitFor('three measurements', () => events.length >= 3);
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(['usage']));
    expect(watcher.lastUsedBytes).toBeGreaterThanOrEqual(10_000);
  });
});
