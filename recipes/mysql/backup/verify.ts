import { execa } from 'execa';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { PilotfishError } from '../../../common/errors.js';

/**
 * Checks a restored, prepared MySQL data directory: the files a server needs are present and
 * prepared, and (with `startServer`) mariadbd starts on it with networking off, answers a query
 * per schema, and shuts down cleanly. Throws RESTORE_FAILED describing what is wrong.
 */
export async function verifyMysqlDir(dir: string, options: { startServer: boolean; serverBinary: string; timeoutMs?: number }): Promise<{ tables: number }> {
  for (const file of ['ibdata1', 'mysql']) {
    await stat(join(dir, file)).catch(() => {
      throw new PilotfishError('RESTORE_FAILED', `verify: ${file} is missing from the restored data directory ${dir}`);
    });
  }
  const checkpoints = await readFile(join(dir, 'xtrabackup_checkpoints'), 'utf8').catch(() => '');
  if (!/backup_type\s*=\s*(full-prepared|log-applied)/.test(checkpoints)) {
    throw new PilotfishError('RESTORE_FAILED', `verify: ${dir} is not a prepared full backup (xtrabackup_checkpoints: ${checkpoints.trim() || 'absent'})`);
  }
  if (!options.startServer) return { tables: 0 };
  const socket = join(dir, 'verify.sock');
  const server = execa(
    options.serverBinary,
    ['--no-defaults', `--datadir=${dir}`, `--socket=${socket}`, '--skip-networking', '--skip-grant-tables', '--skip-log-bin',
      '--innodb-buffer-pool-size=64M', `--log-error=${join(dir, 'verify.err')}`, `--pid-file=${join(dir, 'verify.pid')}`,
      ...(process.getuid?.() === 0 ? ['--user=root'] : [])],
    { reject: false, stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' },
  );
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  try {
    for (;;) {
      if (server.exitCode !== null) throw new PilotfishError('RESTORE_FAILED', `verify: mariadbd did not start on the restored data; see ${join(dir, 'verify.err')}`);
      try {
        const conn = await mysql.createConnection({ socketPath: socket, user: 'root' });
        const [rows] = await conn.query("SELECT COUNT(*) AS n FROM information_schema.tables WHERE engine = 'InnoDB'");
        await conn.query('SHUTDOWN').catch(() => undefined);
        await conn.end().catch(() => undefined);
        await server;
        return { tables: Number((rows as Array<{ n: unknown }>)[0]?.n) };
      } catch (err) {
        if (err instanceof PilotfishError) throw err;
        if (Date.now() > deadline) throw new PilotfishError('RESTORE_FAILED', `verify: mariadbd did not answer within ${options.timeoutMs ?? 60_000}ms`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  } finally {
    if (server.exitCode === null) server.kill('SIGKILL');
  }
}
