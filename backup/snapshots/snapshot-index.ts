import { z } from 'zod';

/**
 * The index of one snapshot: every entry of the directory, in walk order (a directory before its
 * contents, names sorted bytewise), with the metadata a restore applies and, for files, the
 * chunks that hold the content. Times and inode numbers are decimal strings (nanoseconds), since
 * they exceed 2^53. `ctimeNs` and `ino` are kept so the next snapshot can skip unchanged files.
 */

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const decimal = z.string().regex(/^\d+$/);
const common = {
  /** Relative to the snapshotted directory, `/`-separated; `.` is the directory itself. */
  path: z.string().min(1),
  mode: z.number().int().nonnegative(),
  uid: z.number().int().nonnegative(),
  gid: z.number().int().nonnegative(),
  mtimeNs: decimal,
};

export const indexEntrySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('dir'), ...common }),
  z.object({ type: z.literal('symlink'), ...common, target: z.string() }),
  z.object({
    type: z.literal('file'),
    ...common,
    ctimeNs: decimal,
    ino: decimal,
    size: z.number().int().nonnegative(),
    /** `[chunk id, plaintext bytes]` in file order; their bytes add up to `size`. */
    chunks: z.array(z.tuple([hex64, z.number().int().nonnegative()])),
  }),
]);

export type IndexEntry = z.output<typeof indexEntrySchema>;
export type FileEntry = Extract<IndexEntry, { type: 'file' }>;
export type ChunkRef = FileEntry['chunks'][number];

export const snapshotIndexSchema = z.object({
  version: z.literal(1),
  id: z.string(),
  chunking: z.object({ algorithm: z.literal('fastcdc'), minBytes: z.number(), avgBytes: z.number(), maxBytes: z.number() }),
  compression: z.object({ algorithm: z.literal('zstd'), level: z.number().int() }),
  chunkIds: z.enum(['sha256', 'hmac-sha256']),
  entries: z.array(indexEntrySchema),
});

export type SnapshotIndex = z.output<typeof snapshotIndexSchema>;

/** Parses an index document; `null` when it is not valid JSON or not an index of this version. */
export function parseSnapshotIndex(text: string): SnapshotIndex | null {
  try {
    const parsed = snapshotIndexSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
