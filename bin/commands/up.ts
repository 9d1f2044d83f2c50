import type { Command } from 'commander';
import { PilotfishError } from '../../common/errors.js';

/** `pilotfish up <recipe>`: a whole local cluster on this machine. */
export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description('run a local cluster of a recipe on this machine')
    .argument('[recipe]', 'recipe to run', 'mysql')
    .option('--members <n>', 'number of members', '3')
    .option('--dir <dir>', 'state directory', '.pilotfish')
    .action(async (recipe: string) => {
      throw new PilotfishError('RECIPE_FAILED', `pilotfish up ${recipe} is not available in this build yet`);
    });
}
