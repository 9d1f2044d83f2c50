/**
 * `npm run bench:backup`: pilotfish backup and restore against the raw pipeline on the same data,
 * in the same run, at two dataset sizes (BENCH_SIZE_MB / 2 and BENCH_SIZE_MB, default 1024).
 *
 *   raw backup:   mariadb-backup --backup --stream=xbstream | zstd -T0 -3 > file
 *   raw restore:  zstd -d -c file | mbstream -x -C dir && mariadb-backup --prepare
 *   pilotfish:    `pilotfish backup create` / `backup restore` (fs object store, no encryption)
 *
 * Each step runs BENCH_REPEAT times (default 3), alternating raw and pilotfish; the best time of
 * each counts (the machine may be shared). CPU time of each process tree is reported too, as a
 * load-independent check. Peak RSS is VmHWM of the pilotfish process, sampled from /proc.
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
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
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
      'coordinator: { memory: {} }',
      `objectStore: { fs: { path: ${JSON.stringify(join(work.path, 'store'))} } }`,
      `backup: { compression: { level: ${LEVEL} } }`,
      `recipe: { mysql: { dataDir: ${JSON.stringify(db.dataDir)} } }`,
    ].join('\n'));
    const rawFile = join(work.path, 'raw.xbstream.zst');
    const best = { rawBackup: [Infinity, Infinity], pfBackup: [Infinity, Infinity], rawRestore: [Infinity, Infinity], pfRestore: [Infinity, Infinity] };
    const keep = (name: keyof typeof best, t: Timing) => {
      best[name] = [Math.min(best[name][0]!, t.seconds), Math.min(best[name][1]!, t.cpuSeconds)];
    };
    let peakMb = 0;
    let id = '';
    for (let i = 0; i < REPEAT; i++) {
      const scratch = join(work.path, `mbk-${i}`);
      await mkdir(scratch);
      keep('rawBackup', await shell(
        `mariadb-backup --defaults-extra-file=${optionFile} --backup --stream=xbstream --target-dir=${scratch} --parallel=2 2>/dev/null | zstd -q -T0 -${LEVEL} > ${rawFile}`,
      ));
      await rm(scratch, { recursive: true, force: true });
      const pf = await pilotfish(['backup', 'create', '-c', config, '--socket', db.socket, '--user', 'root', '--json']);
      keep('pfBackup', pf);
      peakMb = Math.max(peakMb, pf.peakMb);
      id = (JSON.parse(pf.stdout) as { id: string }).id;
    }
    for (let i = 0; i < REPEAT; i++) {
      const rawDir = join(work.path, `raw-restore-${i}`);
      await mkdir(rawDir);
      keep('rawRestore', await shell(`zstd -q -d -c ${rawFile} | mbstream -x -C ${rawDir} && mariadb-backup --prepare --target-dir=${rawDir} 2>/dev/null`));
      await rm(rawDir, { recursive: true, force: true });
      const pfDir = join(work.path, `pf-restore-${i}`);
      const pf = await pilotfish(['backup', 'restore', id, '-c', config, '--target', pfDir]);
      keep('pfRestore', pf);
      peakMb = Math.max(peakMb, pf.peakMb);
      await rm(pfDir, { recursive: true, force: true });
    }
    const ratio = (raw: number, pf: number) => +(raw / pf).toFixed(3);
    return {
      size_mb: Math.round(actualMb),
      backup_ratio: ratio(best.rawBackup[0]!, best.pfBackup[0]!),
      restore_ratio: ratio(best.rawRestore[0]!, best.pfRestore[0]!),
      peak_rss_mb: Math.round(peakMb),
      backup_cpu_ratio: ratio(best.rawBackup[1]!, best.pfBackup[1]!),
      restore_cpu_ratio: ratio(best.rawRestore[1]!, best.pfRestore[1]!),
      best_wall_and_cpu_seconds: Object.fromEntries(Object.entries(best).map(([k, [w, c]]) => [k, [+w!.toFixed(2), +c!.toFixed(2)]])),
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
