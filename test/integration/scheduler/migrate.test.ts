import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { type Server, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isPilotfishError } from '../../../common/errors.js';
import type { AllocHookContext } from '../../../scheduler/agent/hooks.js';
import { migrationGuardHook } from '../../../scheduler/agent/migrate/gc-guard-hook.js';
import { waitFor } from '../../support/wait.js';
import { pullSnapshot } from '../../../scheduler/agent/migrate/pull.js';
import { CHECKSUM_TRAILER, MigrationSource } from '../../../scheduler/agent/migrate/source.js';
import { issueMigrationToken } from '../../../scheduler/migration/token.js';
import { craftTar } from '../../support/tar-craft.js';
import { tempDir } from '../../support/tmp.js';

const key = randomBytes(32);
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  cleanups.push(() => server.closeAllConnections());
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function workspace(): string {
  const dir = tempDir('pf-mig-');
  cleanups.push(() => dir.remove());
  return dir.path;
}

/** An allocation directory with data of mixed sizes, a symlink, a hard link, odd modes and owners. */
function seedAlloc(allocsDir: string, allocId: string): string {
  const root = join(allocsDir, allocId);
  mkdirSync(join(root, 'alloc', 'data', 'nested', 'deeper'), { recursive: true });
  mkdirSync(join(root, 'alloc', 'logs'), { recursive: true });
  mkdirSync(join(root, 'web', 'local'), { recursive: true });
  mkdirSync(join(root, 'web', 'secrets'), { recursive: true });
  writeFileSync(join(root, 'alloc', 'data', 'small.txt'), 'hello\n');
  writeFileSync(join(root, 'alloc', 'data', 'nested', 'deeper', 'big.bin'), randomBytes(3 * 1024 * 1024 + 17));
  writeFileSync(join(root, 'alloc', 'data', `${'long-name-'.repeat(15)}.txt`), 'long');
  chmodSync(join(root, 'alloc', 'data', 'small.txt'), 0o640);
  symlinkSync('nested/deeper/big.bin', join(root, 'alloc', 'data', 'link'));
  execFileSync('ln', [join(root, 'alloc', 'data', 'small.txt'), join(root, 'alloc', 'data', 'hard.txt')]);
  if (process.getuid?.() === 0) chownSync(join(root, 'alloc', 'data', 'small.txt'), 1234, 2345);
  writeFileSync(join(root, 'alloc', 'logs', 'web.stdout.0'), 'not migrated');
  writeFileSync(join(root, 'web', 'local', 'state.json'), '{"n":1}');
  writeFileSync(join(root, 'web', 'secrets', 'token'), 'not migrated');
  return root;
}

function snapshotOf(dir: string, rel = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const path = join(dir, rel, name);
    const st = lstatSync(path);
    const key = join(rel, name);
    const meta = `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
    if (st.isSymbolicLink()) out[key] = `link ${readlinkSync(path)}`;
    else if (st.isDirectory()) Object.assign(out, { [key]: `dir ${meta}` }, snapshotOf(dir, key));
    else out[key] = `file ${meta} ${st.nlink} ${readFileSync(path).toString('base64')}`;
  }
  return out;
}

async function startSource(allocsDir: string, idleTimeoutMs?: number): Promise<{ source: MigrationSource; url: string }> {
  const source = new MigrationSource({ tokenKey: key, allocsDir, ...(idleTimeoutMs === undefined ? {} : { idleTimeoutMs }) });
  const { url } = await listen((req, res) => {
    if (!source.handle(req, res)) res.writeHead(404).end();
  });
  return { source, url };
}

const token = (prevAllocId = 'a1', destNodeId = 'node-b', ttlMs = 60_000): string =>
  issueMigrationToken(key, { prevAllocId, destNodeId, expiresAtMs: Date.now() + ttlMs });

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

describe('allocation data migration', () => {
  it('Migration_pull_dataIsByteIdenticalWithModesOwnersAndLinks', async () => {
    const ws = workspace();
    const root = seedAlloc(join(ws, 'src'), 'a1');
    const { url } = await startSource(join(ws, 'src'));
    const target = join(ws, 'dst', 'a1-data');
    const result = await pullSnapshot({ sourceUrl: url, prevAllocId: 'a1', token: token(), destNodeId: 'node-b', targetDir: target });
    expect(result.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(snapshotOf(join(target, 'alloc', 'data'))).toEqual(snapshotOf(join(root, 'alloc', 'data')));
    expect(snapshotOf(join(target, 'web', 'local'))).toEqual(snapshotOf(join(root, 'web', 'local')));
    expect(existsSync(join(target, 'alloc', 'logs'))).toBe(false);
    expect(existsSync(join(target, 'web', 'secrets'))).toBe(false);
    expect(readdirSync(join(ws, 'dst'))).toEqual(['a1-data']);
  });

  it('Migration_pull_refusesMissingWrongExpiredAndMisboundTokens', async () => {
    const ws = workspace();
    seedAlloc(join(ws, 'src'), 'a1');
    seedAlloc(join(ws, 'src'), 'a2');
    const { url } = await startSource(join(ws, 'src'));
    const cases: [string, string, number][] = [
      ['', 'node-b', 401],
      [`${token().slice(0, -4)}AAAA`, 'node-b', 403],
      [issueMigrationToken(randomBytes(32), { prevAllocId: 'a1', destNodeId: 'node-b', expiresAtMs: Date.now() + 60_000 }), 'node-b', 403],
      [token('a1', 'node-b', -1), 'node-b', 403],
      [token('a2'), 'node-b', 403],
      [token(), 'node-c', 403],
    ];
    for (const [given, node, status] of cases) {
      const target = join(ws, 'dst', `t${status}-${randomBytes(3).toString('hex')}`);
      const err = await failure(pullSnapshot({ sourceUrl: url, prevAllocId: 'a1', token: given, destNodeId: node, targetDir: target }));
      expect(isPilotfishError(err, 'MIGRATION_FAILED') && err.details?.status).toBe(status);
      expect(existsSync(target)).toBe(false);
    }
    expect(existsSync(join(ws, 'dst')) ? readdirSync(join(ws, 'dst')) : []).toEqual([]);
  });

  it('Migration_pull_rejectsEscapingEntriesAndWritesNothingOutside', async () => {
    const ws = workspace();
    const outside = `pf-escape-${randomBytes(4).toString('hex')}`;
    for (const evil of [`../${outside}`, `/tmp/${outside}`, `alloc/../../${outside}`]) {
      const archive = craftTar([
        { name: 'alloc/', type: '5', mode: 0o755 },
        { name: 'alloc/data/ok', data: 'fine' },
        { name: evil, data: 'evil' },
      ]);
      const { url } = await listen((_req, res) => {
        res.writeHead(200, { trailer: CHECKSUM_TRAILER });
        res.addTrailers({ [CHECKSUM_TRAILER]: '0'.repeat(64) });
        res.end(archive);
      });
      const target = join(ws, 'dst', 'data');
      const err = await failure(pullSnapshot({ sourceUrl: url, prevAllocId: 'a1', token: 't', destNodeId: 'n', targetDir: target }));
      expect(err.message).toMatch(/migration archive rejected/);
      expect(existsSync(target)).toBe(false);
      expect(readdirSync(join(ws, 'dst'))).toEqual([]);
      expect(existsSync(join(ws, outside))).toBe(false);
      expect(existsSync(join('/tmp', outside))).toBe(false);
    }
  });

  it('Migration_pull_rejectsChecksumMismatchAndMissingTrailer', async () => {
    const ws = workspace();
    const archive = craftTar([{ name: 'alloc/data/f', data: 'payload' }]);
    for (const trailer of ['f'.repeat(64), undefined]) {
      const { url } = await listen((_req, res) => {
        res.writeHead(200, trailer === undefined ? {} : { trailer: CHECKSUM_TRAILER });
        if (trailer !== undefined) res.addTrailers({ [CHECKSUM_TRAILER]: trailer });
        res.end(archive);
      });
      const target = join(ws, 'dst', 'data');
      const err = await failure(pullSnapshot({ sourceUrl: url, prevAllocId: 'a1', token: 't', destNodeId: 'n', targetDir: target }));
      expect(err.message).toMatch(trailer === undefined ? /without its checksum trailer/ : /checksum mismatch/);
      expect(existsSync(target)).toBe(false);
      expect(readdirSync(join(ws, 'dst'))).toEqual([]);
    }
  });

  it('Migration_pull_failsWithinTheIdleTimeoutWhenTheSourceStalls', async () => {
    const ws = workspace();
    const { url } = await listen((_req, res) => {
      res.writeHead(200);
      res.write(craftTar([{ name: 'alloc/data/f', data: 'x' }]).subarray(0, 1024));
      // …and never another byte.
    });
    const started = Date.now();
    const err = await failure(
      pullSnapshot({ sourceUrl: url, prevAllocId: 'a1', token: 't', destNodeId: 'n', targetDir: join(ws, 'data'), idleTimeoutMs: 500 }),
    );
    expect(err.message).toMatch(/no data from .* for 500ms/);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(readdirSync(ws)).toEqual([]);
  });

  it('Migration_pull_failsFastWhenTheSourceIsGone', async () => {
    const ws = workspace();
    const { server, url } = await listen(() => undefined);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const err = await failure(pullSnapshot({ sourceUrl: url, prevAllocId: 'a1', token: 't', destNodeId: 'n', targetDir: join(ws, 'data') }));
    expect(isPilotfishError(err, 'MIGRATION_FAILED') && err.retryable).toBe(true);
    expect(readdirSync(ws)).toEqual([]);
  });

  it('MigrationSource_inFlight_gcGuardWaitsUntilTheStreamEndsAndStalledPullersAreCut', async () => {
    const ws = workspace();
    const root = seedAlloc(join(ws, 'src'), 'a1');
    writeFileSync(join(root, 'alloc', 'data', 'large.bin'), randomBytes(48 * 1024 * 1024));
    const { source, url } = await startSource(join(ws, 'src'), 1_500);
    // A puller that never reads: the stream stays in flight until it is cut.
    const req = request(`${url}/v1/migrate/a1/snapshot`, { headers: { authorization: `Bearer ${token()}`, 'x-pilotfish-node': 'node-b' } });
    req.on('response', (res) => res.pause());
    req.on('error', () => undefined);
    req.end();
    cleanups.push(() => void req.destroy());
    await waitFor('stream in flight', () => source.inFlight('a1'));
    let destroyed = false;
    const ctx = { alloc: { id: 'a1' }, logger: { info: () => undefined } } as unknown as AllocHookContext;
    const guard = migrationGuardHook(source).destroy?.(ctx).then(() => (destroyed = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(destroyed).toBe(false);
    const started = Date.now();
    await guard;
    expect(source.inFlight('a1')).toBe(false);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
