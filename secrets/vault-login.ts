import type vault from 'node-vault';
import { PilotfishError } from '../common/errors.js';
import type { VaultConfig } from './config.js';
import { readSecretFile } from './secret-file.js';
import { vaultCall } from './vault-transport.js';

/**
 * Obtains a working token for `client` and returns its TTL in milliseconds (0 = never expires).
 *
 * - AppRole: `POST auth/<mount>/login` with the role id and the secret id (inline or re-read from
 *   `secretIdFile` on every login, so a rotated secret id is picked up).
 * - Token: the inline token or the content of `tokenFile` (re-read on every login, so a token
 *   rotated by an agent is picked up), checked with `GET auth/token/lookup-self`.
 *
 * Throws SECRET_STORE_UNAVAILABLE: retryable when Vault cannot be reached, not retryable when it
 * refuses the credentials (the message says which setting to fix, never the credential).
 */
export async function vaultLogin(client: vault.client, config: VaultConfig): Promise<number> {
  if (config.approle) {
    const { roleId, mount, secretId, secretIdFile } = config.approle;
    const secret = secretId ?? (secretIdFile === undefined ? undefined : await readRequired(secretIdFile, 'secretIdFile'));
    const answer = await vaultCall(config.address, `logging in with AppRole at auth/${mount}/login`, () =>
      client.approleLogin({ mount_point: mount, role_id: roleId, ...(secret === undefined ? {} : { secret_id: secret }) }),
    );
    if (!answer.ok) {
      throw new PilotfishError(
        'SECRET_STORE_UNAVAILABLE',
        `Vault refused the AppRole login at auth/${mount}/login (HTTP ${answer.status}: ${answer.errors.join('; ') || 'no detail'}); check secrets.vault.approle.roleId and its secret id`,
        { details: { status: answer.status } },
      );
    }
    const auth = (answer.body as { auth?: { client_token?: unknown; lease_duration?: unknown } }).auth;
    if (typeof auth?.client_token !== 'string') {
      throw new PilotfishError('SECRET_STORE_UNAVAILABLE', `Vault answered the AppRole login at auth/${mount}/login without a token`);
    }
    client.token = auth.client_token;
    return Number(auth.lease_duration ?? 0) * 1000;
  }
  const source = config.tokenFile === undefined ? 'secrets.vault.token' : `tokenFile ${config.tokenFile}`;
  client.token = config.token ?? (await readRequired(config.tokenFile as string, 'tokenFile'));
  const answer = await vaultCall(config.address, 'looking up its token', () => client.tokenLookupSelf());
  if (!answer.ok) {
    throw new PilotfishError(
      'SECRET_STORE_UNAVAILABLE',
      `Vault refused the token from ${source} (HTTP ${answer.status}: ${answer.errors.join('; ') || 'no detail'}); it is expired, revoked or wrong: give a valid token`,
      { details: { status: answer.status } },
    );
  }
  const ttlSeconds = (answer.body as { data?: { ttl?: unknown } }).data?.ttl;
  return Number(ttlSeconds ?? 0) * 1000;
}

async function readRequired(path: string, field: string): Promise<string> {
  const value = await readSecretFile(path);
  if (value === undefined) {
    throw new PilotfishError('SECRET_STORE_UNAVAILABLE', `secrets.vault.${field} ${path} does not exist; create it with mode 600`);
  }
  return value;
}
