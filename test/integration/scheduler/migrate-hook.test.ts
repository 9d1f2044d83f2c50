import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../common/logger.js';
import { allocDirOf, buildAllocDir } from '../../../scheduler/agent/alloc-dir.js';
import type { AllocHookContext } from '../../../scheduler/agent/hooks.js';
import { migrateHook } from '../../../scheduler/agent/migrate/migrate-hook.js';
import type { ApiClient } from '../../../scheduler/api/client.js';
import { mockAlloc, mockGroup, mockJob, mockTask } from '../../../scheduler/scheduling/testing/mock.js';
import type { MigrationInfo } from '../../../scheduler/migration/info.js';
import { tempDir } from '../../support/tmp.js';

/**
 * The migrate hook on one node, against real directories, with the server's answer given: the
 * data of the previous allocation moves in; when it is not there any more, the allocation starts
 * empty but never silently (DataLost event, PILOTFISH_DATA_LOST=1).
 */

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function run(prepare: (prevRoot: string) => void, infoOverride: Partial<MigrationInfo> = {}, waitDownNodeMs?: number) {
  const dir = tempDir('pf-mighook-');
  cleanups.push(() => dir.remove());
  const allocsDir = join(dir.path, 'allocs');
  const group = mockGroup({ ephemeralDisk: { sizeMb: 100, sticky: true, migrate: true }, tasks: [mockTask({ name: 'main' })] });
  const prevDir = allocDirOf(allocsDir, 'prev');
  await buildAllocDir(prevDir, ['main']);
  writeFileSync(join(prevDir.dataDir, 'owner.txt'), 'prev');
  prepare(prevDir.root);
  const next = allocDirOf(allocsDir, 'next');
  await buildAllocDir(next, ['main']);
  const info: MigrationInfo = { allocId: 'next', prevAllocId: 'prev', prevNodeId: 'n1', sameNode: true, prevTerminal: true, prevNodeDown: false, sourceAddress: '', ...infoOverride };
  const client = { post: async () => info } as unknown as ApiClient;
  const events: { type: string; message: string }[] = [];
  const ctx = {
    alloc: mockAlloc('next', 'n1', 100, { previousAllocation: 'prev' }),
    job: mockJob({ groups: [group] }),
    group,
    dir: next,
    logger: createLogger({ level: 'silent' }),
    env: {} as Record<string, string>,
    restored: false,
    event: (type: string, message: string) => events.push({ type, message }),
    fail: () => undefined,
  } satisfies AllocHookContext;
  await migrateHook({ client: () => client, nodeId: 'n1', allocsDir, waitDownNodeMs, pollMs: 50 }).prerun!(ctx);
  return { ctx, events, next };
}

describe('migrate hook on the same node', () => {
  it('MigrateHook_sameNode_movesTheDataIn', async () => {
    const { ctx, events, next } = await run(() => undefined);
    expect(readFileSync(join(next.dataDir, 'owner.txt'), 'utf8')).toBe('prev');
    expect(ctx.env.PILOTFISH_DATA_LOST).toBeUndefined();
    expect(events.map((e) => e.type)).toEqual(['Migrated']);
  });

  it('MigrateHook_previousDataAlreadyGone_dataLostNeverSilent', async () => {
    const { ctx, events } = await run((prevRoot) => {
      // moved on to an allocation that never reported, or removed by hand
      const data = join(prevRoot, 'alloc', 'data');
      mkdirSync(join(prevRoot, 'elsewhere'));
      renameSync(data, join(prevRoot, 'elsewhere', 'data'));
    });
    expect(ctx.env.PILOTFISH_DATA_LOST).toBe('1');
    expect(events[0]).toMatchObject({ type: 'DataLost' });
    expect(events[0]!.message).toMatch(/has no alloc\/data any more/);
  });

  it('MigrateHook_previousNodeStaysDown_waitsBoundedThenDataLost', async () => {
    const t0 = Date.now();
    const { ctx, events } = await run(() => undefined, { sameNode: false, prevNodeId: 'n2', prevNodeDown: true, prevTerminal: false }, 400);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
    expect(ctx.env.PILOTFISH_DATA_LOST).toBe('1');
    expect(events[0]!.message).toMatch(/previous node n2 is down \(waited 400ms for it to come back\)/);
  });
});
