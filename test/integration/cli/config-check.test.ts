import { execa } from 'execa';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pilotfishBin, repoRoot } from '../../support/paths.js';

/** `pilotfish config check` as a real process from dist/ (`npm test` builds first). */
const fixture = (name: string) => join(repoRoot, 'test', 'fixtures', 'config', name);

function pilotfish(args: string[], env: Record<string, string> = {}) {
  return execa(process.execPath, [pilotfishBin, ...args], { reject: false, timeout: 20_000, env: { ...env, PILOTFISH_LOG_LEVEL: 'debug' } });
}

describe('pilotfish config check', () => {
  it('configCheck_fileWithSecrets_printsTheConfigRedactedAndExitsZero', async () => {
    const result = await pilotfish(['config', 'check', '-c', fixture('with-secrets.yaml')], {
      PILOTFISH_COORDINATOR__CONSUL__TOKEN: 'env-consul-token-90ab',
    });
    expect(result.exitCode).toBe(0);
    const output = `${result.stdout}${result.stderr}`;
    for (const secret of ['env-consul-token-90ab', 'consul-acl-token-5f2e9c', 'hvs.vault-token-8d41aa', 's3-secret-key-b7c3d1']) {
      expect(output).not.toContain(secret);
    }
    const printed = JSON.parse(result.stdout) as {
      coordinator: { consul: { token: string; ttl: number } };
      objectStore: { s3: { credentials: { accessKeyId: string; secretAccessKey: string } } };
    };
    expect(printed.coordinator.consul).toMatchObject({ token: '[redacted]', ttl: 15_000 });
    expect(printed.objectStore.s3.credentials).toEqual({ accessKeyId: 'AKIAEXAMPLE', secretAccessKey: '[redacted]' });
  });

  it('configCheck_badFile_exitsNonZeroWithTheProblemList', async () => {
    const result = await pilotfish(['config', 'check', '-c', fixture('bad-url.yaml')]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('has 3 problems');
    expect(result.stderr).toContain('coordinator.etcd.endpoints[0]: must be an http:// or https:// URL (got "127.0.0.1:2379")');
    expect(result.stderr).toContain('secrets.vault.address: must be an http:// or https:// URL (got "vault:8200")');
    expect(result.stderr).toContain('[CONFIG_INVALID]');
    expect(result.stderr).not.toContain('hvs.never-shown-3a9f');
  });

  it('configCheck_yamlSyntaxError_exitsNonZeroNamingLineAndColumn', async () => {
    const result = await pilotfish(['config', 'check', '-c', fixture('bad-yaml-syntax.yaml')]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('line 5, column 5');
  });

  it('configCheck_ttlShorterThanLoopWaitPlusTimeoutPlusMargin_rejectedNamingEveryPath', async () => {
    const result = await pilotfish(['config', 'check', '-c', fixture('bad-lease-timings.yaml')]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('has 1 problem');
    for (const path of ['ha.loopWait', 'coordinator.etcd.timeout', 'coordinator.etcd.ttl', 'ha.safetyMargin']) expect(result.stderr).toContain(path);
    expect(result.stderr).toContain('raise coordinator.etcd.ttl to at least 5s');
  });

  it('configCheck_memoryCoordinator_rejectedNamingEtcdAndConsul', async () => {
    const result = await pilotfish(['config', 'check', '-c', fixture('bad-memory-coordinator.yaml')]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('has 1 problem');
    expect(result.stderr).toContain('coordinator.memory: the in-memory coordinator exists only inside unit tests');
    expect(result.stderr).toContain('use coordinator.etcd or coordinator.consul');
  });

  it('configCheck_tightButSafeLeaseTimings_accepted', async () => {
    const result = await pilotfish(['config', 'check', '-c', fixture('good-tight-lease.yaml')]);
    expect(result.exitCode, result.stderr).toBe(0);
    const printed = JSON.parse(result.stdout) as { coordinator: { etcd: { ttl: number } }; ha: { loopWait: number; safetyMargin: number } };
    expect(printed.coordinator.etcd.ttl).toBe(3000);
    expect(printed.ha).toMatchObject({ loopWait: 500, safetyMargin: 1000 });
  });
});
