import type { Command } from 'commander';
import { createLogger } from '../../common/logger.js';
import { PilotfishError } from '../../common/errors.js';
import { configuredRecipe, loadRecipe } from '../../recipes/registry.js';
import { loadPilotfishConfig } from '../../supervisor/config.js';
import { supervise } from '../../supervisor/supervisor.js';

/** `pilotfish supervise -c pilotfish.yaml`: the container entrypoint, beside the database it keeps. */
export function registerSuperviseCommand(program: Command): void {
  program
    .command('supervise')
    .description('run the supervisor: prepare data, run the database, keep one primary, back up')
    .requiredOption('-c, --config <file>', 'pilotfish.yaml')
    .action(async (options: { config: string }) => {
      const config = await loadPilotfishConfig(options.config);
      const logger = createLogger({ level: config.log.level, base: { cluster: config.cluster, member: config.member?.name } });
      const chosen = configuredRecipe(config.recipe);
      if (!chosen) throw new PilotfishError('CONFIG_INVALID', `${options.config}: recipe is missing; add the section of the application this member runs (e.g. recipe.mysql)`);
      await supervise(config, await loadRecipe(chosen.name), logger);
    });
}
