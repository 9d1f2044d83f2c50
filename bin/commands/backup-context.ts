import { hostname } from 'node:os';
import type { EncryptionKey } from '../../backup/create-backup.js';
import { loadEncryptionKey } from '../../backup/encryption-key.js';
import { Catalog } from '../../backup/catalog.js';
import { createObjectStore } from '../../backup/object-store/factory.js';
import type { ObjectStore } from '../../backup/object-store/object-store.js';
import type { BackupSource, SnapshotSource } from '../../backup/source.js';
import { DirectorySource } from '../../backup/sources/directory.js';
import type { Manifest } from '../../backup/manifest.js';
import { PilotfishError } from '../../common/errors.js';
import type { RecipeTools } from '../../recipes/recipe.js';
import { configuredRecipe, loadRecipe, recipeNames } from '../../recipes/registry.js';
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

/** The source `backup create` reads: `--directory`, else the configured recipe's source of kind `--source` / `backup.source`. */
export async function sourceFor(context: BackupContext, flags: SourceFlags): Promise<BackupSource | SnapshotSource> {
  if (flags.directory) return new DirectorySource(flags.directory);
  const chosen = configuredRecipe(context.config.recipe);
  if (!chosen) {
    throw new PilotfishError('CONFIG_INVALID', 'recipe is missing: configure the recipe of this cluster (e.g. recipe.mysql), or back up a directory with --directory <path>');
  }
  const tools = (await loadRecipe(chosen.name)).tools(chosen.config);
  return tools.backupSource({ kind: flags.source ?? context.config.backup.source, socket: flags.socket, user: flags.user, secrets: context.secrets });
}

/**
 * The tools of the recipe that wrote `manifest` (for its restore and verify steps), with this
 * configuration's section for it when there is one.
 */
export async function toolsFor(context: BackupContext, manifest: Manifest): Promise<RecipeTools | undefined> {
  if (!(recipeNames as string[]).includes(manifest.recipe)) return undefined;
  const section = (context.config.recipe as Record<string, unknown> | undefined)?.[manifest.recipe];
  return (await loadRecipe(manifest.recipe)).tools(section);
}
