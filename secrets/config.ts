import { z } from 'zod';
import { durationMs } from '../common/config.js';

const vaultSchema = z
  .strictObject({
    address: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
    /** KV v2 mount point. */
    mount: z.string().min(1).default('secret'),
    /** Path under the mount; secret `name` is read from `<path>/<name>`, field `value`. */
    path: z.string().default('pilotfish'),
    token: z.string().min(1).optional(),
    tokenFile: z.string().min(1).optional(),
    approle: z
      .strictObject({
        roleId: z.string().min(1),
        secretId: z.string().min(1).optional(),
        secretIdFile: z.string().min(1).optional(),
        mount: z.string().default('approle'),
      })
      .optional(),
    /** Per-request timeout. */
    timeout: durationMs({ minMs: 100 }).default(5000),
    /** Shortest wait between renewal or login attempts while Vault is down. */
    retryFloor: durationMs({ minMs: 50 }).default(250),
    namespace: z.string().optional(),
  })
  .superRefine((v, ctx) => {
    const ways = (['token', 'tokenFile', 'approle'] as const).filter((k) => v[k] !== undefined);
    if (ways.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `needs exactly one way to log in: token, tokenFile or approle (found ${ways.join(', ') || 'none'})`,
      });
    }
    if (v.approle?.secretId !== undefined && v.approle.secretIdFile !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['approle'], message: 'set secretId or secretIdFile, not both' });
    }
  });

/** `secrets:` where passwords and keys come from; defaults to environment variables. */
export const secretsSchema = z
  .strictObject({
    /** Secret `db-root-password` is read from `PILOTFISH_SECRET_DB_ROOT_PASSWORD`. */
    env: z.strictObject({ prefix: z.string().default('PILOTFISH_SECRET_') }).optional(),
    /** Secret `name` is the content of `<dir>/<name>` (trailing newline removed). */
    file: z.strictObject({ dir: z.string().min(1) }).optional(),
    vault: vaultSchema.optional(),
  })
  .prefault({ env: {} })
  .superRefine((value, ctx) => {
    const chosen = Object.entries(value).filter(([, v]) => v !== undefined);
    if (chosen.length > 1) {
      ctx.addIssue({ code: 'custom', message: `set only one of env, file, vault (found ${chosen.map(([k]) => k).join(', ')})` });
    }
  });

export type SecretsConfig = z.output<typeof secretsSchema>;
export type VaultConfig = z.output<typeof vaultSchema>;
