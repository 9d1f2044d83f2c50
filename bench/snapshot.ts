/**
 * `npm run bench:snapshot`: an incremental directory snapshot after a small edit, against the
 * first full one, in the same run.
 *
 *   1. generate BENCH_SIZE_MB (default 1024) in a temp dir: six large random files (85 %) and
 *      about 3,000 small files of 1–100 KiB (15 %, half of them compressible text);
 *   2. snapshot it into a filesystem object store (no parent: every file is read);
 *   3. overwrite one 1 MiB region in the middle of one large file;
 *   4. snapshot again (parent: the first), which reads only the edited file.
 *
 * Prints one final JSON line: sizes, both durations and stored bytes, their ratios, and the peak
 * RSS of this process (which also generated the data, streaming, in 8 MiB blocks).
 */
import { randomFillSync } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { createSnapshot } from '../backup/index.js';
import { FsObjectStore } from '../backup/object-store/fs.js';
import { createLogger } from '../common/logger.js';
import { tempDir } from '../test/support/tmp.js';

const SIZE_MB = Number(process.env.BENCH_SIZE_MB ?? 1024);
const LARGE_FILES = 6;
const BLOCK = 8 << 20;

async function writeRandom(path: string, bytes: number): Promise<void> {
  const handle = await open(path, 'w');
  const block = Buffer.allocUnsafe(BLOCK);
  try {
    for (let written = 0; written < bytes; written += BLOCK) {
      const size = Math.min(BLOCK, bytes - written);
      randomFillSync(block, 0, size);
      await handle.write(block, 0, size);
    }
  } finally {
    await handle.close();
  }
}

/** Small files first, so the large ones dominate what was written last. */
async function generate(root: string, totalBytes: number): Promise<{ largest: string; largeBytes: number }> {
  const smallTotal = Math.round(totalBytes * 0.15);
  let small = 0;
  for (let i = 0; small < smallTotal; i++) {
    const dir = join(root, 'small', String(i % 50));
    if (i < 50) await mkdir(dir, { recursive: true });
    const size = 1024 + ((i * 7919) % (100 << 10));
    const body =
      i % 2 === 0
        ? randomFillSync(Buffer.allocUnsafe(size))
        : Buffer.from(`row ${i} ${'lorem ipsum dolor sit amet '.repeat(8)}\n`.repeat(Math.ceil(size / 230))).subarray(0, size);
    const handle = await open(join(dir, `f${i}.dat`), 'w');
    await handle.write(body);
    await handle.close();
    small += size;
  }
  await mkdir(join(root, 'large'));
  const largeBytes = Math.floor((totalBytes - small) / LARGE_FILES);
  for (let i = 0; i < LARGE_FILES; i++) await writeRandom(join(root, 'large', `table-${i}.ibd`), largeBytes);
  return { largest: join(root, 'large', 'table-2.ibd'), largeBytes };
}

function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

const work = tempDir('pf-bench-snap-');
try {
  const src = join(work.path, 'src');
  await mkdir(src);
  const { largest, largeBytes } = await generate(src, SIZE_MB << 20);
  await execa('sync');
  // Files changed within 2 s of a snapshot's start are read again by the next one (a change in
  // the same timestamp tick could hide); let the clock pass that window, as it would in service.
  const quietUntil = Date.now() + 2_100;
  while (Date.now() < quietUntil) await new Promise((resolve) => setTimeout(resolve, quietUntil - Date.now()));
  const store = new FsObjectStore(join(work.path, 'store'));
  const logger = createLogger({ level: process.env.PILOTFISH_LOG_LEVEL ?? 'warn' });
  const common = { store, prefix: 'bench', cluster: 'snap', sourceDir: src, member: 'bench', logger };

  let started = process.hrtime.bigint();
  const first = await createSnapshot({ ...common, parent: null });
  const firstMs = Number(process.hrtime.bigint() - started) / 1e6;
  await execa('sync');

  const handle = await open(largest, 'r+');
  await handle.write(randomFillSync(Buffer.allocUnsafe(1 << 20)), 0, 1 << 20, Math.floor(largeBytes / 2));
  await handle.close();
  await execa('sync');

  started = process.hrtime.bigint();
  const second = await createSnapshot({ ...common, parent: first.id });
  const secondMs = Number(process.hrtime.bigint() - started) / 1e6;

  console.log(
    JSON.stringify({
      size_mb: Math.round(first.rawBytes / (1 << 20)),
      first_ms: Math.round(firstMs),
      first_stored_bytes: first.storedBytes,
      second_ms: Math.round(secondMs),
      second_stored_bytes: second.storedBytes,
      bytes_ratio: +(second.storedBytes / first.storedBytes).toFixed(4),
      time_ratio: +(secondMs / firstMs).toFixed(4),
      peak_rss_mb: peakRssMb(),
      files: first.files,
      chunks_first: first.chunksNew,
      chunks_second_new: second.chunksNew,
    }),
  );
} finally {
  work.remove();
}
