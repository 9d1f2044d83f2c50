import { timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { PilotfishError } from '../../common/errors.js';
import { Acl } from './acl.js';
import { parsePolicy } from './parse-policy.js';
import type { Policy } from './policy.js';

/**
 * The server's ACL tokens and policies, from the `acl` section of `server.yaml`:
 *
 * ```yaml
 * acl:
 *   policies:
 *     dev: /etc/pilotfish/policies/dev.hcl          # a file (HCL, .json or .yaml) …
 *     readers: 'host_volume "*" { policy = "read" }' # … or the policy text itself
 *   tokens:
 *     - { name: ci, secret: <at least 16 characters>, policies: [dev] }
 * ```
 *
 * Client tokens may submit, plan and read jobs within what their policies grant; the management
 * token keeps every right. A token naming an unknown policy is a configuration error.
 */

/** The `acl` config section. */
export interface AclConfig {
  policies: Record<string, string>;
  tokens: { name: string; secret: string; policies: string[] }[];
}

export class AclRegistry {
  private constructor(private readonly tokens: { secret: Buffer; acl: Acl }[]) {}

  /** Reads and parses every policy; throws CONFIG_INVALID naming the policy or token at fault. */
  static async load(config: AclConfig): Promise<AclRegistry> {
    const policies: Policy[] = [];
    for (const [name, value] of Object.entries(config.policies)) {
      const inline = value.includes('{') || value.includes(':');
      if (!inline && !isAbsolute(value)) {
        throw new PilotfishError('CONFIG_INVALID', `acl.policies.${name}: ${JSON.stringify(value)} is neither policy text nor an absolute file path`);
      }
      const text = inline ? value : await readFile(value, 'utf8').catch((err: Error) => {
        throw new PilotfishError('CONFIG_INVALID', `acl.policies.${name}: cannot read ${value}: ${err.message}`);
      });
      policies.push(await parsePolicy(name, text, inline ? `${name}.hcl` : value));
    }
    const known = new Set(policies.map((p) => p.name));
    const tokens = config.tokens.map((token, i) => {
      const unknown = token.policies.filter((p) => !known.has(p));
      if (unknown.length > 0) throw new PilotfishError('CONFIG_INVALID', `acl.tokens[${i}].policies: unknown policy ${unknown.join(', ')}`);
      return {
        secret: Buffer.from(token.secret),
        acl: new Acl({ accessorId: `token-${i}`, name: token.name, type: 'client', policies: token.policies }, policies),
      };
    });
    return new AclRegistry(tokens);
  }

  /** The ACL of the token whose secret is `secret`, compared in constant time; `undefined` if none. */
  resolve(secret: string): Acl | undefined {
    const given = Buffer.from(secret);
    let found: Acl | undefined;
    for (const token of this.tokens) {
      if (token.secret.length === given.length && timingSafeEqual(token.secret, given)) found = token.acl;
    }
    return found;
  }
}
