import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseHostVolumes } from '../../../../../scheduler/agent/volumes/host-volume-config.js';
import { planMounts, volumeEnvName } from '../../../../../scheduler/agent/volumes/mount-plan.js';
import { mockGroup, mockTask } from '../../../../../scheduler/scheduling/testing/mock.js';

const dir = mkdtempSync(join(tmpdir(), 'pf-vol-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function group(requestRo: boolean, mountRo: boolean, destination = '/var/lib/mysql') {
  const task = mockTask({ name: 'db', volumeMounts: [{ volume: 'data', destination, readOnly: mountRo }] });
  return { group: mockGroup({ volumes: { data: { type: 'host', source: 'mysql', readOnly: requestRo } }, tasks: [task] }), task };
}

describe('host volumes', () => {
  it('HostVolumeConfig_parse_hclShapeAndErrorsWithFieldPaths', () => {
    expect(parseHostVolumes({ mysql: [{ path: dir, read_only: true }], logs: { path: dir } })).toEqual({
      mysql: { path: dir, readOnly: true },
      logs: { path: dir, readOnly: false },
    });
    expect(() => parseHostVolumes({ a: { path: 'rel' }, b: { path: join(dir, 'nope') }, c: { path: dir, read_only: 'yes', size: 1 } })).toThrow(
      /host_volume\.a\.path: expected an absolute[\s\S]*host_volume\.b\.path: .*nope is not an existing directory[\s\S]*host_volume\.c\.size: unknown field[\s\S]*host_volume\.c\.read_only: expected true or false/,
    );
  });

  it('MountPlan_readOnly_ifAgentJobOrMountSaysSo', () => {
    const node = (ro: boolean) => ({ mysql: { path: dir, readOnly: ro } });
    for (const [agentRo, jobRo, mountRo] of [
      [false, false, false],
      [true, false, false],
      [false, true, false],
      [false, false, true],
      [true, true, true],
    ] as const) {
      const { group: g, task } = group(jobRo, mountRo);
      const [mount] = planMounts(g, task, node(agentRo), '/allocs/a1/db');
      expect(mount?.readOnly).toBe(agentRo || jobRo || mountRo);
      expect(mount?.target).toBe('/allocs/a1/db/var/lib/mysql');
      expect(mount?.hostPath).toBe(dir);
    }
    expect(volumeEnvName('mysql-data')).toBe('PILOTFISH_VOLUME_MYSQL_DATA');
  });

  it('MountPlan_perAlloc_mountsTheIndexedVolumeWithTheSameReadOnlyRules', () => {
    const task = mockTask({ name: 'db', volumeMounts: [{ volume: 'data', destination: '/d', readOnly: false }] });
    const g = mockGroup({ volumes: { data: { type: 'host', source: 'mysql', readOnly: false, perAlloc: true } }, tasks: [task] });
    const volumes = parseHostVolumes({ 'mysql[0]': { path: dir }, 'mysql[2]': { path: dir, read_only: true } });
    expect(planMounts(g, task, volumes, '/t', 0)[0]).toMatchObject({ source: 'mysql[0]', readOnly: false });
    expect(planMounts(g, task, volumes, '/t', 2)[0]).toMatchObject({ source: 'mysql[2]', readOnly: true, readOnlyBecause: ['agent'] });
    expect(() => planMounts(g, task, volumes, '/t', 1)).toThrow(/host volume "mysql\[1\]" is not configured on this node/);
    expect(() => parseHostVolumes({ 'mysql[x]': { path: dir } })).toThrow(/host_volume\.mysql\[x\]: name must be/);
  });

  it('MountPlan_refuses_missingVolumeAndEscapingDestination', () => {
    const { group: g, task } = group(false, false);
    expect(() => planMounts(g, task, {}, '/t')).toThrow(/host volume "mysql" is not configured on this node/);
    const escaping = group(false, false, '../../etc');
    expect(() => planMounts(escaping.group, escaping.task, { mysql: { path: dir, readOnly: false } }, '/t')).toThrow(/leaves the task directory/);
  });
});
