import type { Server } from 'node:http';
import { open, stat } from 'node:fs/promises';
import type { Logger } from '../../common/logger.js';
import { PilotfishError } from '../../common/errors.js';
import { createHttpServer } from '../http/http-server.js';
import { Router } from '../http/router.js';
import { allocDirOf } from './alloc-dir.js';

/** Most bytes one logs request returns; callers page with `offset`. */
const MAX_LOG_BYTES = 1024 * 1024;

/**
 * The agent's own API, authenticated like the server's (the agent's configured token): task logs
 * for `pilotfish alloc logs`. Part 2 adds the allocation data snapshot endpoint for migrations.
 */
export function createAgentHttp(allocsDir: string, token: string, knownAlloc: (id: string) => boolean, logger: Logger): Server {
  const router = new Router();
  router.add('GET', '/v1/client/allocation/:id/logs/:task', async (req) => {
    const allocId = req.params.id as string;
    const task = req.params.task as string;
    if (!knownAlloc(allocId)) return { status: 404, body: { error: `allocation ${allocId} is not on this node` } };
    if (!/^[A-Za-z0-9_.-]+$/.test(task)) throw new PilotfishError('SCHEDULER_API', `task name ${JSON.stringify(task)} is not valid`);
    const type = req.query.get('type') ?? 'stdout';
    if (type !== 'stdout' && type !== 'stderr') throw new PilotfishError('SCHEDULER_API', 'type must be stdout or stderr');
    const dir = allocDirOf(allocsDir, allocId);
    const file = type === 'stdout' ? dir.stdoutFile(task) : dir.stderrFile(task);
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch {
      return { status: 404, body: { error: `no ${type} log for task ${task}` } };
    }
    const offset = Math.max(0, Math.min(size, Number(req.query.get('offset') ?? '0') || 0));
    const length = Math.min(MAX_LOG_BYTES, size - offset);
    const buffer = Buffer.alloc(length);
    const handle = await open(file, 'r');
    try {
      await handle.read(buffer, 0, length, offset);
    } finally {
      await handle.close();
    }
    return { body: { data: buffer.toString('utf8'), offset: offset + length, size } };
  });
  return createHttpServer(router, { managementToken: token, nodeBySecret: () => undefined }, logger);
}
