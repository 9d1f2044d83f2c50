import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { TarGuard } from '../../../../../scheduler/agent/migrate/tar-guard.js';
import { type CraftedEntry, craftTar } from '../../../../support/tar-craft.js';

/** Runs `archive` through a guard in chunks of `chunkBytes`; returns the forwarded bytes or the error. */
async function guard(archive: Buffer, chunkBytes = 100): Promise<{ out: Buffer; error?: Error }> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < archive.length; i += chunkBytes) chunks.push(archive.subarray(i, i + chunkBytes));
  const out: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.push(chunk);
      cb();
    },
  });
  try {
    await pipeline(Readable.from(chunks), new TarGuard(), sink);
    return { out: Buffer.concat(out) };
  } catch (error) {
    return { out: Buffer.concat(out), error: error as Error };
  }
}

const good: CraftedEntry[] = [
  { name: 'alloc/', type: '5', mode: 0o755 },
  { name: 'alloc/data/', type: '5', mode: 0o755 },
  { name: './alloc/data/file', data: 'x'.repeat(700) },
  { name: 'alloc/data/link', type: '2', linkname: 'file' },
  { name: 'alloc/data/hard', type: '1', linkname: 'alloc/data/file' },
];

describe('TarGuard', () => {
  it('TarGuard_pass_forwardsAValidArchiveUnchanged', async () => {
    const archive = craftTar(good);
    for (const size of [1, 100, 512, 4096, archive.length]) {
      const { out, error } = await guard(archive, size);
      expect(error).toBeUndefined();
      expect(out.equals(archive)).toBe(true);
    }
  });

  it.each([
    ['parent traversal', { name: '../x', data: 'evil' }, /escapes the target directory/],
    ['nested traversal', { name: 'alloc/../../x', data: 'evil' }, /escapes/],
    ['absolute path', { name: '/etc/x', data: 'evil' }, /absolute path "\/etc\/x"/],
    ['absolute symlink', { name: 'alloc/data/l', type: '2', linkname: '/etc' }, /absolute path/],
    ['escaping symlink', { name: 'alloc/data/l', type: '2', linkname: '../../..' }, /may leave/],
    ['escaping hard link', { name: 'alloc/data/h', type: '1', linkname: '../etc/passwd' }, /hard link/],
    ['absolute hard link', { name: 'alloc/data/h', type: '1', linkname: '/etc/passwd' }, /hard link/],
    ['device', { name: 'alloc/data/dev', type: '3' }, /unsupported type "3"/],
    ['pax header', { name: 'pax', type: 'x', data: '20 path=../../evil\n' }, /unsupported type "x"/],
    ['bad checksum', { name: 'alloc/data/f', data: 'a', badChecksum: true }, /checksum/],
  ] as const)('TarGuard_reject_%s', async (_label, bad, message) => {
    const archive = craftTar([...good, bad as CraftedEntry, { name: 'alloc/data/after', data: 'later' }]);
    const prefix = craftTar(good).subarray(0, craftTar(good).length - 1024);
    const { out, error } = await guard(archive);
    expect(error?.message).toMatch(message);
    // Nothing of the bad entry (nor anything after it) reached the next stage.
    expect(out.length).toBeLessThanOrEqual(prefix.length);
  });

  it('TarGuard_reject_gnuLongNameThatEscapes', async () => {
    const longName = `${'a/'.repeat(60)}../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../x`;
    const archive = craftTar([{ name: '././@LongLink', type: 'L', data: `${longName}\0` }, { name: 'short', data: 'x' }]);
    const { out, error } = await guard(archive, 37);
    expect(error?.message).toMatch(/escapes/);
    expect(out.length).toBeLessThanOrEqual(512 + 512 * Math.ceil((longName.length + 1) / 512));
  });

  it('TarGuard_endMarker_recordPaddingIsSwallowedAndLoneZeroBlocksRejected', async () => {
    const archive = craftTar(good);
    const padded = Buffer.concat([archive, Buffer.alloc(9 * 1024)]);
    const { out, error } = await guard(padded, 4096);
    expect(error).toBeUndefined();
    expect(out.equals(archive)).toBe(true);
    const lone = Buffer.concat([craftTar(good).subarray(0, archive.length - 1024), Buffer.alloc(512), craftTar([{ name: 'x', data: 'y' }])]);
    expect((await guard(lone)).error?.message).toMatch(/lone zero block/);
  });

  it('TarGuard_reject_truncatedAndTrailingGarbage', async () => {
    const archive = craftTar(good);
    expect((await guard(archive.subarray(0, 1000))).error?.message).toMatch(/truncated/);
    expect((await guard(Buffer.concat([archive, Buffer.from('junk')]))).error?.message).toMatch(/after the end/);
  });
});
