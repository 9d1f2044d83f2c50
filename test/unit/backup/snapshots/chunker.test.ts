import { compute_chunks } from '@dstanesc/wasm-chunking-fastcdc-node';
import { createCipheriv, createHash } from 'node:crypto';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { CHUNKING } from '../../../../backup/index.js';
import { chunkFile } from '../../../../backup/snapshots/chunker.js';
import { tempDir } from '../../../support/tmp.js';

const work = tempDir('pf-chunker-');
afterAll(() => work.remove());

function pseudoRandom(bytes: number, seed: string): Buffer {
  const cipher = createCipheriv('aes-256-ctr', createHash('sha256').update(seed).digest(), Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(bytes)), cipher.final()]);
}

async function chunksOf(data: Buffer, expectedBytes = data.length): Promise<Buffer[]> {
  const path = join(work.path, `f-${data.length}-${expectedBytes}`);
  await writeFile(path, data);
  const handle = await open(path, 'r');
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of chunkFile(handle, expectedBytes)) chunks.push(chunk);
  } finally {
    await handle.close();
  }
  return chunks;
}

describe('chunkFile', () => {
  test('ChunkFile_readInWindows_sameBoundariesAsTheWholeBuffer', async () => {
    const data = pseudoRandom(13 << 20, 'windows');
    const whole = Array.from(compute_chunks(data, CHUNKING.minBytes, CHUNKING.avgBytes, CHUNKING.maxBytes));
    const chunks = await chunksOf(data);
    const bounds = [0];
    for (const chunk of chunks) bounds.push((bounds.at(-1) as number) + chunk.length);
    expect(bounds).toEqual(whole);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(CHUNKING.maxBytes);
  });

  test('ChunkFile_fileLargerThanItsStat_readToTheRealEnd', async () => {
    const data = pseudoRandom(3 << 20, 'grew');
    expect(Buffer.concat(await chunksOf(data, 1000)).equals(data)).toBe(true);
  });

  test('ChunkFile_smallAndEmptyFiles_oneChunkOrNone', async () => {
    expect((await chunksOf(Buffer.from('tiny'))).map(String)).toEqual(['tiny']);
    expect(await chunksOf(Buffer.alloc(0))).toEqual([]);
  });
});
