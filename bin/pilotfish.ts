#!/usr/bin/env node
import { Command } from 'commander';
import { describeError, isPilotfishError } from '../common/errors.js';
import { registerBackupCommands } from './commands/backup.js';
import { registerConfigCommands } from './commands/config.js';
import { registerStatusCommand } from './commands/status.js';
import { registerSuperviseCommand } from './commands/supervise.js';
import { registerSwitchoverCommand } from './commands/switchover.js';
import { registerUpCommand } from './commands/up.js';
import { registerSchedulerDaemons } from './commands/server.js';
import { registerJobCommands } from './commands/job.js';
import { registerNodeCommands } from './commands/node.js';
import { registerAllocCommands } from './commands/alloc.js';

const program = new Command('pilotfish')
  .description('Makes stateful applications disposable to the scheduler.')
  .version('0.1.0')
  .showHelpAfterError();

registerBackupCommands(program);
registerConfigCommands(program);
registerUpCommand(program);
registerSuperviseCommand(program);
registerStatusCommand(program);
registerSwitchoverCommand(program);
registerSchedulerDaemons(program);
registerJobCommands(program);
registerNodeCommands(program);
registerAllocCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const code = isPilotfishError(err) ? ` [${err.code}]` : '';
  process.stderr.write(`pilotfish: ${describeError(err)}${code}\n`);
  process.exitCode = 1;
}
