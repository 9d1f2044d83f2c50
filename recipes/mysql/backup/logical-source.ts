import { Transform, type TransformCallback, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '../../../common/logger.js';
import type { BackupSource, SourceRun } from '../../../backup/source.js';
import { type MysqlConnection, writeOptionFile } from './option-file.js';
import { flavorOf, parseDumpBinlogLine, parseDumpGtidLine, parseServerVersion } from './position.js';
import { startProducer } from '../../../backup/sources/producer.js';

export interface MysqlLogicalOptions {
  connection: MysqlConnection;
  /** `mariadb-dump` (default) or a path to it. */
  binary?: string;
  /** Databases to dump; all when omitted. */
  databases?: string[];
}

/** Lines that carry position facts are short comments; only those are decoded and parsed. */
const MARKERS = [Buffer.from('-- CHANGE MASTER TO MASTER_LOG_FILE'), Buffer.from('SET GLOBAL gtid_slave_pos'), Buffer.from('GTID_PURGED'), Buffer.from('-- Server version')];

function lineAround(buffer: Buffer, at: number): string {
  const start = buffer.lastIndexOf(10, at) + 1;
  const end = buffer.indexOf(10, at);
  return buffer.subarray(start, end < 0 ? buffer.length : end).toString('utf8');
}

/**
 * A consistent logical dump: `mariadb-dump --single-transaction --master-data=2 --gtid`. The
 * position is read from the commented CHANGE MASTER / gtid_slave_pos lines as the dump streams by.
 */
export class MysqlLogicalSource implements BackupSource {
  readonly kind = 'mysql-logical';
  readonly recipe = 'mysql';
  readonly format = 'sql' as const;

  constructor(private readonly options: MysqlLogicalOptions) {}

  async open({ signal, logger, output }: { signal: AbortSignal; logger: Logger; output: Writable }): Promise<SourceRun> {
    const optionFile = await writeOptionFile(this.options.connection);
    const facts = { gtid: null as string | null, binlogFile: null as string | null, binlogOffset: null as number | null, version: null as string | null };
    const args = [
      `--defaults-extra-file=${optionFile.path}`,
      '--single-transaction',
      '--master-data=2',
      '--gtid',
      '--routines',
      '--events',
      '--triggers',
      '--hex-blob',
      ...(this.options.databases ? ['--databases', ...this.options.databases] : ['--all-databases']),
    ];
    const producer = startProducer(this.options.binary ?? 'mariadb-dump', args, { signal });
    // A marker split across two chunks is caught by keeping the previous chunk's tail.
    let carry = Buffer.alloc(0);
    const scanner = new Transform({
      highWaterMark: 1 << 20,
      transform(chunk: Buffer, _encoding, callback: TransformCallback) {
        const buffer = carry.length ? Buffer.concat([carry, chunk]) : chunk;
        for (const marker of MARKERS) {
          const at = buffer.indexOf(marker);
          if (at < 0) continue;
          const line = lineAround(buffer, at);
          const binlog = parseDumpBinlogLine(line);
          if (binlog) Object.assign(facts, binlog);
          facts.gtid = parseDumpGtidLine(line) ?? facts.gtid;
          facts.version ??= parseServerVersion(line);
        }
        carry = Buffer.from(chunk.subarray(Math.max(0, chunk.length - 256)));
        callback(null, chunk);
      },
    });
    // The dump passes through Node (unlike the physical stream) so the position lines can be read.
    const streaming = pipeline(producer.stdout as NodeJS.ReadableStream, scanner, output);
    const result = Promise.all([producer.done, streaming])
      .then(() => {
        logger.debug({ facts }, 'mariadb-dump finished');
        const position = facts.binlogFile || facts.gtid ? { gtid: facts.gtid, binlogFile: facts.binlogFile, binlogOffset: facts.binlogOffset } : null;
        return { position, serverVersion: facts.version, flavor: flavorOf(facts.version) };
      })
      .finally(() => optionFile.remove());
    return { result };
  }
}
