import { readdir, readFile } from 'node:fs/promises';
import type { Logger } from '../../common/logger.js';
import { backoffDelayMs, delay } from '../../common/retry.js';
import type { Allocation, Job } from '../structs/index.js';
import { isTerminal } from '../structs/index.js';
import { allocDirOf, type AllocDir } from './alloc-dir.js';
import { AllocRunner, type PersistedAlloc } from './alloc-runner.js';
import type { AgentHooks } from './hook-list.js';
import { isSameProcessAlive } from '../../common/process-identity.js';
import type { NodeRegistration } from './registration.js';
import { needsRegistration } from './registration.js';
import type { StatusReporter } from './reporter.js';

/** How long one allocation long-poll waits on the server. */
const WATCH_WAIT_MS = 20_000;

/** Whether any of the allocation's tasks, as recorded in its pid files, still runs. */
async function anyTaskAlive(dir: AllocDir, tasks: readonly string[]): Promise<boolean> {
  for (const task of tasks) {
    try {
      const doc = JSON.parse(await readFile(dir.pidFile(task), 'utf8')) as { pid: number; startTime: string };
      if (isSameProcessAlive(doc.pid, doc.startTime)) return true;
    } catch {
      // no pid file: the task never started
    }
  }
  return false;
}

export interface AllocSyncDeps {
  /** The runners by allocation id; shared with the agent's API, which serves only known allocations. */
  runners: Map<string, AllocRunner>;
  allocsDir: string;
  nodeId: string;
  registration: NodeRegistration;
  reporter: StatusReporter;
  hooks: AgentHooks;
  baseEnv: Record<string, string>;
  logger: Logger;
}

/**
 * The node's allocations: a runner per allocation the server assigned, kept in step with the
 * server's list through a long poll. Allocations that ran before an agent restart are resumed
 * from their directories first, when one of their tasks still runs.
 */
export class AllocSync {
  readonly runners: Map<string, AllocRunner>;

  constructor(private readonly deps: AllocSyncDeps) {
    this.runners = deps.runners;
  }

  private add(alloc: Allocation, job: Job, restored?: PersistedAlloc): void {
    const { allocsDir, logger, reporter, baseEnv, hooks } = this.deps;
    const runner = new AllocRunner(alloc, job, allocDirOf(allocsDir, alloc.id), logger, (r) => reporter.push(r), baseEnv, restored, hooks);
    this.runners.set(alloc.id, runner);
    runner.start();
    if (alloc.desiredStatus !== 'run') void runner.stop();
  }

  /** Resumes what ran before a restart, before the server is even asked. */
  async resumeFromDisk(): Promise<void> {
    const { allocsDir, logger } = this.deps;
    for (const entry of await readdir(allocsDir).catch(() => [] as string[])) {
      try {
        const doc = JSON.parse(await readFile(allocDirOf(allocsDir, entry).allocFile, 'utf8')) as PersistedAlloc;
        if (doc.alloc.desiredStatus !== 'run' || doc.clientStatus === 'complete' || doc.clientStatus === 'failed') continue;
        // Only allocations with a task still running are resumed blind; the others wait for the
        // server's word, which may be that they were replaced while this agent was away.
        if (!(await anyTaskAlive(allocDirOf(allocsDir, entry), Object.keys(doc.taskStates)))) continue;
        this.add(doc.alloc, doc.job, doc);
        logger.info({ allocId: doc.alloc.id, alloc: doc.alloc.name }, 'restored allocation from disk');
      } catch {
        // not an allocation directory, or written half by a crash: the server's view wins
      }
    }
  }

  private reconcile(entries: { alloc: Allocation; job: Job }[]): void {
    const listed = new Set<string>();
    for (const { alloc, job } of entries) {
      listed.add(alloc.id);
      const runner = this.runners.get(alloc.id);
      if (runner) {
        runner.update(alloc);
        continue;
      }
      if (!isTerminal(alloc) && job) this.add(alloc, job);
    }
    for (const [id, runner] of this.runners) if (!listed.has(id) && !runner.terminal) void runner.stop();
  }

  /** Long-polls the node's allocations until `signal` aborts; tasks keep running while the server is away. */
  async watchLoop(signal: AbortSignal): Promise<void> {
    const { registration, nodeId, logger } = this.deps;
    let index = 0;
    let failures = 0;
    while (!signal.aborted) {
      try {
        const out = await registration.client().get<{ index: number; allocs: { alloc: Allocation; job: Job }[] }>(
          `/v1/node/${nodeId}/allocations?index=${index}&waitMs=${WATCH_WAIT_MS}`,
          { timeoutMs: WATCH_WAIT_MS + 10_000, signal },
        );
        failures = 0;
        if (out.index !== index) this.reconcile(out.allocs);
        // A server restarted from an older snapshot may go back in index: start over.
        index = out.index < index ? 0 : out.index;
      } catch (err) {
        if (signal.aborted) return;
        failures += 1;
        if (failures === 1 || failures % 20 === 0) logger.warn({ err: String(err) }, 'cannot watch allocations; tasks keep running; will retry');
        if (needsRegistration(err)) await registration.register(signal);
        await delay(backoffDelayMs(failures, { initialMs: 250, maxMs: 5_000, jitter: 0.2 }), signal).catch(() => undefined);
      }
    }
  }
}
