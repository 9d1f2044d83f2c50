import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { Logger } from '../../../common/logger.js';
import type { ReplicationPosition } from '../../../backup/manifest.js';
import type { BackupSource, SourceRun } from '../../../backup/source.js';
import { type MysqlConnection, writeOptionFile } from './option-file.js';
import { flavorOf, parseMariabackupPosition, parseServerVersion } from './position.js';
import { startProducer } from '../../../backup/sources/producer.js';

export interface MysqlPhysicalOptions {
  connection: MysqlConnection;
  /** `mariadb-backup` (default) or a path to it. */
  binary?: string;
  /** Data directory, when the tool cannot learn it from the server. */
  dataDir?: string;
  /** Copy threads; the stream is still one file. */
  parallel?: number;
}

/**
 * A hot physical copy: `mariadb-backup --backup --stream=xbstream`. The binlog position and GTID
 * are read from the tool's report on stderr (the same values it writes to xtrabackup_binlog_info).
 */
export class MysqlPhysicalSource implements BackupSource {
  readonly kind = 'mysql-physical';
  readonly recipe = 'mysql';
  readonly format = 'xbstream' as const;

  constructor(private readonly options: MysqlPhysicalOptions) {}

  async open({ signal, logger, output }: { signal: AbortSignal; logger: Logger; output: Writable }): Promise<SourceRun> {
    const optionFile = await writeOptionFile(this.options.connection);
    // mariadb-backup keeps a few small files (checkpoints, redo copy state) in --target-dir while streaming.
    const scratch = await mkdtemp(join(tmpdir(), 'pf-mbk-'));
    const cleanup = async () => {
      await optionFile.remove();
      await rm(scratch, { recursive: true, force: true });
    };
    let position: ReplicationPosition | null = null;
    let serverVersion: string | null = null;
    const args = [
      `--defaults-extra-file=${optionFile.path}`,
      '--backup',
      '--stream=xbstream',
      `--target-dir=${scratch}`,
      `--parallel=${this.options.parallel ?? 2}`,
    ];
    if (this.options.dataDir) args.push(`--datadir=${this.options.dataDir}`);
    const producer = startProducer(this.options.binary ?? 'mariadb-backup', args, {
      signal,
      output,
      onStderrLine: (line) => {
        position = parseMariabackupPosition(line) ?? position;
        serverVersion ??= parseServerVersion(line);
      },
    });
    const result = producer.done
      .then(() => {
        logger.debug({ position, serverVersion }, 'mariadb-backup finished');
        return { position, serverVersion, flavor: flavorOf(serverVersion) };
      })
      .finally(cleanup);
    return { result };
  }
}
