import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isPilotfishError, PilotfishError } from '../../common/errors.js';
import type { BackupSource } from '../../backup/source.js';
import type { BackupSourceRequest, RecipeModule, RecipeTools } from '../recipe.js';
import { MysqlLogicalSource } from './backup/logical-source.js';
import type { MysqlConnection } from './backup/option-file.js';
import { MysqlPhysicalSource } from './backup/physical-source.js';
import { mysqlRestorePrepare } from './backup/prepare.js';
import type { MysqlRecipeConfig } from './config.js';
import { comparePositions } from './gtid.js';
import { MysqlRecipe } from './mysql-recipe.js';
import { mysqlLocal } from './local.js';

/** The MySQL/MariaDB recipe plug-in, as `recipes/registry.ts` loads it. */
export const mysqlRecipe: RecipeModule<MysqlRecipeConfig> = {
  name: 'mysql',
  create: (deps) => MysqlRecipe.create(deps),
  local: mysqlLocal,
  tools: (config) => mysqlTools(config),
};

function mysqlTools(config: MysqlRecipeConfig | undefined): RecipeTools {
  return {
    backupSource: (request) => backupSource(config, request),
    prepareRestored: mysqlRestorePrepare(config?.binaries.backup),
    async verifyRestored(dir, manifest, { startApplication }) {
      if (manifest.format !== 'xbstream') return 'checksum and unpack ok';
      // Loaded on demand: the MySQL client library is only needed here.
      const { verifyMysqlDir } = await import('./backup/verify.js');
      const serverBinary = config?.binaries.server ?? '/usr/sbin/mariadbd';
      const { tables } = await verifyMysqlDir(dir, { startServer: startApplication, serverBinary });
      return startApplication ? `prepared; mariadbd started and listed ${tables} InnoDB tables` : 'prepared files present';
    },
    comparePositions,
  };
}

/** `backup create` on a running member: the socket beside the data directory when present, else host:port. */
async function backupSource(config: MysqlRecipeConfig | undefined, request: BackupSourceRequest): Promise<BackupSource> {
  if (!config) {
    throw new PilotfishError('CONFIG_INVALID', 'recipe.mysql is missing: configure it, or back up a directory with --directory <path>');
  }
  const runDir = config.runDir ?? join(dirname(config.dataDir), 'run');
  const socket = request.socket ?? (existsSync(join(runDir, 'mysqld.sock')) ? join(runDir, 'mysqld.sock') : undefined);
  const connection: MysqlConnection = { user: request.user ?? config.users.backup, ...(socket ? { socket } : { host: config.host, port: config.port }) };
  try {
    connection.password = await request.secrets.get(`${request.user ?? 'backup'}-password`);
  } catch (err) {
    if (!isPilotfishError(err, 'SECRET_NOT_FOUND')) throw err;
  }
  if (request.kind === 'logical') return new MysqlLogicalSource({ connection, binary: config.binaries.dump });
  if (request.kind === 'physical') return new MysqlPhysicalSource({ connection, binary: config.binaries.backup, dataDir: config.dataDir });
  throw new PilotfishError('CONFIG_INVALID', `--source ${request.kind} is not one of physical, logical`);
}
