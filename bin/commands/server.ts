import type { Command } from 'commander';
import { createLogger } from '../../common/logger.js';
import { loadAgentConfig } from '../../scheduler/agent/config.js';
import { startAgent } from '../../scheduler/agent/agent.js';
import { loadServerConfig } from '../../scheduler/server/config.js';
import { startServer } from '../../scheduler/server/server.js';

/** Resolves on the first SIGTERM or SIGINT. */
function shutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
}

/** `pilotfish server -c server.yaml` and `pilotfish agent -c agent.yaml`: the scheduler's two daemons. */
export function registerSchedulerDaemons(program: Command): void {
  program
    .command('server')
    .description('run the scheduler server (state, evaluations, plan applier, heartbeats, HTTP API)')
    .requiredOption('-c, --config <file>', 'server.yaml')
    .action(async (options: { config: string }) => {
      const config = await loadServerConfig(options.config);
      const logger = createLogger({ level: config.logLevel, base: { role: 'server' } });
      const server = await startServer(config, logger);
      const signal = await shutdownSignal();
      logger.info({ signal }, 'shutting down');
      await server.close();
    });
  program
    .command('agent')
    .description('run a node agent (fingerprint, heartbeats, allocations with the exec driver)')
    .requiredOption('-c, --config <file>', 'agent.yaml')
    .action(async (options: { config: string }) => {
      const config = await loadAgentConfig(options.config);
      const logger = createLogger({ level: config.logLevel, base: { role: 'agent' } });
      const agent = await startAgent(config, logger);
      const signal = await shutdownSignal();
      logger.info({ signal }, 'shutting down; tasks keep running');
      await agent.close();
    });
}
