import type { Command } from 'commander';
import { PilotfishError } from '../../common/errors.js';
import { ApiClient } from '../../scheduler/api/client.js';
import type { Allocation } from '../../scheduler/structs/index.js';
import { apiClient, type ApiOptions, printJson, printTable, short, when, withApiOptions } from './scheduler-cli.js';

interface AllocOut {
  alloc: Allocation;
  node: { id: string; name: string; httpAddress: string; status: string } | null;
}

/** `pilotfish alloc status|logs`. */
export function registerAllocCommands(program: Command): void {
  const alloc = program.command('alloc').description('inspect allocations');

  withApiOptions(alloc.command('status').description('show an allocation, its tasks and their events'))
    .argument('<id>', 'allocation id or prefix')
    .option('--json', 'print JSON')
    .action(async (id: string, options: ApiOptions) => {
      const out = await apiClient(options).get<AllocOut>(`/v1/allocation/${encodeURIComponent(id)}`);
      if (options.json) return printJson(out);
      const a = out.alloc;
      process.stdout.write(
        `ID            = ${a.id}\nName          = ${a.name}\nNode          = ${a.nodeName} (${short(a.nodeId)})\nJob Version   = ${a.jobVersion}\n` +
          `Desired       = ${a.desiredStatus}${a.desiredDescription ? ` (${a.desiredDescription})` : ''}\nClient Status = ${a.clientStatus}${a.clientDescription ? ` (${a.clientDescription})` : ''}\n` +
          `Previous      = ${a.previousAllocation || '-'}\nNext          = ${a.nextAllocation || '-'}\n`,
      );
      for (const [task, state] of Object.entries(a.taskStates)) {
        process.stdout.write(`\nTask ${task}: ${state.state}${state.failed ? ' (failed)' : ''}, restarts ${state.restarts}\n`);
        printTable(['TIME', 'TYPE', 'MESSAGE'], state.events.map((e) => [when(e.timeMs), e.type, e.message]));
      }
    });

  withApiOptions(alloc.command('logs').description("print a task's stdout (or stderr) from the node that runs it"))
    .argument('<id>', 'allocation id or prefix')
    .argument('[task]', 'task name (default: the only task)')
    .option('--stderr', 'print stderr instead of stdout')
    .action(async (id: string, task: string | undefined, options: ApiOptions & { stderr?: boolean }) => {
      const client = apiClient(options);
      const out = await client.get<AllocOut>(`/v1/allocation/${encodeURIComponent(id)}`);
      const tasks = Object.keys(out.alloc.taskStates);
      const name = task ?? (tasks.length === 1 ? tasks[0] : undefined);
      if (!name) throw new PilotfishError('SCHEDULER_API', `allocation ${short(out.alloc.id)} has tasks ${tasks.join(', ') || '(none yet)'}; name one`);
      if (!out.node?.httpAddress) throw new PilotfishError('SCHEDULER_API', `the node of allocation ${short(out.alloc.id)} has no agent address`);
      // The agent serves logs itself; it accepts the same token.
      const agent = new ApiClient({ address: out.node.httpAddress, token: options.token ?? process.env.PILOTFISH_TOKEN ?? '' });
      const type = options.stderr ? 'stderr' : 'stdout';
      let offset = 0;
      for (;;) {
        const page = await agent.get<{ data: string; offset: number; size: number }>(
          `/v1/client/allocation/${out.alloc.id}/logs/${encodeURIComponent(name)}?type=${type}&offset=${offset}`,
        );
        process.stdout.write(page.data);
        if (page.offset >= page.size || page.offset === offset) break;
        offset = page.offset;
      }
    });
}
