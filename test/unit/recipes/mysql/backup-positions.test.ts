import { describe, expect, test } from 'vitest';
import { backupIdTime, backupsPrefix, isBackupId, newBackupId, parseBackupKey } from '../../../../backup/layout.js';
import { parseDumpBinlogLine, parseDumpGtidLine, parseMariabackupPosition, parseServerVersion } from '../../../../recipes/mysql/backup/position.js';

describe('MySQL position parsers', () => {
  test('Position_mariabackupStderr_parsed', () => {
    const line = "[00] 2026-11-23 18:04:36 MySQL binlog position: filename 'pfx-bin.000001', position '614', GTID of the last change '0-1-2'";
    expect(parseMariabackupPosition(line)).toEqual({ binlogFile: 'pfx-bin.000001', binlogOffset: 614, gtid: '0-1-2' });
    expect(parseMariabackupPosition('[00] Streaming ./ibdata1')).toBeNull();
    expect(parseServerVersion('[00] 2026-11-23 18:04:35 Using server version 10.11.19-MariaDB-0+deb12u1-log')).toBe('10.11.19-MariaDB-0+deb12u1-log');
  });

  test('Position_dumpComments_parsed', () => {
    expect(parseDumpBinlogLine("-- CHANGE MASTER TO MASTER_LOG_FILE='pfx-bin.000001', MASTER_LOG_POS=799;")).toEqual({ binlogFile: 'pfx-bin.000001', binlogOffset: 799 });
    expect(parseDumpGtidLine("-- SET GLOBAL gtid_slave_pos='0-1-3';")).toBe('0-1-3');
    expect(parseServerVersion('-- Server version\t10.11.19-MariaDB-0+deb12u1-log')).toBe('10.11.19-MariaDB-0+deb12u1-log');
  });
});

describe('layout', () => {
  test('Layout_ids_sortByTimeAndRoundTrip', () => {
    const a = newBackupId(new Date('2026-01-02T03:04:05.006Z'));
    const b = newBackupId(new Date('2026-01-02T03:04:05.007Z'));
    expect(isBackupId(a)).toBe(true);
    expect(a < b).toBe(true);
    expect(backupIdTime(a)?.toISOString()).toBe('2026-01-02T03:04:05.006Z');
  });

  test('Layout_prefix_normalisesSlashes', () => {
    expect(backupsPrefix('', 'c')).toBe('c/backups/');
    expect(backupsPrefix('/a/b/', 'c')).toBe('a/b/c/backups/');
    const id = newBackupId(new Date());
    expect(parseBackupKey('c/backups/', `c/backups/${id}/manifest.json`)).toEqual({ id, name: 'manifest.json' });
    expect(parseBackupKey('c/backups/', 'c/backups/not-an-id/x')).toBeNull();
  });
});
