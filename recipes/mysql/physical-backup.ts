import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { execa } from 'execa';
import { PilotfishError } from '../../common/errors.js';
import type { BackupSource, RestoredData } from '../recipe.js';
import type { MysqlRecipeConfig } from './config.js';
import { writePrivateFile, type MysqlPasswords, type MysqlPaths } from './option-files.js';

/**
 * Physical backups with mariadb-backup: `--backup --stream=xbstream` to stdout while the server
 * runs, and restore by `mbstream -x` then `--prepare`. Credentials go in a 0600 option file given
 * with `--defaults-extra-file`, never on the command line.
 */
export function mariadbBackupSource(config: MysqlRecipeConfig, paths: MysqlPaths, passwords: MysqlPasswords): BackupSource {
  return {
    async open(signal) {
      const optionFile = join(paths.runDir, 'backup-client.cnf');
      writePrivateFile(
        optionFile,
        `[client]\nuser=${config.users.backup}\npassword="${passwords.backup.replace(/["\\]/g, '\\$&')}"\nsocket=${paths.socket}\n`,
      );
      const scratch = join(paths.runDir, 'backup-scratch');
      rmSync(scratch, { recursive: true, force: true });
      const child = execa(
        config.binaries.backup,
        [`--defaults-extra-file=${optionFile}`, '--backup', '--stream=xbstream', `--target-dir=${scratch}`, `--datadir=${paths.dataDir}`],
        { cancelSignal: signal, reject: false, stdout: 'pipe', stderr: 'pipe', buffer: { stdout: false, stderr: true } },
      );
      const done = child.then((result) => {
        rmSync(optionFile, { force: true });
        const log = String(result.stderr);
        if (result.exitCode !== 0 || !log.includes('completed OK')) {
          throw new PilotfishError('BACKUP_FAILED', `mariadb-backup failed (exit ${result.exitCode}): ${log.slice(-300)}`, { retryable: true });
        }
        const gtid = /GTID of the last change '([^']*)'/.exec(log)?.[1] ?? '';
        return { position: gtid };
      });
      return { stream: child.stdout as Readable, done };
    },
  };
}

/** Unpacks an xbstream into `targetDir`, prepares it and returns the GTID position it ends at. */
export async function restoreMariadbBackup(
  config: MysqlRecipeConfig,
  stream: Readable,
  targetDir: string,
  signal: AbortSignal,
): Promise<RestoredData> {
  const unpack = execa(config.binaries.mbstream, ['-x', '-C', targetDir], { cancelSignal: signal, stdin: 'pipe', reject: false, all: true });
  await execa('mkdir', ['-p', targetDir]);
  await Promise.all([pipeline(stream, unpack.stdin!), unpack]);
  const unpacked = await unpack;
  if (unpacked.exitCode !== 0) {
    throw new PilotfishError('RESTORE_FAILED', `mbstream failed (exit ${unpacked.exitCode}): ${String(unpacked.all).slice(-300)}`);
  }
  const prepared = await execa(config.binaries.backup, ['--prepare', `--target-dir=${targetDir}`], { cancelSignal: signal, reject: false, all: true });
  if (prepared.exitCode !== 0) {
    throw new PilotfishError('RESTORE_FAILED', `mariadb-backup --prepare failed (exit ${prepared.exitCode}): ${String(prepared.all).slice(-300)}`);
  }
  return { position: readBinlogInfo(targetDir) };
}

/** `xtrabackup_binlog_info` (or `mariadb_backup_binlog_info`): `<file> <offset> <gtid list>`. */
export function readBinlogInfo(dir: string): string {
  for (const name of ['mariadb_backup_binlog_info', 'xtrabackup_binlog_info']) {
    try {
      const parts = readFileSync(join(dir, name), 'utf8').trim().split(/\s+/);
      return parts[2] ?? '';
    } catch {
      // try the other name
    }
  }
  return '';
}
