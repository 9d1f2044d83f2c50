import type { RecipeModule } from '../recipe.js';
import type { DirectoryRecipeConfig } from './config.js';
import { compareBackupIds, DirectoryRecipe, TrackedSnapshotSource } from './directory-recipe.js';
import { directoryLocal } from './local.js';
import { silentLogger } from '../../common/logger.js';
import { PilotfishError } from '../../common/errors.js';

/** The directory recipe plug-in, as `recipes/registry.ts` loads it. */
export const directoryRecipe: RecipeModule<DirectoryRecipeConfig> = {
  name: 'directory',
  create: (deps) => DirectoryRecipe.create(deps),
  local: directoryLocal,
  tools: (config) => ({
    async backupSource() {
      if (!config) throw new PilotfishError('CONFIG_INVALID', 'recipe.directory is missing: configure it, or back up any directory with --directory <path>');
      return new TrackedSnapshotSource(config, undefined, silentLogger());
    },
    prepareRestored: undefined,
    async verifyRestored() {
      return 'checksum and unpack ok';
    },
    comparePositions: compareBackupIds,
    backupsFromPrimary: true,
  }),
};
