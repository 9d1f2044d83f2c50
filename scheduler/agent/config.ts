import { z } from 'zod';
import { applyEnvOverrides, durationMs, parseConfig, readConfigFile } from '../../common/config.js';

const resources = z
  .object({
    cpuMhz: z.number().int().positive().optional(),
    memoryMb: z.number().int().positive().optional(),
    diskMb: z.number().int().positive().optional(),
  })
  .strict();

/**
 * `agent.yaml`:
 *
 * ```yaml
 * server: 127.0.0.1:4646        # the scheduler server's API
 * token: <token>                # or PILOTFISH_TOKEN; the management token in part 1
 * dataDir: /var/lib/pilotfish/agent
 * name: node-1                  # default: the host name
 * datacenter: dc1
 * nodeClass: ""
 * meta: { rack: r1 }
 * httpAddress: 127.0.0.1:0      # the agent's own API (logs; migrations later); port 0 picks one
 * resources: { cpuMhz: 4000, memoryMb: 4096, diskMb: 10000 }   # override detected capacity
 * reserved: { cpuMhz: 0, memoryMb: 0, diskMb: 0 }
 * host_volume:                  # directories offered to jobs (volumes/host-volume-config.ts)
 *   mysql-data: { path: /srv/mysql, read_only: false }
 *   data[0]: { path: /srv/data0 }  # per_alloc volumes: allocation index 0 of `source = "data"`
 * migrateWaitForDownNode: 30s    # wait for a down previous node before starting without its data
 * gc_interval: 1m               # terminal allocation directories are collected this often (Nomad's default)
 * gc_max_allocs: 50             # beyond this many allocation directories, terminal ones go oldest first
 * gc_max_age: 24h               # terminal allocation directories older than this go
 * ```
 */
export const agentConfigSchema = z
  .object({
    server: z.string().min(1, 'must be the server address, e.g. 127.0.0.1:4646'),
    token: z.string().min(1, 'must be the token the agent presents to the server'),
    dataDir: z.string().min(1, 'must name a directory for allocations and the node identity'),
    name: z.string().min(1).optional(),
    datacenter: z.string().min(1).default('dc1'),
    nodeClass: z.string().default(''),
    meta: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({}),
    httpAddress: z
      .string()
      .regex(/^[^:\s]+:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:0')
      .default('127.0.0.1:0'),
    resources: resources.default({}),
    reserved: resources.default({}),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
    /** Validated by parseHostVolumes (paths must exist), which names each field on error. */
    host_volume: z.record(z.string(), z.unknown()).default({}),
    /** How often each allocation's disk usage is measured against ephemeral_disk.size. */
    diskWatchIntervalMs: z.number().int().min(10).default(10_000),
    /** An allocation is failed past ephemeral_disk.size times this. */
    diskHardLimitFactor: z.number().min(1).default(1.2),
    /** How often terminal allocation directories are collected (Nomad gc_interval). */
    gc_interval: durationMs({ minMs: 1000, maxMs: 86_400_000 }).default(60_000),
    /** Allocation directories kept before terminal ones are removed, oldest first (Nomad gc_max_allocs). */
    gc_max_allocs: z.number().int('must be a whole number').min(1, 'must be at least 1').default(50),
    /** Terminal allocation directories older than this are removed (no Nomad equivalent; its server GC plays the part). */
    gc_max_age: durationMs({ minMs: 1000 }).default(86_400_000),
    /**
     * How long a migrating allocation waits for its previous node to come back when that node is
     * down, before it starts empty with PILOTFISH_DATA_LOST=1 (a duration: 30s, 1m; 0 = no wait).
     */
    migrateWaitForDownNode: durationMs({ minMs: 0, maxMs: 3_600_000, hint: 'a migrating allocation does not start while it waits' }).default(30_000),
  })
  .strict();

/** The parsed, frozen agent configuration. */
export type AgentConfig = z.output<typeof agentConfigSchema>;

/** Reads, overrides (`PILOTFISH_TOKEN`, `PILOTFISH_SERVER`, …) and validates `agent.yaml`. */
export async function loadAgentConfig(path: string, env: NodeJS.ProcessEnv = process.env): Promise<AgentConfig> {
  const raw = await readConfigFile(path);
  const withEnv = applyEnvOverrides(raw, env, ['server', 'token', 'dataDir', 'name', 'datacenter', 'httpAddress', 'logLevel']);
  return parseConfig(agentConfigSchema, withEnv, path);
}
