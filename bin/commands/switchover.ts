import type { Command } from 'commander';
import { PilotfishError } from '../../common/errors.js';
import { silentLogger } from '../../common/logger.js';
import { clusterRecipe, loadRecipe, type RecipeConfigs } from '../../recipes/registry.js';
import type { MemberRecord } from '../../coordination/coordinator.js';
import { loadPilotfishConfig } from '../../supervisor/config.js';
import { createCoordinator } from '../../coordination/factory.js';
import { bestCandidate } from '../../supervisor/ha/candidates.js';
import { SWITCHOVER, writeKey, type SwitchoverRequest } from '../../supervisor/cluster-keys.js';

/**
 * `pilotfish switchover -c pilotfish.yaml [--to <member>]`: a planned handover with no loss. Writes
 * the `switchover` key; the primary turns read-only, waits until the target has everything, and
 * releases the lease, which only the target takes. Without `--to`, the most advanced healthy
 * replica is chosen. Waits until the new primary is in place and prints how long writes paused.
 */
export function registerSwitchoverCommand(program: Command): void {
  program
    .command('switchover')
    .description('hand the primary role to another member without losing writes')
    .requiredOption('-c, --config <file>', 'pilotfish.yaml')
    .option('--to <member>', 'member to become primary (default: the most advanced healthy replica)')
    .option('--timeout <seconds>', 'how long to wait for the new primary', '30')
    .action(async (options: { config: string; to?: string; timeout: string }) => {
      const config = await loadPilotfishConfig(options.config);
      const coordinator = await createCoordinator(config.coordinator, { cluster: config.cluster, logger: silentLogger() });
      try {
        const leader = await coordinator.getLeader();
        if (!leader) throw new PilotfishError('RECIPE_FAILED', `cluster ${config.cluster} has no primary to switch over from`);
        const replicas = (await coordinator.listMembers()).filter((m) => m.role === 'replica' && m.healthy && !m.tags.includes('nofailover'));
        const to = options.to ?? (await mostAdvanced(config.recipe, replicas));
        if (!to || !replicas.some((m) => m.name === to)) {
          const names = replicas.map((m) => m.name).join(', ') || 'none';
          throw new PilotfishError('RECIPE_FAILED', `--to: ${options.to ?? '(automatic)'} is not a healthy replica; healthy replicas: ${names}`);
        }
        const request: SwitchoverRequest = { from: leader.member, to, at: new Date().toISOString() };
        const t0 = Date.now();
        await writeKey(coordinator, SWITCHOVER, request);
        const deadline = t0 + Number(options.timeout) * 1000;
        while (Date.now() < deadline) {
          const now = await coordinator.getLeader().catch(() => null);
          if (now?.member === to) {
            process.stdout.write(`switched over from ${leader.member} to ${to} in ${Date.now() - t0} ms\n`);
            return;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new PilotfishError('RECIPE_FAILED', `${to} did not become primary within ${options.timeout}s; see the members' logs`);
      } finally {
        await coordinator.close();
      }
    });
}

/** The replica the HA loop would rank first, by the cluster's recipe's order of positions. */
async function mostAdvanced(configs: RecipeConfigs | undefined, replicas: MemberRecord[]): Promise<string | undefined> {
  const recipe = clusterRecipe(configs, replicas);
  if (!recipe) {
    throw new PilotfishError('CONFIG_INVALID', 'switchover: neither the configuration nor the members name the recipe, so replicas cannot be ranked; name the target with --to');
  }
  const tools = (await loadRecipe(recipe.name)).tools(recipe.config);
  return bestCandidate(replicas, tools.comparePositions)?.name;
}
