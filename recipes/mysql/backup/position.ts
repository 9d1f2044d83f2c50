import type { ReplicationPosition } from '../../../backup/manifest.js';

/**
 * Parsers for the replication position the MySQL tools report, kept pure so they are unit-tested
 * against the tools' real output lines.
 */

/** mariadb-backup stderr: `MySQL binlog position: filename 'x-bin.000001', position '614', GTID of the last change '0-1-2'`. */
export function parseMariabackupPosition(line: string): ReplicationPosition | null {
  const match = /binlog position: filename '([^']+)', position '(\d+)'(?:, GTID of the last change '([^']*)')?/.exec(line);
  if (!match) return null;
  return { binlogFile: match[1] ?? null, binlogOffset: Number(match[2]), gtid: match[3] ? match[3] : null };
}

/** mariadb-backup stderr: `Using server version 10.11.19-MariaDB-0+deb12u1-log`. */
export function parseServerVersion(line: string): string | null {
  return /(?:Using server version|Server version)\s+(\S+)/.exec(line)?.[1] ?? null;
}

export function flavorOf(version: string | null): string | null {
  if (version === null) return null;
  return /mariadb/i.test(version) ? 'mariadb' : 'mysql';
}

/** mariadb-dump `--master-data=2`: `-- CHANGE MASTER TO MASTER_LOG_FILE='x-bin.000001', MASTER_LOG_POS=799;`. */
export function parseDumpBinlogLine(line: string): { binlogFile: string; binlogOffset: number } | null {
  const match = /CHANGE MASTER TO MASTER_LOG_FILE='([^']+)', MASTER_LOG_POS=(\d+)/.exec(line);
  return match ? { binlogFile: match[1] as string, binlogOffset: Number(match[2]) } : null;
}

/** mariadb-dump `--gtid`: `-- SET GLOBAL gtid_slave_pos='0-1-3';` (MariaDB) or `SET @@GLOBAL.GTID_PURGED=…` (MySQL). */
export function parseDumpGtidLine(line: string): string | null {
  const match = /SET GLOBAL gtid_slave_pos='([^']*)'/.exec(line) ?? /SET @@GLOBAL\.GTID_PURGED=(?:\/\*!80000 '\+'\*\/ )?'([^']*)'/.exec(line);
  return match ? (match[1] as string) : null;
}
