/**
 * Migration throughput: moves 1 GiB of allocation data (many files of mixed sizes) from one agent's
 * migration endpoint to another on this machine, and compares with a plain
 * `tar -C src -cf - . | tar -C dst -xf -` of the same data in the same run.
 *
 * The source endpoint runs in its own Node process (as the old node's agent would), the puller in
 * this one (the new node's agent), over HTTP on 127.0.0.1 with a real migration token. The data is
 * generated once under `$PILOTFISH_BENCH_DIR` (default `<tmpdir>/pilotfish-bench-migrate`) and
 * reused. Each round runs both methods, in alternating order, with `sync` before each run. The
 * disk's throughput here swings by 2x from minute to minute, so each round's pair gives a ratio
 * and the median of those counts (a best-of figure would reward whichever method met one fast
 * moment). Final line: `{"bytes","seconds","ratio"}`: the median pilotfish seconds and the median
 * of the rounds' tar seconds / pilotfish seconds; the best times go to stderr.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { pullSnapshot } from '../scheduler/agent/migrate/pull.js';
import { MigrationSource } from '../scheduler/agent/migrate/source.js';
import { issueMigrationToken } from '../scheduler/migration/token.js';

const ROUNDS = Number(process.env.PILOTFISH_BENCH_ROUNDS ?? 5);
const BASE = process.env.PILOTFISH_BENCH_DIR ?? join(tmpdir(), 'pilotfish-bench-migrate');
const ALLOC = 'bench-alloc';
/** File sizes and counts: 7×64 MiB + 64×4 MiB + 2048×128 KiB + 16384×4 KiB = 1 GiB. */
const LAYOUT: [count: number, bytes: number][] = [
  [7, 64 << 20],
  [64, 4 << 20],
  [2048, 128 << 10],
  [16384, 4 << 10],
];

function generate(allocsDir: string): number {
  const data = join(allocsDir, ALLOC, 'alloc', 'data');
  const marker = join(allocsDir, ALLOC, '.complete');
  const total = LAYOUT.reduce((sum, [count, bytes]) => sum + count * bytes, 0);
  if (existsSync(marker)) return total;
  rmSync(join(allocsDir, ALLOC), { recursive: true, force: true });
  for (const [count, bytes] of LAYOUT) {
    for (let i = 0; i < count; i++) {
      const dir = join(data, `size-${bytes}`, String(i % 64));
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `f${i}`), randomBytes(bytes));
    }
  }
  writeFileSync(marker, String(total));
  return total;
}

/** Child mode: serve snapshots of `allocsDir` and print the port. */
async function serve(allocsDir: string, keyHex: string): Promise<void> {
  const source = new MigrationSource({ tokenKey: Buffer.from(keyHex, 'hex'), allocsDir });
  const server = createServer((req, res) => {
    if (!source.handle(req, res)) res.writeHead(404).end();
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
}

async function timed(run: () => Promise<void>): Promise<number> {
  execFileSync('sync');
  const started = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function main(): Promise<void> {
  const srcAllocs = join(BASE, 'src');
  const dst = join(BASE, 'dst');
  process.stderr.write('bench:migrate: preparing 1 GiB of allocation data (once)\n');
  const bytes = generate(srcAllocs);
  const key = randomBytes(32);
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve', srcAllocs, key.toString('hex')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const port = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
      child.once('exit', () => reject(new Error('source endpoint exited')));
    });
    const pilotfish: number[] = [];
    const tar: number[] = [];
    const runTar = async () => {
      rmSync(dst, { recursive: true, force: true });
      mkdirSync(dst, { recursive: true });
      tar.push(await timed(async () => {
        await execa('bash', ['-c', 'set -o pipefail; tar -C "$1" -cf - . | tar -C "$2" -xf -', '_', join(srcAllocs, ALLOC), dst]);
      }));
    };
    const runPilotfish = async () => {
      rmSync(dst, { recursive: true, force: true });
      const token = issueMigrationToken(key, { prevAllocId: ALLOC, destNodeId: 'bench-dest', expiresAtMs: Date.now() + 600_000 });
      pilotfish.push(await timed(async () => {
        await pullSnapshot({ sourceUrl: `http://127.0.0.1:${port}`, prevAllocId: ALLOC, token, destNodeId: 'bench-dest', targetDir: dst });
      }));
    };
    for (let round = 0; round < ROUNDS; round++) {
      // alternate which goes first, so neither always meets the disk right after the other's writes
      if (round % 2 === 0) await runTar().then(runPilotfish);
      else await runPilotfish().then(runTar);
      process.stderr.write(`round ${round + 1}: tar ${tar.at(-1)?.toFixed(2)}s, pilotfish ${pilotfish.at(-1)?.toFixed(2)}s\n`);
    }
    rmSync(dst, { recursive: true, force: true });
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const ratios = tar.map((t, i) => t / pilotfish[i]!);
    process.stderr.write(`best: tar ${Math.min(...tar).toFixed(2)}s, pilotfish ${Math.min(...pilotfish).toFixed(2)}s; round ratios ${ratios.map((r) => r.toFixed(2)).join(' ')}\n`);
    const summary = { bytes, seconds: Number(median(pilotfish).toFixed(3)), ratio: Number(median(ratios).toFixed(3)) };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } finally {
    child.kill('SIGKILL');
  }
}

if (process.argv[2] === '--serve') await serve(process.argv[3] as string, process.argv[4] as string);
else await main();
