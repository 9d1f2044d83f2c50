import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../../common/logger.js';
import { agentGcVictims, collectAllocDirs, type AgentGcDeps } from '../../../../scheduler/agent/alloc-gc.js';
import { agentConfigSchema } from '../../../../scheduler/agent/config.js';
import { mockAlloc } from '../../../../scheduler/scheduling/testing/mock.js';
import type { Allocation } from '../../../../scheduler/structs/index.js';
import { tempDir } from '../../../support/tmp.js';

const CONFIG = { intervalMs: 1000, maxAllocs: 3, maxAgeMs: 10_000 };
const NOW = 1_000_000;

let dir: { path: string; remove(): void } | undefined;
afterEach(() => {
  dir?.remove();
  dir = undefined;
});

/** An allocation directory with alloc.json last changed at `changedAtMs`. */
function allocDir(root: string, id: string, clientStatus: string, changedAtMs: number): Allocation {
  const alloc = mockAlloc(id, 'n1', 100, { clientStatus: clientStatus as Allocation['clientStatus'] });
  mkdirSync(join(root, id, 'alloc', 'data'), { recursive: true });
  const file = join(root, id, 'alloc.json');
  writeFileSync(file, JSON.stringify({ alloc, job: {}, clientStatus, taskStates: {} }));
  utimesSync(file, changedAtMs / 1000, changedAtMs / 1000);
  return alloc;
}

function deps(root: string, overrides: Partial<AgentGcDeps> = {}): AgentGcDeps {
  return {
    allocsDir: root,
    config: CONFIG,
    fetchServerView: async () => ({ allocs: [], keep: [] }),
    runners: new Map(),
    forgetRunner: () => undefined,
    inFlight: () => false,
    logger: createLogger({ level: 'silent' }),
    now: () => NOW,
    ...overrides,
  };
}

describe('agent garbage collection', () => {
  it('AgentGcVictims_overMaxAllocsOrTooOld_oldestTerminalFirst', () => {
    const e = (id: string, terminal: boolean, ageMs: number) => ({ id, terminal, changedAtMs: NOW - ageMs });
    // five directories, max 3: the two oldest terminal ones go; the running one never does
    const entries = [e('run', false, 99_000), e('t1', true, 5_000), e('t2', true, 4_000), e('t3', true, 3_000), e('t4', true, 2_000)];
    expect(agentGcVictims(entries, new Set(), NOW, CONFIG)).toEqual(['t1', 't2']);
    // kept ids are skipped; the next oldest goes instead
    expect(agentGcVictims(entries, new Set(['t1']), NOW, CONFIG)).toEqual(['t2', 't3']);
    // under the count, only age decides
    expect(agentGcVictims([e('a', true, 11_000), e('b', true, 9_000)], new Set(), NOW, CONFIG)).toEqual(['a']);
  });

  it('AgentGc_collect_removesOldTerminalDirsButNeverKeptInFlightOrUnreadable', async () => {
    dir = tempDir();
    const root = dir.path;
    allocDir(root, 'old', 'complete', NOW - 60_000);
    allocDir(root, 'kept', 'complete', NOW - 60_000);
    allocDir(root, 'streaming', 'complete', NOW - 60_000);
    allocDir(root, 'young', 'complete', NOW - 1_000);
    const running = allocDir(root, 'running', 'running', NOW - 60_000);
    mkdirSync(join(root, 'garbage'));
    writeFileSync(join(root, 'garbage', 'alloc.json'), '{ half');
    const removed = await collectAllocDirs(
      deps(root, {
        fetchServerView: async () => ({ allocs: [{ alloc: running }], keep: ['kept'] }),
        inFlight: (id) => id === 'streaming',
      }),
    );
    // five readable directories, max 3: the oldest terminal ones that may go, go ("young" by count)
    expect(removed).toEqual(['old', 'young']);
    for (const id of ['kept', 'streaming', 'running', 'garbage']) expect(existsSync(join(root, id)), id).toBe(true);
    for (const id of ['old', 'young']) expect(existsSync(join(root, id)), id).toBe(false);
  });

  it('AgentGc_serverUnreachable_removesNothing', async () => {
    dir = tempDir();
    allocDir(dir.path, 'old', 'complete', NOW - 60_000);
    const removed = await collectAllocDirs(deps(dir.path, { fetchServerView: () => Promise.reject(new Error('ECONNREFUSED')) }));
    expect(removed).toEqual([]);
    expect(existsSync(join(dir.path, 'old'))).toBe(true);
  });

  it('AgentGc_localSuccessorStillStarting_keepsItsPreviousAllocation', async () => {
    dir = tempDir();
    allocDir(dir.path, 'prev', 'complete', NOW - 60_000);
    const successor = mockAlloc('next', 'n1', 100, { previousAllocation: 'prev', clientStatus: 'pending' });
    const runners = new Map([['next', { terminal: false, allocation: successor, destroy: async () => undefined }]]);
    expect(await collectAllocDirs(deps(dir.path, { runners }))).toEqual([]);
    expect(existsSync(join(dir.path, 'prev'))).toBe(true);
  });

  it('AgentConfig_gcFields_defaultsAndFieldPathOnBadValues', () => {
    const base = { server: '127.0.0.1:4646', token: 't', dataDir: '/tmp/x' };
    expect(agentConfigSchema.parse(base)).toMatchObject({ gc_interval: 60_000, gc_max_allocs: 50, gc_max_age: 86_400_000 });
    const bad = agentConfigSchema.safeParse({ ...base, gc_max_allocs: 0, gc_interval: 'often' });
    expect(bad.success).toBe(false);
    const paths = bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(paths).toContain('gc_max_allocs: must be at least 1');
    expect(paths.some((p) => p.startsWith('gc_interval: is not a duration'))).toBe(true);
  });
});
