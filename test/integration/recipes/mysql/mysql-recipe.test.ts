import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../common/logger.js';
import { mysqlRecipeSchema } from '../../../../recipes/mysql/config.js';
import { MysqlRecipe } from '../../../../recipes/mysql/mysql-recipe.js';
import { createBackup } from '../../../../backup/create-backup.js';
import { FsObjectStore } from '../../../../backup/object-store/fs.js';
import { restoreBackup } from '../../../../backup/restore.js';
import type { SecretStore } from '../../../../secrets/secret-store.js';
import { freePort } from '../../../support/ports.js';
import { recordPid } from '../../../support/processes.js';
import { tempDir } from '../../../support/tmp.js';
import { waitFor } from '../../../support/wait.js';

const PASSWORDS: Record<string, string> = {
  'root-password': 'r00t-Secret-1',
  'app-password': 'app-Secret-2',
  'replication-password': 'repl-Secret-3',
  'backup-password': 'bk-Secret-4',
  'monitor-password': 'mon-Secret-5',
};
const secrets: SecretStore = {
  kind: 'memory',
  get: async (name) => PASSWORDS[name] as string,
  onReauthenticated: () => () => undefined,
  close: async () => undefined,
};

const dir = tempDir('pf-rcp-');
const recipes: MysqlRecipe[] = [];
afterAll(async () => {
  for (const r of recipes) await r.stop();
  dir.remove();
});

async function member(name: string, serverId: number) {
  const port = await freePort();
  const config = mysqlRecipeSchema.parse({ dataDir: join(dir.path, name, 'data'), port, serverId, bufferPool: '32M' });
  const recipe = await MysqlRecipe.create({
    config,
    memberName: name,
    secrets,
    logger: silentLogger(),
    stopGraceMs: 60_000,
  });
  recipes.push(recipe);
  return { recipe, config, port };
}

const app = (port: number) =>
  mysql.createConnection({ host: '127.0.0.1', port, user: 'app', password: PASSWORDS['app-password'], database: 'app' });

describe('MysqlRecipe', () => {
  it('MysqlRecipe_initBackupRestoreFollow_replicatesWithGtid', async () => {
    const a = await member('db-a', 1);
    expect(await a.recipe.inspectData()).toBe('empty');
    await a.recipe.initialize();
    await a.recipe.start();
    const pid = Number((await import('node:fs')).readFileSync(a.recipe.paths.pidFile, 'utf8'));
    recordPid(pid);
    expect((await a.recipe.health()).writable).toBe(false);
    // read-only: the application user cannot write yet
    const c1 = await app(a.port);
    await expect(c1.query('CREATE TABLE t (id INT PRIMARY KEY)')).rejects.toThrow(/read-only|READ.ONLY/i);
    await a.recipe.becomePrimary(Date.now() + 60_000);
    expect((await a.recipe.health()).writable).toBe(true);
    await c1.query('CREATE TABLE t (id INT PRIMARY KEY)');
    await c1.query('INSERT INTO t VALUES (1),(2)');

    const store = new FsObjectStore(join(dir.path, 'store'));
    const common = { store, prefix: '', cluster: 'c1', logger: silentLogger() };
    const manifest = await createBackup({ ...common, source: a.recipe.backupSource(), compressionLevel: 1, member: 'db-a' });
    const position = manifest.position?.gtid ?? '';
    expect(position).toMatch(/^0-1-\d+$/);
    expect(manifest.storedBytes).toBeGreaterThan(1000);
    // writes after the backup must arrive through replication, without duplicate keys (autopilot #71)
    await c1.query('INSERT INTO t VALUES (3)');

    const b = await member('db-b', 2);
    const restored = await b.recipe.restore(async (targetDir, signal) => {
      const result = await restoreBackup({ ...common, id: manifest.id, targetDir, signal, prepare: b.recipe.prepareRestored });
      return { position: result.position?.gtid ?? '' };
    });
    expect(restored.position).toBe(position);
    await b.recipe.start();
    recordPid(Number((await import('node:fs')).readFileSync(b.recipe.paths.pidFile, 'utf8')));
    await b.recipe.followPrimary(`127.0.0.1:${a.port}`);
    const c2 = await app(b.port);
    await waitFor('row 3 on the replica', async () => {
      const [rows] = await c2.query('SELECT COUNT(*) AS n FROM t');
      return (rows as { n: number }[])[0]?.n === 3;
    }, { timeoutMs: 20_000 });
    const h = await b.recipe.health();
    expect(h).toMatchObject({ alive: true, writable: false, replicating: true, source: `127.0.0.1:${a.port}`, replicationError: null });
    expect(b.recipe.comparePositions(h.position, (await a.recipe.health()).position)).toBe(0);

    await a.recipe.fence();
    expect((await a.recipe.health()).writable).toBe(false);
    await c1.end().catch(() => undefined);
    await c2.end();
  });
});
