/**
 * Directory recipe benchmark: `pilotfish up directory --members 2` over the fixture writer
 * (numbered, fsynced lines with their write time in several files), then ROUNDS (default 10)
 * rounds of: wait for a backup taken in this round, SIGKILL the primary's supervisor and its
 * application together, and time until a member runs the application again. `up` restarts the
 * killed supervisor at once, so after the lease expired either member may win it: the standby
 * (restoring the newest backup first), or the restarted member on its own copy, which holds
 * everything its application wrote. Per round it measures
 *
 * - takeover: kill → `/primary` answers 200 on a member;
 * - loss window (RPO): the write time of the newest line the killed application wrote minus that
 *   of the newest of those lines the new primary has;
 * - lines of the last backup completed before the kill that the new primary lacks (must be 0).
 *
 * The kill falls at a random moment of the backup cycle; `MAX_DELAY_MS` (default 5000) is the
 * members' `recipe.directory.maxDelay`, the bound on the loss window under constant change (plus
 * the time one backup takes).
 *
 * PILOTFISH_BENCH_KEEP=1 keeps the state directory and its logs. Prints one final JSON line.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { Catalog } from '../backup/catalog.js';
import { FsObjectStore } from '../backup/object-store/fs.js';
import { restoreBackup } from '../backup/restore.js';
import { silentLogger } from '../common/logger.js';
import type { LocalLayout } from '../supervisor/local/local-layout.js';
import { log, percentile, sleep, supervisorPid, until } from './support.js';

const ROUNDS = Number(process.env.ROUNDS ?? 10);
/** `recipe.directory.maxDelay`: under the writer's constant change, a backup at least this often. */
const MAX_DELAY_MS = Number(process.env.MAX_DELAY_MS ?? 5000);
const BIN = fileURLToPath(new URL('../bin/pilotfish.js', import.meta.url));
const WRITER = fileURLToPath(new URL('../../test/fixtures/apps/append-writer.mjs', import.meta.url));

/** Every line of the fixture's files in a data directory: `{ n, atMs }`, by file. */
function lines(dataDir: string): Map<string, { text: string; atMs: number }[]> {
  const out = new Map<string, { text: string; atMs: number }[]>();
  const dir = join(dataDir, 'logs');
  if (!existsSync(dir)) return out;
  for (const file of readdirSync(dir)) {
    const entries = readFileSync(join(dir, file), 'utf8').split('\n').filter(Boolean);
    out.set(file, entries.map((text) => ({ text, atMs: Date.parse(text.split(' ')[1] ?? '') })));
  }
  return out;
}

const newest = (all: Map<string, { atMs: number }[]>) => Math.max(0, ...[...all.values()].flat().map((l) => l.atMs));

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pf-bench-dir-'));
  const env = {
    ...process.env,
    PILOTFISH_HA__LOOP_WAIT: '500ms',
    PILOTFISH_COORDINATOR__ETCD__TTL: '5s',
    PILOTFISH_RECIPE__DIRECTORY__MAX_DELAY: `${MAX_DELAY_MS}ms`,
  };
  const up: ResultPromise = execa(process.execPath, [BIN, 'up', 'directory', '--members', '2', '--dir', dir, '--command', `/usr/bin/env WRITER_INTERVAL_MS=10 ${process.execPath} ${WRITER}`], {
    env,
    reject: false,
    stdout: 'pipe',
    stderr: 'inherit',
  });
  const takeovers: number[] = [];
  const rpos: number[] = [];
  let lostBeforeLastBackup = 0;
  let byStandby = 0;
  try {
    const layout = (await until('up.json', async () => existsSync(join(dir, 'up.json')) && (JSON.parse(readFileSync(join(dir, 'up.json'), 'utf8')) as LocalLayout), 30_000))!;
    const token = () => readFileSync(join(dir, 'secrets', 'status-token'), 'utf8').trim();
    const url = (name: string, path: string) => `http://127.0.0.1:${layout.members.find((m) => m.name === name)!.statusPort}${path}`;
    const names = layout.members.map((m) => m.name);
    const primary = async () => {
      for (const name of names) {
        const res = await fetch(url(name, '/primary'), { signal: AbortSignal.timeout(500) }).catch(() => null);
        if (res?.status === 200) return name;
      }
      return null;
    };
    const status = async (name: string) =>
      (await (await fetch(url(name, '/status'), { headers: { authorization: `Bearer ${token()}` }, signal: AbortSignal.timeout(1000) })).json()) as {
        recipe: { role: string; position: string; pid?: number };
      };
    const store = new FsObjectStore(join(dir, 'backups'));
    const catalog = new Catalog(store, '', 'local', silentLogger());

    for (let round = 1; round <= ROUNDS; round++) {
      const from = await until('a primary', primary, 60_000);
      if (!from) break;
      const to = names.find((n) => n !== from)!;
      // The other member is a standby again (after the previous round's restart) and a backup of this round landed.
      const roundStart = new Date().toISOString();
      const ready = await until(
        'a standby and a backup of this round',
        async () => (await status(to)).recipe.role === 'standby' && ((await catalog.latest())?.finishedAt ?? '') > roundStart,
        60_000,
      );
      if (!ready) break;
      // The kill falls anywhere in the backup cycle, not just after a backup.
      await sleep(Math.floor(Math.random() * MAX_DELAY_MS));
      const { pid: appPid } = (await status(from)).recipe;
      const supPid = supervisorPid(dir, from);
      const lastBackup = (await catalog.latest())!;
      const killedAt = Date.now();
      for (const pid of [supPid, appPid]) {
        try {
          if (pid) process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      // What the killed application had written, read before anything can run on that copy again.
      const written = lines(join(dir, 'members', from, 'data'));
      const next = await until('a member running the application', primary, 60_000, 25);
      if (!next) break;
      const takeoverMs = Date.now() - killedAt;
      if (next === to) byStandby++;

      const check = mkdtempSync(join(dir, 'check-'));
      await restoreBackup({ store, prefix: '', cluster: 'local', id: lastBackup.id, targetDir: join(check, 'data'), logger: silentLogger() });
      const backedUp = lines(join(check, 'data'));
      rmSync(check, { recursive: true, force: true });
      const now = lines(join(dir, 'members', next, 'data'));
      let lost = 0;
      for (const [file, entries] of backedUp) {
        const have = new Set((now.get(file) ?? []).map((l) => l.text));
        lost += entries.filter((l) => !have.has(l.text)).length;
      }
      lostBeforeLastBackup += lost;
      const kept = new Map([...now].map(([file, entries]) => [file, entries.filter((l) => l.atMs <= killedAt)]));
      const rpoMs = Math.max(0, newest(written) - newest(kept));
      takeovers.push(takeoverMs);
      rpos.push(rpoMs);
      log(`round ${round}: ${from} → ${next}: takeover ${takeoverMs} ms, loss window ${rpoMs} ms, lost lines of the last backup ${lost}`);
    }
  } finally {
    up.kill('SIGTERM');
    await Promise.race([up, sleep(60_000)]);
    if (process.env.PILOTFISH_BENCH_KEEP === '1') log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(
    `${JSON.stringify({
      rounds: takeovers.length,
      rpo_ms_p50: percentile(rpos, 50),
      rpo_ms_p99: percentile(rpos, 99),
      takeover_ms_p50: percentile(takeovers, 50),
      takeover_ms_p99: percentile(takeovers, 99),
      lost_before_last_backup: lostBeforeLastBackup,
      taken_over_by_standby: byStandby,
      max_delay_ms: MAX_DELAY_MS,
    })}\n`,
  );
  if (takeovers.length < ROUNDS || lostBeforeLastBackup > 0) process.exitCode = 1;
}

await main();
