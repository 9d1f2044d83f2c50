import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { parseJobFile, parseJobspec } from '../../../scheduler/jobspec/index.js';
import { setJobMeta } from '../../../supervisor/local/job-meta.js';
import { repoRoot } from '../../support/paths.js';
import { tempDir } from '../../support/tmp.js';

/** compose/scheduler/mysql.hcl: the MySQL recipe as a job of pilotfish's own scheduler. */
const file = join(repoRoot, 'compose', 'scheduler', 'mysql.hcl');
const tmp = tempDir('pf-mysql-job-');
afterAll(() => tmp.remove());

describe('compose/scheduler/mysql.hcl', () => {
  it('MysqlJob_parse_threeMembersOnePerRackStickyMigratedDisk', async () => {
    const job = await parseJobFile(file);
    expect(job).toMatchObject({ id: 'mysql', type: 'service', datacenters: ['dc1'] });
    expect(job.groups).toHaveLength(1);
    const group = job.groups[0]!;
    expect(group.count).toBe(3);
    expect(group.constraints).toContainEqual({ attribute: '${meta.rack}', operator: 'distinct_property', value: '1' });
    expect(group.ephemeralDisk).toMatchObject({ sticky: true, migrate: true });
    expect(group.ephemeralDisk.sizeMb).toBeGreaterThanOrEqual(1024);
    const task = group.tasks[0]!;
    expect(task.driver).toBe('exec');
    expect(task.killTimeoutMs).toBeGreaterThanOrEqual(60_000);
    expect(Object.keys(job.meta).sort()).toEqual(['config', 'host', 'mysql_port_base', 'pilotfish', 'status_port_base']);
  });

  it('MysqlJob_setJobMeta_valuesReplacedAndStillParses', async () => {
    const text = setJobMeta(readFileSync(file, 'utf8'), { pilotfish: 'node /opt/pf/bin/pilotfish.js', config: '/srv/x/pilotfish.yaml', mysql_port_base: '41000', host: '10.0.0.7' });
    const job = await parseJobspec(text, 'hcl', 'mysql.hcl');
    expect(job.meta).toMatchObject({ pilotfish: 'node /opt/pf/bin/pilotfish.js', config: '/srv/x/pilotfish.yaml', mysql_port_base: '41000', status_port_base: '8008', host: '10.0.0.7' });
    expect(() => setJobMeta(text, { nope: 'x' })).toThrow(/meta\.nope is missing/);
  });

  it('MysqlJob_taskScript_derivesMemberPortsAndDataDirFromAllocation', async () => {
    const job = await parseJobspec(readFileSync(file, 'utf8'), 'hcl', 'mysql.hcl');
    const task = job.groups[0]!.tasks[0]!;
    const config = task.config as { command: string; args: string[] };
    // Stands in for the CLI: prints the environment and arguments the supervisor would get.
    const fake = join(tmp.path, 'fake-pilotfish');
    writeFileSync(fake, '#!/bin/sh\necho "ARGS=$*"\nenv\n');
    chmodSync(fake, 0o755);
    const env = (index: number) => ({
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      PILOTFISH_ALLOC_INDEX: String(index),
      PILOTFISH_DATA_DIR: `/allocs/a${index}/alloc/data`,
      PILOTFISH_META_PILOTFISH: fake,
      PILOTFISH_META_CONFIG: '/srv/pilotfish.yaml',
      PILOTFISH_META_MYSQL_PORT_BASE: '41000',
      PILOTFISH_META_STATUS_PORT_BASE: '42000',
      PILOTFISH_META_HOST: '127.0.0.1',
    });
    const seen = await Promise.all([0, 1, 2].map(async (i) => (await execa(config.command, config.args, { env: env(i), extendEnv: false })).stdout));
    expect(seen[1]).toContain('ARGS=supervise -c /srv/pilotfish.yaml');
    expect(seen[1]).toContain('PILOTFISH_MEMBER__NAME=db-2');
    expect(seen[1]).toContain('PILOTFISH_RECIPE__MYSQL__PORT=41001');
    expect(seen[1]).toContain('PILOTFISH_RECIPE__MYSQL__SERVER_ID=2');
    expect(seen[1]).toContain('PILOTFISH_RECIPE__MYSQL__DATA_DIR=/allocs/a1/alloc/data/mysql');
    expect(seen[1]).toContain('PILOTFISH_STATUS__LISTEN=127.0.0.1:42001');
    const ports = seen.flatMap((out) => [...out.matchAll(/(?:PORT=|LISTEN=127\.0\.0\.1:)(\d+)/g)].map((m) => m[1]));
    expect(new Set(ports).size).toBe(6);
  });
});
