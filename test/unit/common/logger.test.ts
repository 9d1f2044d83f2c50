import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../common/logger.js';
import { captureLogLines } from '../../support/log-capture.js';

describe('createLogger', () => {
  it('createLogger_debugConfig_redactsSecretsAtAnyDepth', () => {
    const { lines, destination } = captureLogLines();
    const logger = createLogger({ level: 'debug', destination });
    const config = {
      coordinator: { consul: { address: 'http://127.0.0.1:8500', token: 'consul-acl-token-123' } },
      secrets: { vault: { approle: { roleId: 'r', secretId: 'vault-secret-456' } } },
      objectStore: { s3: { credentials: { accessKeyId: 'AKIA', secretAccessKey: 'aws-secret-789' } } },
      users: [{ name: 'app', password: 'hunter2-pw' }],
    };
    logger.child({ component: 'config' }).debug({ config }, 'configuration loaded');
    const text = lines.join('');
    for (const secret of ['consul-acl-token-123', 'vault-secret-456', 'aws-secret-789', 'hunter2-pw']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('[redacted]');
    expect(text).toContain('http://127.0.0.1:8500');
    expect(JSON.parse(lines[0] as string)).toMatchObject({ level: 'debug', component: 'config' });
  });
});
