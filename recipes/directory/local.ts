import { join } from 'node:path';
import { PilotfishError } from '../../common/errors.js';
import type { LocalRecipe } from '../recipe.js';

/** `pilotfish up directory --command '<app and args>'`: each member's copy under `members/<name>/data`. */
export const directoryLocal: LocalRecipe = {
  memberPrefix: 'app',
  secrets: [],
  section: (member, options) => {
    const command = options.command;
    if (!Array.isArray(command) || command.length === 0) {
      throw new PilotfishError('CONFIG_INVALID', "--command: up directory needs the application to run, e.g. --command 'python3 -m http.server'");
    }
    return { command, path: join(member.memberDir, 'data'), port: member.port };
  },
  connectionLines: (primary, others) => [
    `primary: ${primary.name} runs the application on ${join(primary.memberDir, 'data')} (port ${primary.port})`,
    ...others.map((m) => `standby ${m.name}: keeps ${join(m.memberDir, 'data')} warm from the backups`),
  ],
};
