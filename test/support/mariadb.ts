import { execa } from 'execa';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { freePort } from './ports.js';
import { spawnTracked, type TrackedProcess } from './processes.js';
import { tempDir } from './tmp.js';
import { waitFor } from './wait.js';

/** A real mariadbd on 127.0.0.1 with a fresh data directory and a small buffer pool. */
export interface MariadbHandle {
  port: number;
  socket: string;
  dataDir: string;
  baseDir: string;
  process: TrackedProcess;
  /** A root connection over the unix socket (root authenticates by socket). */
  connect(database?: string): Promise<mysql.Connection>;
  /** Clean shutdown (SIGTERM), waits for exit. */
  shutdown(): Promise<void>;
  /** Starts mariadbd again on the same data directory and port. */
  restart(): Promise<void>;
  /** Kills the server and removes its directory. */
  stop(): Promise<void>;
}

export interface MariadbOptions {
  /** Extra server options, e.g. `--log-bin=mysql-bin`, `--server-id=2`. */
  args?: string[];
  bufferPool?: string;
  /** Use an existing data directory instead of initialising one. */
  dataDir?: string;
}

export const MARIADBD = process.env.MARIADBD ?? '/usr/sbin/mariadbd';

export async function startMariadb(options: MariadbOptions = {}): Promise<MariadbHandle> {
  const dir = tempDir('pf-db-');
  const dataDir = options.dataDir ?? join(dir.path, 'data');
  const socket = join(dir.path, 'mysqld.sock');
  const port = await freePort();
  if (!options.dataDir) {
    mkdirSync(dataDir, { recursive: true });
    await execa('mariadb-install-db', [
      '--no-defaults',
      `--datadir=${dataDir}`,
      '--auth-root-authentication-method=socket',
      '--skip-test-db',
      // A starting server deletes every `#sql…` file in its tmpdir: each server gets its own, or
      // one test's server start breaks another test's bootstrap running at the same time.
      `--tmpdir=${dir.path}`,
      ...(process.getuid?.() === 0 ? ['--user=root'] : []),
    ]);
  }
  const args = [
    '--no-defaults',
    `--datadir=${dataDir}`,
    `--socket=${socket}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--pid-file=${join(dir.path, 'mysqld.pid')}`,
    `--log-error=${join(dir.path, 'error.log')}`,
    `--tmpdir=${dir.path}`,
    `--innodb-buffer-pool-size=${options.bufferPool ?? '32M'}`,
    '--innodb-log-file-size=48M',
    '--skip-name-resolve',
    ...(process.getuid?.() === 0 ? ['--user=root'] : []),
    ...(options.args ?? []),
  ];
  const connect = (database?: string) =>
    mysql.createConnection({ socketPath: socket, user: 'root', database, multipleStatements: true });
  const launch = async () => {
    const proc = spawnTracked(MARIADBD, args, { logFile: join(dir.path, 'stdout.log') });
    const outcome = await waitFor(
      'mariadbd to accept connections',
      async () => {
        if (proc.child.exitCode !== null || proc.child.signalCode !== null) return 'exited';
        const conn = await connect();
        await conn.end();
        return 'ready';
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    if (outcome === 'exited') {
      // `--log-basename` moves the error log into the data directory as `<basename>.err`
      const errorLog = [join(dir.path, 'error.log'), ...readdirSync(dataDir).filter((f) => f.endsWith('.err')).map((f) => join(dataDir, f))].find(existsSync);
      const tail = errorLog ? readFileSync(errorLog, 'utf8').trim().split('\n').slice(-4).join('\n') : '(no error log)';
      throw new Error(`mariadbd exited during start-up; the end of ${errorLog ?? 'its error log'}:\n${tail}`);
    }
    return proc;
  };
  let current = await launch();
  return {
    port,
    socket,
    dataDir,
    baseDir: dir.path,
    get process() {
      return current;
    },
    connect,
    async shutdown() {
      await current.stop(60_000);
    },
    async restart() {
      current = await launch();
    },
    async stop() {
      await current.kill();
      dir.remove();
    },
  };
}
