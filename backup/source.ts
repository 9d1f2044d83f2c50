import type { Writable } from 'node:stream';
import type { Logger } from '../common/logger.js';
import type { Manifest, ReplicationPosition } from './manifest.js';

/**
 * What a backup reads from. Recipe-agnostic: a source produces one byte stream in a known format
 * and, once it has finished, tells what it knows about the data (replication position, version).
 * Implementations live in `backup/sources/`.
 */
export interface BackupSource {
  /** Recorded in the manifest as `source` (`mysql-physical`, `mysql-logical`, `directory`). */
  readonly kind: string;
  /** Recorded as `recipe` (`mysql`, `directory`). */
  readonly recipe: string;
  /** Stream format, which also chooses how a restore unpacks it. */
  readonly format: Manifest['format'];

  /**
   * Starts producing into `output` (the compressor's stdin) and resolves once the producer runs.
   * A source whose tool writes the stream itself hands it the pipe's descriptor, so the bytes
   * never pass through Node; `output` is closed when the stream ends. `result` resolves after the
   * producer exited successfully and rejects with PilotfishError `BACKUP_FAILED` (naming the tool
   * and the tail of its error output) otherwise. Aborting `signal` stops the producer.
   */
  open(options: { signal: AbortSignal; logger: Logger; output: Writable }): Promise<SourceRun>;
}

export interface SourceRun {
  result: Promise<SourceResult>;
}

export interface SourceResult {
  position: ReplicationPosition | null;
  flavor: string | null;
  serverVersion: string | null;
}

/**
 * A directory backed up as an incremental snapshot (`snapshots/`: only content the store does not
 * hold yet is uploaded) instead of one stream. `createBackup` takes either kind.
 */
export interface SnapshotSource {
  /** Recorded in the manifest as `source`. */
  readonly kind: string;
  /** Recorded as `recipe`. */
  readonly recipe: string;
  readonly format: 'chunks';
  /** Readies the directory (e.g. a quiesce command) and returns its path. Throws BACKUP_FAILED. */
  prepare(signal: AbortSignal): Promise<string>;
  /** Told whether the snapshot was recorded. */
  finished?(recorded: boolean): void;
}

export function isSnapshotSource(source: BackupSource | SnapshotSource): source is SnapshotSource {
  return source.format === 'chunks';
}
