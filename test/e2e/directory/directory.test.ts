import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { restoreBackup } from '../../../backup/restore.js';
import { silentLogger } from '../../../common/logger.js';
import { pilotfishBin } from '../../support/paths.js';
import { waitFor } from '../../support/wait.js';
import { DirectoryCluster, TTL_MS } from './cluster.js';

/** Every file of `before` is a prefix of the same file in `after`: nothing `before` held was lost. */
function lostLines(before: Map<string, string[]>, after: Map<string, string[]>): number {
  let lost = 0;
  for (const [file, lines] of before) {
    const now = after.get(file) ?? [];
    lines.forEach((line, i) => {
      if (now[i] !== line) lost++;
    });
  }
  return lost;
}

let cluster: DirectoryCluster;
beforeAll(async () => {
  cluster = await DirectoryCluster.create(2);
});
afterAll(async () => {
  await cluster?.destroy();
});

describe('directory recipe', () => {
  test('DirectoryFailover_primaryAndAppSigkilled_standbyRestoresAndRunsTheAppWithEveryBackedUpLine', async () => {
    for (const name of cluster.names) cluster.start(name);
    const primary = await cluster.waitForPrimary(30_000);
    const standby = cluster.names.find((n) => n !== primary)!;
    // A few change-driven backups land, and the standby follows them.
    const first = await waitFor('a backup with data', async () => {
      const latest = await cluster.latest();
      return latest && latest.rawBytes > 20_000 ? latest : null;
    }, { timeoutMs: 30_000, intervalMs: 100 });
    await waitFor('the standby holds the latest backup', async () => ((await cluster.status(standby))?.recipe.position ?? '') >= first.id, { timeoutMs: 15_000 });
    expect((await cluster.status(standby))?.recipe.role).toBe('standby');

    const lastBackup = (await cluster.latest())!;
    const killedAt = Date.now();
    await cluster.killMember(primary);
    const next = await cluster.waitForPrimary(TTL_MS + 10_000, [standby]);
    const takeoverMs = Date.now() - killedAt;
    console.log(`directory failover: application running on ${next} ${takeoverMs} ms after the kill`);
    expect(next).toBe(standby);
    expect(takeoverMs).toBeLessThan(TTL_MS + 3_000);

    // Everything the last completed backup before the kill held is on the new primary.
    const check = mkdtempSync(join(cluster.dir, 'check-'));
    await restoreBackup({ store: cluster.store, prefix: '', cluster: 'dirs', id: lastBackup.id, targetDir: join(check, 'data'), logger: silentLogger() });
    const backedUp = DirectoryCluster.lines(join(check, 'data'));
    expect([...backedUp.values()].flat().length).toBeGreaterThan(10);
    await waitFor('the new primary appends again', () => {
      const now = DirectoryCluster.lines(cluster.member(standby).data);
      return [...now.values()].flat().length > [...backedUp.values()].flat().length;
    }, { timeoutMs: 10_000 });
    expect(lostLines(backedUp, DirectoryCluster.lines(cluster.member(standby).data))).toBe(0);
    expect(readdirSync(join(cluster.member(standby).data, 'logs')).length).toBeGreaterThan(0);

    // The old primary comes back as a standby: its copy (which the application had changed) is
    // moved aside, never overwritten, and it follows the new primary's backups.
    cluster.start(primary);
    await waitFor(`${primary} back as a standby`, async () => (await cluster.status(primary))?.recipe.role === 'standby', { timeoutMs: 30_000 });
    const latest = await waitFor(`a backup by ${next}`, async () => {
      const newest = await cluster.latest();
      return newest && newest.member === next ? newest : null;
    }, { timeoutMs: 30_000 });
    await waitFor(`${primary} following the new primary's backups`, async () => ((await cluster.status(primary))?.recipe.position ?? '') >= latest.id, { timeoutMs: 30_000 });
    const siblings = readdirSync(join(cluster.member(primary).data, '..'));
    expect(siblings.filter((name) => name.startsWith('data.diverged-'))).toHaveLength(1);
  });

  test('DirectoryHooks_postBackupCliCreateAndStatus_backupOnThePrimaryRolesAndPendingChanges', async () => {
    const primary = await cluster.waitForPrimary(30_000);
    const standby = cluster.names.find((n) => n !== primary)!;
    const url = `http://127.0.0.1:${cluster.member(standby).statusPort}/backup`;
    expect((await fetch(url, { method: 'POST' })).status).toBe(401);
    const before = (await cluster.latest())!;
    // Asked on any member, taken by the primary (the only one with the live data).
    expect((await fetch(url, { method: 'POST', headers: { authorization: 'Bearer dir-test-token' } })).status).toBe(202);
    const requested = await waitFor('a backup after POST /backup', async () => {
      const latest = await cluster.latest();
      return latest && latest.id > before.id ? latest : null;
    }, { timeoutMs: 15_000 });
    expect(requested.member).toBe(primary);
    expect(requested.format).toBe('chunks');

    const created = await execa(process.execPath, [pilotfishBin, 'backup', 'create', '-c', cluster.member(standby).config, '--json'], { reject: false });
    expect(created.exitCode).toBe(0);
    const manifest = JSON.parse(created.stdout) as { id: string; member: string };
    expect(manifest.member).toBe(primary);
    expect(manifest.id > requested.id).toBe(true);

    const status = await execa(process.execPath, [pilotfishBin, 'status', '-c', cluster.member(standby).config, '--json'], { reject: false });
    expect(status.exitCode).toBe(0);
    const parsed = JSON.parse(status.stdout) as { members: { name: string; role: string; pendingChanges?: number }[]; lastBackup: { id: string } | null };
    expect(Object.fromEntries(parsed.members.map((m) => [m.name, m.role]))).toEqual({ [primary]: 'primary', [standby]: 'standby' });
    expect(parsed.members.find((m) => m.name === primary)?.pendingChanges).toBeTypeOf('number');
    expect(parsed.lastBackup).not.toBeNull();
  });

  test('DirectoryCleanStop_primarySigterm_finalBackupHoldsEveryLineTheAppWrote', async () => {
    const primary = await cluster.waitForPrimary(30_000);
    const standby = cluster.names.find((n) => n !== primary)!;
    await cluster.supervisors.get(primary)!.stop(30_000);
    // The stopped primary's application is gone and its last lines are in the final backup.
    const written = DirectoryCluster.lines(cluster.member(primary).data);
    expect(cluster.logs(primary)).toContain('final backup taken before the lease is released');
    const next = await cluster.waitForPrimary(TTL_MS + 10_000, [standby]);
    expect(next).toBe(standby);
    expect(lostLines(written, DirectoryCluster.lines(cluster.member(standby).data))).toBe(0);
    cluster.start(primary);
    await waitFor(`${primary} back as a standby`, async () => (await cluster.status(primary))?.recipe.role === 'standby', { timeoutMs: 30_000 });
  });

  test('DirectoryWholeClusterLost_freshMembersRestoreTheLastBackupAndNeverStartEmpty', async () => {
    await cluster.waitForPrimary(30_000);
    for (const name of cluster.names) await cluster.killMember(name);
    const last = (await cluster.latest())!;
    for (const name of cluster.names) {
      const { data } = cluster.member(name);
      rmSync(data, { recursive: true, force: true });
      rmSync(`${data}.pilotfish.json`, { force: true });
    }
    const check = mkdtempSync(join(cluster.dir, 'whole-'));
    await restoreBackup({ store: cluster.store, prefix: '', cluster: 'dirs', id: last.id, targetDir: join(check, 'data'), logger: silentLogger() });
    const backedUp = DirectoryCluster.lines(join(check, 'data'));
    const logOffsets = new Map(cluster.names.map((n) => [n, cluster.logs(n).length]));
    for (const name of cluster.names) cluster.start(name);
    const primary = await cluster.waitForPrimary(30_000);
    const now = DirectoryCluster.lines(cluster.member(primary).data);
    expect(lostLines(backedUp, now)).toBe(0);
    // The application carried the numbering on from the backup: it started on that data, not empty.
    const backedUpMax = Math.max(...[...backedUp.values()].flat().map((l) => Number(l.split(' ')[0])));
    const firstNew = Math.min(...[...now.values()].flat().map((l) => Number(l.split(' ')[0])).filter((n) => n > backedUpMax));
    expect(firstNew).toBe(backedUpMax + 1);
    const since = (name: string) => cluster.logs(name).slice(logOffsets.get(name));
    for (const name of cluster.names) {
      // The standby may still be starting when the primary already runs.
      await waitFor(`${name} restored the latest backup`, () => since(name).includes('no local data; restoring the latest backup'), { timeoutMs: 30_000 });
      expect(since(name)).not.toContain('started the cluster with an empty directory');
    }
  });
});
