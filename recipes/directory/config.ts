import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { durationMs } from '../../common/config.js';

const argv = z.array(z.string().min(1, 'an argument must not be empty')).min(1, 'give the program and its arguments as a list, e.g. ["/usr/bin/myapp", "--data", "/data"]');

/**
 * `recipe.directory:` any application that keeps its state in one directory. Exactly one member
 * runs it (the lease holder); the others keep a copy of the directory warm from the backups.
 */
export const directoryRecipeSchema = z.strictObject({
  /** The application, argv form (no shell). It gets `PILOTFISH_DATA_DIR` in its environment. */
  command: argv,
  /** The data directory: absolute; created when missing; never deleted or emptied by pilotfish. */
  path: z.string().min(1).refine(isAbsolute, { message: 'must be an absolute path, e.g. /var/lib/myapp' }),
  /** Extra environment for the application (no secrets: they would reach its /proc environ). */
  env: z.record(z.string(), z.string()).default({}),
  /** Port the application serves on, registered as the service (0 when it serves none). */
  port: z.number().int().min(0).max(65535).default(0),
  /** SIGTERM → SIGKILL bound when the application is stopped (lease lost, clean stop). */
  stopTimeout: durationMs({ minMs: 100 }).default(10_000),
  /** A change is backed up once the directory has been quiet this long … */
  quietPeriod: durationMs({ minMs: 100 }).default(2_000),
  /** … or this long after the first change not yet backed up, under constant change. */
  maxDelay: durationMs({ minMs: 1_000 }).default(30_000),
  /** Run (argv form) before each backup, e.g. to flush or quiesce the application; a failure fails that backup. */
  preBackup: argv.optional(),
  /** Bound on `preBackup`. */
  preBackupTimeout: durationMs({ minMs: 100 }).default(60_000),
});

export type DirectoryRecipeConfig = z.output<typeof directoryRecipeSchema>;
