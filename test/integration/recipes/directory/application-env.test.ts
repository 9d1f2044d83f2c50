import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startEtcd, type EtcdHandle } from '../../../support/etcd.js';
import { pilotfishBin } from '../../../support/paths.js';
import { freePort } from '../../../support/ports.js';
import { killRecorded, spawnTracked } from '../../../support/processes.js';
import { tempDir } from '../../../support/tmp.js';
import { waitFor } from '../../../support/wait.js';

const work = tempDir('pf-dir-env-');
let etcd: EtcdHandle;
beforeAll(async () => {
  etcd = await startEtcd();
});
afterAll(async () => {
  await etcd?.stop();
  work.remove();
});

describe('directory recipe: the application environment', () => {
  test('DirectoryApplication_environment_hasItsOwnVariablesAndNoneOfTheSupervisorsCredentials', async () => {
    const path = join(work.path, 'data');
    const secrets = join(work.path, 'secrets');
    mkdirSync(secrets, { recursive: true, mode: 0o700 });
    writeFileSync(join(secrets, 'status-token'), 'env-test-token', { mode: 0o600 });
    const file = join(work.path, 'pilotfish.yaml');
    writeFileSync(
      file,
      stringify({
        cluster: 'env',
        member: { name: 'm1' },
        coordinator: { etcd: { endpoints: [etcd.endpoint], ttl: '5s' } },
        secrets: { file: { dir: secrets } },
        objectStore: { fs: { path: join(work.path, 'backups') } },
        status: { listen: `127.0.0.1:${await freePort()}` },
        recipe: { directory: { command: ['/bin/sh', '-c', 'env > "$PILOTFISH_DATA_DIR/../env.txt"; exec sleep 600'], path, env: { APP_MODE: 'server' } } },
      }),
    );
    const proc = spawnTracked(process.execPath, [pilotfishBin, 'supervise', '-c', file], {
      logFile: join(work.path, 'supervise.log'),
      env: { ...process.env, PILOTFISH_HA__LOOP_WAIT: '200ms', AWS_SECRET_ACCESS_KEY: 'aws-secret-3f9a', PILOTFISH_SECRET_STATUS_TOKEN: 'env-secret-77c1' },
    });
    const envFile = join(work.path, 'env.txt');
    try {
      const env = await waitFor('the application started', () => existsSync(envFile) && readFileSync(envFile, 'utf8').includes('PILOTFISH_DATA_DIR') && readFileSync(envFile, 'utf8'), { timeoutMs: 30_000 });
      expect(env).toContain(`PILOTFISH_DATA_DIR=${path}`);
      expect(env).toContain('APP_MODE=server');
      expect(env).toMatch(/^PATH=/m);
      expect(env).not.toContain('aws-secret-3f9a');
      expect(env).not.toContain('env-secret-77c1');
      expect(env).not.toContain('PILOTFISH_HA__');
    } finally {
      await proc.stop(15_000);
      killRecorded(proc.pid);
    }
  });
});
