/**
 * Migration throughput: moves 1 GiB of allocation data (many files of mixed sizes) from one agent's
 * migration endpoint to another on this machine, and compares with a plain
 * `tar -C src -cf - . | tar -C dst -xf -` of the same data in the same run.
 *
 * The source endpoint runs in its own Node process (as the old node's agent would), the puller in
 * this one (the new node's agent), over HTTP on 127.0.0.1 with a real migration token. The data is
 * generated once under `$PILOTFISH_BENCH_DIR` (default `<tmpdir>/pilotfish-bench-migrate`) and
 * reused. Each method runs `ROUNDS` times, alternating, with `sync` before each run; the best run of
 * each counts. Final line: `{"bytes","seconds","ratio"}`, ratio = tar seconds / pilotfish seconds.
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
import { issueMigrationToken } from '../scheduler/agent/migrate/token.js';

const ROUNDS = Number(process.env.PILOTFISH_BENCH_ROUNDS ?? 3);
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
    for (let round = 0; round < ROUNDS; round++) {
      rmSync(dst, { recursive: true, force: true });
      mkdirSync(dst, { recursive: true });
      tar.push(
        await timed(async () => {
          await execa('bash', ['-c', 'set -o pipefail; tar -C "$1" -cf - . | tar -C "$2" -xf -', '_', join(srcAllocs, ALLOC), dst]);
        }),
      );
      rmSync(dst, { recursive: true, force: true });
      const token = issueMigrationToken(key, { prevAllocId: ALLOC, destNodeId: 'bench-dest', expiresAtMs: Date.now() + 600_000 });
      pilotfish.push(
        await timed(async () => {
          await pullSnapshot({ sourceUrl: `http://127.0.0.1:${port}`, prevAllocId: ALLOC, token, destNodeId: 'bench-dest', targetDir: dst });
        }),
      );
      process.stderr.write(`round ${round + 1}: tar ${tar.at(-1)?.toFixed(2)}s, pilotfish ${pilotfish.at(-1)?.toFixed(2)}s\n`);
    }
    rmSync(dst, { recursive: true, force: true });
    const seconds = Math.min(...pilotfish);
    const ratio = Math.min(...tar) / seconds;
    process.stdout.write(`${JSON.stringify({ bytes, seconds: Number(seconds.toFixed(3)), ratio: Number(ratio.toFixed(3)) })}\n`);
  } finally {
    child.kill('SIGKILL');
  }
}

if (process.argv[2] === '--serve') await serve(process.argv[3] as string, process.argv[4] as string);
else await main();
