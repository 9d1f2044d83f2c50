import type { Command } from 'commander';
import { redactSecrets } from '../../common/redact.js';
import { loadPilotfishConfig } from '../../supervisor/config.js';

/** `pilotfish config check -c pilotfish.yaml`: validates and prints the effective configuration, secrets redacted. */
export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('inspect configuration');
  config
    .command('check')
    .description('validate a configuration file (with PILOTFISH_* overrides) and print the result')
    .requiredOption('-c, --config <file>', 'pilotfish.yaml')
    .action(async (options: { config: string }) => {
      const parsed = await loadPilotfishConfig(options.config);
      process.stdout.write(`${JSON.stringify(redactSecrets(parsed), null, 2)}\n`);
    });
}
