import { z } from 'zod';
import { durationMs } from '../common/config.js';

/** `objectStore:` where backups go: a directory (`fs`, the embedded default) or any S3-compatible store. */
export const objectStoreSchema = z
  .strictObject({
    fs: z.strictObject({ path: z.string().min(1) }).optional(),
    s3: z
      .strictObject({
        bucket: z.string().min(3, 'S3 bucket names have 3 to 63 characters'),
        region: z.string().default('us-east-1'),
        endpoint: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
        forcePathStyle: z.boolean().default(false),
        /** Omit to use the standard AWS environment and credential chain. */
        credentials: z
          .strictObject({
            accessKeyId: z.string().min(1),
            secretAccessKey: z.string().min(1),
            sessionToken: z.string().optional(),
          })
          .optional(),
        /** Multipart part size; each part is held in memory while it uploads. */
        partSizeMb: z.number().int().min(5).max(512).default(8),
        queueSize: z.number().int().min(1).max(16).default(2),
      })
      .optional(),
    /** Key prefix inside the store, before `<cluster>/backups/`. */
    prefix: z.string().default(''),
  })
  .superRefine((value, ctx) => {
    const chosen = ['fs', 's3'].filter((k) => value[k as 'fs' | 's3'] !== undefined);
    if (chosen.length !== 1) {
      ctx.addIssue({ code: 'custom', message: `set exactly one of fs, s3 (found ${chosen.join(', ') || 'none'})` });
    }
  });

/** `backup:` schedule, format and retention. */
export const backupSchema = z
  .strictObject({
    /** Time between scheduled backups; `0` turns the schedule off. */
    interval: durationMs().default(3_600_000),
    /** Also back up when the primary rotates its binary log. */
    onBinlogRotation: z.boolean().default(true),
    source: z.enum(['physical', 'logical']).default('physical'),
    compression: z.strictObject({ level: z.number().int().min(1).max(19).default(3) }).prefault({}),
    /** AES-256-GCM with a 32-byte key (64 hex characters or base64) read from the SecretStore. */
    encryption: z.strictObject({ keySecret: z.string().min(1) }).optional(),
    retention: z
      .strictObject({
        keepLast: z.number().int().min(1, 'keep at least the newest backup').default(7),
        keepWithin: durationMs().default(7 * 86_400_000),
        orphanGrace: durationMs().default(86_400_000),
      })
      .prefault({}),
  })
  .prefault({});

export type ObjectStoreConfig = z.output<typeof objectStoreSchema>;
export type BackupConfig = z.output<typeof backupSchema>;
