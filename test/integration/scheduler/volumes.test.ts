import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { planMounts, volumeEnvName } from '../../../scheduler/agent/volumes/mount-plan.js';
import { canMount, prepareMountTargets, wrapWithMounts } from '../../../scheduler/agent/volumes/mount-wrapper.js';
import { mockGroup, mockTask } from '../../../scheduler/scheduling/testing/mock.js';
import { tempDir } from '../../support/tmp.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** Runs `script` as a task with host volume `vol` mounted at /data inside its task directory. */
async function runTask(script: string, opts: { agentRo: boolean; mountRo: boolean }) {
  const dir = tempDir('pf-hv-');
  cleanups.push(dir.remove);
  const hostPath = join(dir.path, 'host');
  const taskDir = join(dir.path, 'task');
  mkdirSync(hostPath);
  mkdirSync(taskDir);
  writeFileSync(join(hostPath, 'existing'), 'original');
  const task = mockTask({ name: 't', volumeMounts: [{ volume: 'vol', destination: '/data', readOnly: opts.mountRo }] });
  const group = mockGroup({ volumes: { vol: { type: 'host', source: 'shared', readOnly: false } }, tasks: [task] });
  const mounts = planMounts(group, task, { shared: { path: hostPath, readOnly: opts.agentRo } }, taskDir);
  await prepareMountTargets(mounts);
  const wrapped = wrapWithMounts('/bin/sh', ['-c', script], mounts);
  const result = await execa(wrapped.command, wrapped.args, {
    cwd: taskDir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', [volumeEnvName('vol')]: mounts[0]?.target ?? '' },
    extendEnv: false,
    reject: false,
  });
  return { result, hostPath, taskDir };
}

describe.runIf(canMount())('host volume mounts (root)', () => {
  it('HostVolume_readOnlyMount_taskCannotWriteNorRemount', async () => {
    const { result, hostPath } = await runTask(
      'cat "$PILOTFISH_VOLUME_VOL/existing"; ' +
        'echo changed > "$PILOTFISH_VOLUME_VOL/existing" 2>/dev/null && echo WROTE1; ' +
        'touch "$PILOTFISH_VOLUME_VOL/new" 2>/dev/null && echo WROTE2; ' +
        'mount -o remount,bind,rw "$PILOTFISH_VOLUME_VOL" 2>/dev/null && echo REMOUNTED; ' +
        'touch "$PILOTFISH_VOLUME_VOL/new" 2>&1; true',
      { agentRo: false, mountRo: true },
    );
    expect(result.stdout).toContain('original');
    expect(result.stdout).not.toMatch(/WROTE|REMOUNTED/);
    expect(result.stdout).toMatch(/Read-only file system/);
    expect(readdirSync(hostPath)).toEqual(['existing']);
    expect(readFileSync(join(hostPath, 'existing'), 'utf8')).toBe('original');
  });

  it('HostVolume_agentReadOnly_overridesAReadWriteMount', async () => {
    const { result, hostPath } = await runTask('touch "$PILOTFISH_VOLUME_VOL/new" && echo WROTE; true', { agentRo: true, mountRo: false });
    expect(result.stdout).not.toContain('WROTE');
    expect(readdirSync(hostPath)).toEqual(['existing']);
  });

  it('HostVolume_readWriteMount_writesReachTheHostAndTheMountStaysPrivate', async () => {
    const { result, hostPath, taskDir } = await runTask('echo hello > "$PILOTFISH_VOLUME_VOL/new" && echo WROTE', { agentRo: false, mountRo: false });
    expect(result.stdout).toContain('WROTE');
    expect(readFileSync(join(hostPath, 'new'), 'utf8')).toBe('hello\n');
    // The bind existed only in the task's mount namespace: the agent sees an empty mount point.
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(taskDir);
    expect(readdirSync(join(taskDir, 'data'))).toEqual([]);
  });
});
