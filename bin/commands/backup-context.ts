import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import type { EncryptionKey } from '../../backup/create-backup.js';
import { loadEncryptionKey } from '../../backup/encryption-key.js';
import { Catalog } from '../../backup/catalog.js';
import { createObjectStore } from '../../backup/object-store/factory.js';
import type { ObjectStore } from '../../backup/object-store/object-store.js';
import type { BackupSource } from '../../backup/source.js';
import { DirectorySource } from '../../backup/sources/directory.js';
import { MysqlLogicalSource } from '../../backup/sources/mysql-logical.js';
import { MysqlPhysicalSource } from '../../backup/sources/mysql-physical.js';
import type { MysqlConnection } from '../../backup/sources/option-file.js';
import { isPilotfishError, PilotfishError } from '../../common/errors.js';
import { createLogger, type Logger } from '../../common/logger.js';
import { loadPilotfishConfig, type PilotfishConfig } from '../../supervisor/config.js';
import { createSecretStore } from '../../secrets/factory.js';
import type { SecretStore } from '../../secrets/secret-store.js';

/** Everything a `pilotfish backup` subcommand needs, built once from `pilotfish.yaml`. */
export interface BackupContext {
  config: Readonly<PilotfishConfig>;
  store: ObjectStore;
  prefix: string;
  cluster: string;
  member: string;
  catalog: Catalog;
  logger: Logger;
  secrets: SecretStore;
  /** The configured key, or `undefined` when backups are not encrypted. */
  encryption(): Promise<EncryptionKey | undefined>;
  /** Stops the secret store's background renewal. */
  close(): Promise<void>;
}

/** Runs `action` with a context for `configPath`, closing it afterwards. */
export async function withBackupContext<T>(configPath: string, action: (context: BackupContext) => Promise<T>): Promise<T> {
  const context = await loadBackupContext(configPath);
  try {
    return await action(context);
  } finally {
    await context.close();
  }
}

export async function loadBackupContext(configPath: string): Promise<BackupContext> {
  const config = await loadPilotfishConfig(configPath);
  if (!config.objectStore) {
    throw new PilotfishError('CONFIG_INVALID', `${configPath}: objectStore is missing; add objectStore.fs.path or objectStore.s3.bucket`);
  }
  // Logs go to stderr so that --json output on stdout stays machine-readable.
  const logger = createLogger({ level: config.log.level === 'info' ? 'warn' : config.log.level, destination: process.stderr, base: { cluster: config.cluster } });
  const store = await createObjectStore(config.objectStore);
  const secrets = await createSecretStore(config.secrets, { logger });
  const keySecret = config.backup.encryption?.keySecret;
  return {
    config,
    store,
    prefix: config.objectStore.prefix,
    cluster: config.cluster,
    member: config.member?.name ?? hostname(),
    catalog: new Catalog(store, config.objectStore.prefix, config.cluster, logger),
    logger,
    secrets,
    encryption: async () => (keySecret ? loadEncryptionKey(secrets, keySecret) : undefined),
    close: () => secrets.close(),
  };
}

export interface SourceFlags {
  source?: string;
  directory?: string;
  socket?: string;
  user?: string;
}

/** The source `backup create` reads: flags first, then `backup.source` and `recipe.mysql`. */
export async function sourceFor(context: BackupContext, flags: SourceFlags): Promise<BackupSource> {
  if (flags.directory) return new DirectorySource(flags.directory);
  const mysql = context.config.recipe?.mysql;
  if (!mysql) {
    throw new PilotfishError('CONFIG_INVALID', 'recipe.mysql is missing: configure it, or back up a directory with --directory <path>');
  }
  const runDir = mysql.runDir ?? join(dirname(mysql.dataDir), 'run');
  const socket = flags.socket ?? (existsSync(join(runDir, 'mysqld.sock')) ? join(runDir, 'mysqld.sock') : undefined);
  const connection: MysqlConnection = { user: flags.user ?? mysql.users.backup, ...(socket ? { socket } : { host: mysql.host, port: mysql.port }) };
  try {
    connection.password = await context.secrets.get(`${flags.user ?? 'backup'}-password`);
  } catch (err) {
    if (!isPilotfishError(err, 'SECRET_NOT_FOUND')) throw err;
  }
  const kind = flags.source ?? context.config.backup.source;
  if (kind === 'logical') return new MysqlLogicalSource({ connection, binary: mysql.binaries.dump });
  if (kind === 'physical') return new MysqlPhysicalSource({ connection, binary: mysql.binaries.backup, dataDir: mysql.dataDir });
  throw new PilotfishError('CONFIG_INVALID', `--source ${kind} is not one of physical, logical`);
}
