import { existsSync } from 'node:fs';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError } from '../../../common/errors.js';
import { delay } from '../../../common/retry.js';
import type { ApiClient } from '../../api/client.js';
import type { MigrationInfo } from '../../migration/info.js';
import type { AllocHookContext, AllocRunnerHook } from '../hooks.js';
import { installPreviousData } from './install.js';
import { pullSnapshot } from './pull.js';

/**
 * The `migrate` allocation hook (after `alloc_dir`, before any task): brings the previous
 * allocation's `alloc/data` and tasks' `local/` into a new allocation whose group has
 * `ephemeral_disk { sticky }` or `{ migrate }`.
 *
 * 1. Asks the server where the previous allocation is (POST /v1/allocation/:id/migration).
 * 2. Waits until the previous allocation has stopped (its tasks no longer write), at most
 *    `waitPreviousMs`; a previous node that is down ends that wait at once. When the data must be
 *    pulled from a node that is down, waits up to `waitDownNodeMs` for the node to come back
 *    (a whole-cluster restart brings nodes back one by one).
 * 3. Same node: renames the directories across (instant). Other node, `migrate`: pulls the
 *    snapshot from the old agent with the server-issued token (pull.ts: verified, staged, never
 *    hangs), then renames it in. Other node, `sticky` only: nothing moves (as in Nomad).
 * 4. Whenever the data should have come but could not — previous node down, previous allocation
 *    still running after the wait, refused, cut, checksum mismatch — the allocation starts with
 *    empty directories, records a `DataLost` event with the reason, and every task gets
 *    `PILOTFISH_DATA_LOST=1` so a recipe restores from its backup. It never fails the allocation
 *    and never waits without bound (Nomad #20587).
 *
 * Idempotent: a marker file records the outcome, so a restored runner does not migrate twice.
 */

/** What the hook needs from its agent. */
export interface MigrateHookDeps {
  client: () => ApiClient;
  nodeId: string;
  allocsDir: string;
  /** Longest wait for the previous allocation to stop; default 60 s. */
  waitPreviousMs?: number;
  /**
   * Longest wait for the previous allocation's node to come back when it is down and the data
   * must be pulled from it; default {@link DEFAULT_WAIT_DOWN_NODE_MS}. After a whole-cluster stop
   * the nodes return one by one and replacements of their lost allocations may be placed on the
   * first node back: waiting lets the data follow instead of starting empty. 0 disables the wait.
   */
  waitDownNodeMs?: number;
  pollMs?: number;
  connectTimeoutMs?: number;
  idleTimeoutMs?: number;
}

const MARKER = '.migration.json';

/** See {@link MigrateHookDeps.waitDownNodeMs}. */
export const DEFAULT_WAIT_DOWN_NODE_MS = 30_000;

export function migrateHook(deps: MigrateHookDeps): AllocRunnerHook {
  return {
    name: 'migrate',
    async prerun(ctx: AllocHookContext) {
      const disk = ctx.group.ephemeralDisk;
      const prevAllocId = ctx.alloc.previousAllocation;
      if (prevAllocId === '' || (!disk.sticky && !disk.migrate)) return;
      const marker = join(ctx.dir.root, MARKER);
      if (existsSync(marker)) return;
      const outcome = await migrate(ctx, deps, disk.migrate);
      if (outcome.lost !== undefined) {
        ctx.env.PILOTFISH_DATA_LOST = '1';
        ctx.event('DataLost', `data of previous allocation ${prevAllocId} could not be brought over: ${outcome.lost}; starting empty`);
      } else {
        ctx.event('Migrated', outcome.message);
      }
      await writeFile(marker, JSON.stringify({ prevAllocId, ...outcome, atMs: Date.now() }));
    },
  };
}

type Outcome = { lost?: string; message: string };

async function info(ctx: AllocHookContext, deps: MigrateHookDeps): Promise<MigrationInfo> {
  return deps.client().post<MigrationInfo>(`/v1/allocation/${ctx.alloc.id}/migration`, {}, { timeoutMs: 10_000 });
}

async function migrate(ctx: AllocHookContext, deps: MigrateHookDeps, pull: boolean): Promise<Outcome> {
  const tasks = ctx.group.tasks.map((t) => t.name);
  const deadline = Date.now() + (deps.waitPreviousMs ?? 60_000);
  let current: MigrationInfo;
  try {
    current = await info(ctx, deps);
    while (!current.prevTerminal && !current.prevNodeDown) {
      if (Date.now() > deadline) {
        return pull || current.sameNode
          ? { lost: `previous allocation still running after ${deps.waitPreviousMs ?? 60_000}ms`, message: '' }
          : { message: 'sticky: previous allocation still running; nothing moved' };
      }
      await delay(deps.pollMs ?? 250);
      current = await info(ctx, deps);
    }
    if (pull && current.prevNodeDown && !current.sameNode) {
      const waitMs = deps.waitDownNodeMs ?? DEFAULT_WAIT_DOWN_NODE_MS;
      const nodeDeadline = Date.now() + waitMs;
      if (waitMs > 0) ctx.logger.info({ prevNodeId: current.prevNodeId, waitMs }, 'previous node is down; waiting for it to come back before starting without its data');
      while (current.prevNodeDown && Date.now() < nodeDeadline) {
        await delay(deps.pollMs ?? 250);
        current = await info(ctx, deps);
      }
    }
  } catch (err) {
    return pull ? { lost: `cannot ask the server about the previous allocation: ${describeError(err)}`, message: '' } : { message: 'no migration information' };
  }
  if (current.sameNode) {
    const from = join(deps.allocsDir, current.prevAllocId);
    if (!existsSync(from)) return { lost: `previous allocation directory ${from} is gone`, message: '' };
    // Its data already moved on (to an allocation that never reported) or removed: never start
    // empty silently. A target that already holds data is a rerun after a crash mid-move.
    if (!existsSync(join(from, 'alloc', 'data')) && (await readdir(ctx.dir.dataDir).catch(() => [])).length === 0) {
      return { lost: `previous allocation ${current.prevAllocId} has no alloc/data any more`, message: '' };
    }
    const { moved, skipped } = await installPreviousData(from, ctx.dir, tasks);
    return { message: `moved ${moved.join(', ') || 'nothing'} from previous allocation ${current.prevAllocId} on this node${skipped.length ? `; kept non-empty ${skipped.join(', ')}` : ''}` };
  }
  if (!pull) return { message: `sticky without migrate: the data of ${current.prevAllocId} stays on node ${current.prevNodeId}` };
  if (current.prevNodeDown) {
    return { lost: `previous node ${current.prevNodeId} is down (waited ${deps.waitDownNodeMs ?? DEFAULT_WAIT_DOWN_NODE_MS}ms for it to come back)`, message: '' };
  }
  if (current.sourceAddress === '' || current.token === undefined) return { lost: 'the previous node has no agent address', message: '' };
  const staging = join(ctx.dir.root, '.migrate-in');
  await rm(staging, { recursive: true, force: true });
  try {
    const result = await pullSnapshot({
      sourceUrl: `http://${current.sourceAddress}`,
      prevAllocId: current.prevAllocId,
      token: current.token,
      destNodeId: deps.nodeId,
      targetDir: staging,
      connectTimeoutMs: deps.connectTimeoutMs ?? 5_000,
      idleTimeoutMs: deps.idleTimeoutMs ?? 30_000,
    });
    const { moved } = await installPreviousData(staging, ctx.dir, tasks);
    return { message: `pulled ${result.bytes} bytes (${result.entries} entries, sha256 ${result.sha256.slice(0, 12)}…) of ${moved.join(', ')} from node ${current.prevNodeId}` };
  } catch (err) {
    return { lost: describeError(err), message: '' };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
