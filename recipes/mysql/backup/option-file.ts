import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How the MySQL tools connect; the password goes only into a 0600 option file, never argv. */
export interface MysqlConnection {
  user: string;
  password?: string;
  socket?: string;
  host?: string;
  port?: number;
}

function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * Writes a `[client]` option file in a private (0700) directory, for `--defaults-extra-file`,
 * which must be the first argument. Call `remove` when the tool has exited.
 */
export async function writeOptionFile(connection: MysqlConnection): Promise<{ path: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'pf-opt-'));
  const path = join(dir, 'client.cnf');
  const lines = ['[client]', `user=${quote(connection.user)}`];
  if (connection.password !== undefined) lines.push(`password=${quote(connection.password)}`);
  if (connection.socket !== undefined) lines.push(`socket=${quote(connection.socket)}`);
  if (connection.host !== undefined) lines.push(`host=${quote(connection.host)}`);
  if (connection.port !== undefined) lines.push(`port=${connection.port}`);
  await writeFile(path, `${lines.join('\n')}\n`, { mode: 0o600 });
  return { path, remove: () => rm(dir, { recursive: true, force: true }) };
}
