import type { Command } from 'commander';
import { parseDurationMs } from '../../common/duration.js';
import { PilotfishError } from '../../common/errors.js';
import type { Allocation, Node } from '../../scheduler/structs/index.js';
import { apiClient, type ApiOptions, printJson, printTable, short, when, withApiOptions } from './scheduler-cli.js';

function enableFlag(options: { enable?: boolean; disable?: boolean }, command: string): boolean {
  if (options.enable === options.disable) throw new PilotfishError('SCHEDULER_API', `${command}: give exactly one of --enable or --disable`);
  return options.enable === true;
}

/** `pilotfish node status|drain|eligibility`. */
export function registerNodeCommands(program: Command): void {
  const node = program.command('node').description('inspect and manage scheduler nodes');

  withApiOptions(node.command('status').description('list nodes, or show one node and its allocations'))
    .argument('[id]', 'node id, id prefix or name')
    .option('--json', 'print JSON')
    .action(async (id: string | undefined, options: ApiOptions) => {
      const client = apiClient(options);
      if (!id) {
        const nodes = await client.get<Node[]>('/v1/nodes');
        if (options.json) return printJson(nodes);
        printTable(
          ['ID', 'NAME', 'DC', 'RACK', 'ELIGIBILITY', 'DRAIN', 'STATUS'],
          nodes.map((n) => [short(n.id), n.name, n.datacenter, n.meta.rack ?? '-', n.schedulingEligibility, n.drain ? 'true' : 'false', n.status]),
        );
        return;
      }
      const out = await client.get<{ node: Node; allocs: Allocation[] }>(`/v1/node/${encodeURIComponent(id)}`);
      if (options.json) return printJson(out);
      const n = out.node;
      process.stdout.write(
        `ID          = ${n.id}\nName        = ${n.name}\nDatacenter  = ${n.datacenter}\nStatus      = ${n.status} (since ${when(n.statusUpdatedAtMs)})\n` +
          `Eligibility = ${n.schedulingEligibility}\nDrain       = ${n.drain ? 'true' : 'false'}\nResources   = cpu ${n.resources.cpuMhz} MHz, memory ${n.resources.memoryMb} MB, disk ${n.resources.diskMb} MB\n` +
          `Meta        = ${Object.entries(n.meta).map(([k, v]) => `${k}=${v}`).join(', ') || '-'}\n\nAllocations\n`,
      );
      printTable(['ID', 'NAME', 'DESIRED', 'STATUS'], out.allocs.map((a) => [short(a.id), a.name, a.desiredStatus, a.clientStatus]));
    });

  withApiOptions(node.command('drain').description('move allocations off a node (it becomes ineligible), or end a drain'))
    .argument('<id>', 'node id, id prefix or name')
    .option('--enable', 'start draining')
    .option('--disable', 'stop draining and make the node eligible again')
    .option('--deadline <duration>', 'after this, remaining allocations are stopped regardless (e.g. 1m)', '0')
    .action(async (id: string, options: ApiOptions & { enable?: boolean; disable?: boolean; deadline: string }) => {
      const enable = enableFlag(options, 'node drain');
      const deadlineMs = parseDurationMs(options.deadline);
      if (deadlineMs === undefined) throw new PilotfishError('SCHEDULER_API', `--deadline ${options.deadline} is not a duration; write it like 1m or 30s`);
      const out = await apiClient(options).post<Node>(`/v1/node/${encodeURIComponent(id)}/drain`, { enable, deadlineMs });
      process.stdout.write(`Node ${out.name} (${short(out.id)}) drain ${enable ? 'enabled' : 'disabled'}\n`);
    });

  withApiOptions(node.command('eligibility').description('allow or forbid new placements on a node'))
    .argument('<id>', 'node id, id prefix or name')
    .option('--enable', 'eligible for new allocations')
    .option('--disable', 'ineligible; running allocations stay')
    .action(async (id: string, options: ApiOptions & { enable?: boolean; disable?: boolean }) => {
      const eligible = enableFlag(options, 'node eligibility');
      const out = await apiClient(options).post<Node>(`/v1/node/${encodeURIComponent(id)}/eligibility`, { eligible });
      process.stdout.write(`Node ${out.name} (${short(out.id)}) is ${out.schedulingEligibility}\n`);
    });
}
