/**
 * `npm run bench:backup`: pilotfish backup and restore against the raw pipeline on the same data,
 * in the same run, at two dataset sizes (BENCH_SIZE_MB / 2 and BENCH_SIZE_MB, default 1024).
 *
 *   raw backup:   mariadb-backup --backup --stream=xbstream | zstd -T0 -3 > file
 *   raw restore:  zstd -d -c file | mbstream -x -C dir && mariadb-backup --prepare
 *   pilotfish:    `pilotfish backup create` / `backup restore` (fs object store, no encryption)
 *
 * Each step runs BENCH_REPEAT rounds (default 5) of raw and pilotfish back to back, alternating
 * which goes first; the ratio is the median over rounds (the machine may be shared). The CPU time
 * of each process tree gives a second, load-independent ratio. Peak RSS is VmHWM of the pilotfish
 * process, sampled from /proc.
 * Prints one line per size and a final JSON line for the largest size.
 */
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMariadb } from '../test/support/mariadb.js';
import { datasetMb, generateDataset } from '../test/support/mysql-dataset.js';
import { pilotfishBin } from '../test/support/paths.js';
import { tempDir } from '../test/support/tmp.js';

const SIZE_MB = Number(process.env.BENCH_SIZE_MB ?? 1024);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);
const LEVEL = 3;

function vmHwmMb(pid: number): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

interface Timing {
  seconds: number;
  /** User plus system CPU of the whole process tree: less sensitive to other load on the machine. */
  cpuSeconds: number;
}

/** Runs a command under /usr/bin/time (for the tree's CPU time), sampling VmHWM of the command itself. */
async function timed(file: string, args: string[], env: Record<string, string> = {}): Promise<Timing & { peakMb: number; stdout: string }> {
  // Start every run with no dirty pages left by the previous one, so neither side pays for the other's writes.
  await execa('sync');
  const timeFile = join(tmpdir(), `pf-bench-time-${process.pid}`);
  const started = process.hrtime.bigint();
  const child = execa('/usr/bin/time', ['-f', '%U %S', '-o', timeFile, file, ...args], { stdin: 'ignore', env });
  let peakMb = 0;
  const timer = setInterval(() => {
    try {
      const pid = Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ')[0]);
      if (pid > 0) peakMb = Math.max(peakMb, vmHwmMb(pid));
    } catch {
      // not started yet, or already gone
    }
  }, 25);
  try {
    const result = await child;
    const [user, sys] = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
    return { seconds: Number(process.hrtime.bigint() - started) / 1e9, cpuSeconds: user! + sys!, peakMb, stdout: String(result.stdout) };
  } finally {
    clearInterval(timer);
  }
}

const pilotfish = (args: string[]) => timed(process.execPath, [pilotfishBin, ...args], { PILOTFISH_LOG_LEVEL: 'warn' });
const shell = (script: string) => timed('bash', ['-o', 'pipefail', '-c', script]);

async function benchSize(sizeMb: number) {
  const db = await startMariadb({ bufferPool: '512M', args: ['--log-bin=bench-bin', '--server-id=1', '--log-basename=bench', '--innodb-log-file-size=512M'] });
  const work = tempDir('pf-bench-');
  try {
    const conn = await db.connect();
    await generateDataset(conn, sizeMb);
    await conn.end();
    const actualMb = await datasetMb(db.dataDir);
    const optionFile = join(work.path, 'client.cnf');
    await writeFile(optionFile, `[client]\nuser=root\nsocket=${db.socket}\n`, { mode: 0o600 });
    const config = join(work.path, 'pilotfish.yaml');
    await writeFile(config, [
      'cluster: bench',
      'coordinator: { etcd: { endpoints: ["http://127.0.0.1:2379"] } }',
      `objectStore: { fs: { path: ${JSON.stringify(join(work.path, 'store'))} } }`,
      `backup: { compression: { level: ${LEVEL} } }`,
      `recipe: { mysql: { dataDir: ${JSON.stringify(db.dataDir)} } }`,
    ].join('\n'));
    const rawFile = join(work.path, 'raw.xbstream.zst');
    // Each round runs raw and pilotfish back to back (alternating which goes first), so both see
    // the same load; the headline ratio is the median over rounds of raw time / pilotfish time.
    const rounds: Record<'backup' | 'restore', Array<{ raw: Timing; pf: Timing }>> = { backup: [], restore: [] };
    let peakMb = 0;
    let id = '';
    const rawBackup = async (i: number) => {
      const scratch = join(work.path, `mbk-${i}`);
      await mkdir(scratch);
      const t = await shell(
        `mariadb-backup --defaults-extra-file=${optionFile} --backup --stream=xbstream --target-dir=${scratch} --parallel=2 2>/dev/null | zstd -q -T0 -${LEVEL} > ${rawFile}`,
      );
      await rm(scratch, { recursive: true, force: true });
      return t;
    };
    const pfBackup = async () => {
      const t = await pilotfish(['backup', 'create', '-c', config, '--socket', db.socket, '--user', 'root', '--json']);
      peakMb = Math.max(peakMb, t.peakMb);
      id = (JSON.parse(t.stdout) as { id: string }).id;
      return t;
    };
    const rawRestore = async (i: number) => {
      const dir = join(work.path, `raw-restore-${i}`);
      await mkdir(dir);
      const t = await shell(`zstd -q -d -c ${rawFile} | mbstream -x -C ${dir} && mariadb-backup --prepare --target-dir=${dir} 2>/dev/null`);
      await rm(dir, { recursive: true, force: true });
      return t;
    };
    const pfRestore = async (i: number) => {
      const dir = join(work.path, `pf-restore-${i}`);
      const t = await pilotfish(['backup', 'restore', id, '-c', config, '--target', dir]);
      peakMb = Math.max(peakMb, t.peakMb);
      await rm(dir, { recursive: true, force: true });
      return t;
    };
    const pair = async (rawRun: () => Promise<Timing>, pfRun: () => Promise<Timing>, rawFirst: boolean) => {
      if (rawFirst) {
        const raw = await rawRun();
        return { raw, pf: await pfRun() };
      }
      const pf = await pfRun();
      return { raw: await rawRun(), pf };
    };
    await pfBackup(); // the restores need a pilotfish backup and the raw file, whatever the order
    await rawBackup(-1);
    for (let i = 0; i < REPEAT; i++) rounds.backup.push(await pair(() => rawBackup(i), pfBackup, i % 2 === 0));
    for (let i = 0; i < REPEAT; i++) rounds.restore.push(await pair(() => rawRestore(i), () => pfRestore(i), i % 2 === 0));
    const median = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      const mid = Math.floor(sorted.length / 2);
      return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
    };
    const ratio = (list: Array<{ raw: Timing; pf: Timing }>, key: keyof Timing) => +median(list.map((r) => r.raw[key] / r.pf[key])).toFixed(3);
    const seconds = (list: Array<{ raw: Timing; pf: Timing }>) => list.map((r) => [+r.raw.seconds.toFixed(2), +r.pf.seconds.toFixed(2)]);
    return {
      size_mb: Math.round(actualMb),
      backup_ratio: ratio(rounds.backup, 'seconds'),
      restore_ratio: ratio(rounds.restore, 'seconds'),
      peak_rss_mb: Math.round(peakMb),
      backup_cpu_ratio: ratio(rounds.backup, 'cpuSeconds'),
      restore_cpu_ratio: ratio(rounds.restore, 'cpuSeconds'),
      rounds_raw_vs_pf_seconds: { backup: seconds(rounds.backup), restore: seconds(rounds.restore) },
    };
  } finally {
    await db.stop();
    work.remove();
  }
}

const results = [];
for (const size of [Math.round(SIZE_MB / 2), SIZE_MB]) {
  const result = await benchSize(size);
  results.push(result);
  console.log(`size ${result.size_mb} MB: ${JSON.stringify(result)}`);
}
const last = results.at(-1)!;
console.log(JSON.stringify({
  backup_ratio: last.backup_ratio,
  restore_ratio: last.restore_ratio,
  peak_rss_mb: last.peak_rss_mb,
  size_mb: last.size_mb,
  by_size: results,
}));
