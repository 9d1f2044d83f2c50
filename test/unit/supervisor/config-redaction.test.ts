import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../common/logger.js';
import { loadPilotfishConfig } from '../../../supervisor/config.js';
import { repoRoot } from '../../support/paths.js';
import { captureLogLines } from '../../support/log-capture.js';

/** The secrets in test/fixtures/config/with-secrets.yaml, plus ones passed as environment overrides. */
const SECRETS = ['consul-acl-token-5f2e9c', 'hvs.vault-token-8d41aa', 's3-secret-key-b7c3d1', 'env-session-token-44c0'];

describe('configuration logging', () => {
  it('loadedConfig_loggedAtDebug_showsEverySecretRedacted', async () => {
    const config = await loadPilotfishConfig(join(repoRoot, 'test', 'fixtures', 'config', 'with-secrets.yaml'), {
      PILOTFISH_OBJECT_STORE__S3__CREDENTIALS__SESSION_TOKEN: 'env-session-token-44c0',
    });
    // The values are really there before logging, so the assertion below tests the redaction.
    expect(config.secrets.vault?.token).toBe('hvs.vault-token-8d41aa');
    expect(config.objectStore?.s3?.credentials?.sessionToken).toBe('env-session-token-44c0');

    const { lines, destination } = captureLogLines();
    const logger = createLogger({ level: 'debug', destination });
    logger.child({ component: 'config' }).debug({ config }, 'configuration loaded');
    logger.debug(config, 'configuration merged into the line');
    const text = lines.join('');
    expect(lines).toHaveLength(2);
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    const first = JSON.parse(lines[0] as string) as { config: typeof config; level: string };
    expect(first.level).toBe('debug');
    expect(first.config.coordinator.consul).toMatchObject({ token: '[redacted]', address: 'http://127.0.0.1:8500', ttl: 15_000 });
    expect(first.config.secrets.vault).toMatchObject({ token: '[redacted]', address: 'https://vault.internal:8200' });
    expect(first.config.objectStore?.s3?.credentials).toMatchObject({
      accessKeyId: 'AKIAEXAMPLE',
      secretAccessKey: '[redacted]',
      sessionToken: '[redacted]',
    });
  });
});
