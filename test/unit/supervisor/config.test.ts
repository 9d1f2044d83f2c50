import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPilotfishError } from '../../../common/errors.js';
import { loadPilotfishConfig } from '../../../supervisor/config.js';
import { repoRoot } from '../../support/paths.js';

const fixture = (name: string) => join(repoRoot, 'test', 'fixtures', 'config', name);

/**
 * Every malformed file gives ONE CONFIG_INVALID error whose message lists every problem, each as
 * `<dotted path>: <what is wrong> (got <offending value>)`. `problems` are [path, got] pairs; a
 * `got` of `null` means the line has no value part (unknown keys, whole-file errors).
 */
const BAD: Array<{ file: string; problems: Array<[string, string | null]>; also?: string[] }> = [
  {
    file: 'bad-wrong-types.yaml',
    problems: [
      ['member.tags', '"rack-a"'],
      ['member.priority', '"high"'],
      ['backup.onBinlogRotation', '"yes"'],
      ['backup.compression.level', '"fast"'],
    ],
    also: ['must be a number, not a string', 'must be a list, not a string'],
  },
  {
    file: 'bad-unknown-coordinator.yaml',
    problems: [
      ['coordinator.zookeeper', null],
      ['coordinator', 'a mapping with zookeeper'],
    ],
    also: ['allowed here: etcd, consul'],
  },
  { file: 'bad-missing-endpoints.yaml', problems: [['coordinator.etcd.endpoints', 'nothing']], also: ['is required'] },
  { file: 'bad-empty-endpoints.yaml', problems: [['coordinator.etcd.endpoints', '[]']], also: ['at least one endpoint'] },
  {
    file: 'bad-negative-ttl.yaml',
    problems: [
      ['coordinator.etcd.ttl', '"-5s"'],
      ['coordinator.etcd.timeout', '-100'],
    ],
    also: ['must not be negative'],
  },
  {
    file: 'bad-consul-ttl.yaml',
    problems: [
      ['coordinator.consul.ttl', '"5s"'],
      ['coordinator.consul.lockDelay', '"2m"'],
    ],
    also: ['must be at least 10s', 'Consul session TTLs range from 10s to 24h', 'must be at most 1m'],
  },
  {
    file: 'bad-unknown-key.yaml',
    problems: [
      ['coordinator.etcd.endpoint', null],
      ['ha.loopwait', null],
      ['clustr', null],
    ],
    also: ['did you mean endpoints?', 'did you mean loopWait?', 'did you mean cluster?'],
  },
  {
    file: 'bad-duration.yaml',
    problems: [
      ['backup.interval', '"1x"'],
      ['ha.loopWait', '"5 seconds"'],
    ],
    also: ['write it like 500ms, 5s'],
  },
  {
    file: 'bad-url.yaml',
    problems: [
      ['coordinator.etcd.endpoints[0]', '"127.0.0.1:2379"'],
      ['coordinator.etcd.endpoints[1]', '"ftp://10.0.0.2:2379"'],
      ['secrets.vault.address', '"vault:8200"'],
    ],
    also: ['must be an http:// or https:// URL'],
  },
  { file: 'bad-two-coordinators.yaml', problems: [['coordinator', 'a mapping with etcd, consul']], also: ['set exactly one of'] },
  {
    file: 'bad-member-name.yaml',
    problems: [
      ['cluster', '"-shop"'],
      ['member.name', '"DB_1"'],
    ],
    also: ['lower-case letters, digits and dashes'],
  },
  {
    file: 'bad-missing-required.yaml',
    problems: [
      ['cluster', 'nothing'],
      ['member.name', 'nothing'],
      ['coordinator', 'nothing'],
    ],
  },
  {
    file: 'bad-vault-login.yaml',
    problems: [
      ['secrets.vault', 'a mapping with address'],
      ['secrets', 'a mapping with env, vault'],
    ],
    also: ['token, tokenFile or approle'],
  },
  {
    file: 'bad-s3.yaml',
    problems: [
      ['objectStore.s3.bucket', '"ab"'],
      ['objectStore.s3.credentials.accessKeyId', 'nothing'],
      ['objectStore.s3.partSizeMb', '2'],
    ],
  },
];

/** Secrets that appear in fixture files and must never appear in an error. */
const FIXTURE_SECRETS = ['hvs.never-shown-3a9f', 's3-secret-never-shown-71d2'];

async function loadError(file: string): Promise<Error> {
  const err = await loadPilotfishConfig(fixture(file), {}).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isPilotfishError(err, 'CONFIG_INVALID'), `${file} should be rejected with CONFIG_INVALID`).toBe(true);
  return err as Error;
}

describe('loadPilotfishConfig', () => {
  it('loadPilotfishConfig_tenOrMoreMalformedFiles_areAllCovered', () => {
    expect(BAD.length + 2).toBeGreaterThanOrEqual(10);
  });

  it.each(BAD)('loadPilotfishConfig_$file_givesOneErrorListingEveryProblemWithPathAndValue', async ({ file, problems, also }) => {
    const message = (await loadError(file)).message;
    expect(message).toContain(fixture(file));
    expect(message).toContain(`has ${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}:`);
    const lines = message.split('\n').slice(1).map((line) => line.trim());
    expect(lines).toHaveLength(problems.length);
    for (const [path, got] of problems) {
      const line = lines.find((l) => l.startsWith(`${path}: `));
      expect(line, `a line for ${path} in:\n${message}`).toBeDefined();
      if (got !== null) expect(line).toMatch(new RegExp(`\\(got ${got.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)$`));
    }
    for (const fragment of also ?? []) expect(message).toContain(fragment);
    for (const secret of FIXTURE_SECRETS) expect(message).not.toContain(secret);
  });

  it('loadPilotfishConfig_yamlSyntaxError_namesLineColumnAndReason', async () => {
    const message = (await loadError('bad-yaml-syntax.yaml')).message;
    expect(message).toContain(fixture('bad-yaml-syntax.yaml'));
    expect(message).toMatch(/not valid YAML at line 5, column 5: .*indented.*\(BAD_INDENT\)/);
  });

  it('loadPilotfishConfig_topLevelList_saysTheTopLevelMustBeAMapping', async () => {
    expect((await loadError('bad-top-level-list.yaml')).message).toContain('the top level must be a mapping');
  });

  it('loadPilotfishConfig_missingFile_namesThePath', async () => {
    expect((await loadError('does-not-exist.yaml')).message).toContain('does-not-exist.yaml');
  });

  it('loadPilotfishConfig_goodFileWithEnvOverrides_appliesThemAndConvertsDurations', async () => {
    const config = await loadPilotfishConfig(fixture('good.yaml'), {
      PILOTFISH_COORDINATOR__ETCD__TTL: '8s',
      PILOTFISH_COORDINATOR__ETCD__ENDPOINTS: '[http://10.0.0.1:2379, http://10.0.0.2:2379]',
      PILOTFISH_MEMBER__NAME: 'db-9',
      PILOTFISH_HA__LOOP_WAIT: '250ms',
      PILOTFISH_BACKUP__RETENTION__KEEP_LAST: '5',
      PILOTFISH_LOG__LEVEL: 'debug',
      PILOTFISH_SECRET_DB_ROOT_PASSWORD: 'not-a-config-key',
    });
    expect(config.coordinator.etcd).toMatchObject({ ttl: 8000, endpoints: ['http://10.0.0.1:2379', 'http://10.0.0.2:2379'] });
    expect(config.member).toMatchObject({ name: 'db-9', host: '10.0.0.11', tags: ['rack-a'] });
    expect(config.ha.loopWait).toBe(250);
    expect(config.backup.retention.keepLast).toBe(5);
    expect(config.backup.interval).toBe(3_600_000);
    expect(config.log.level).toBe('debug');
    expect(config.secrets).toEqual({ file: { dir: '/run/secrets' } });
    expect(Object.isFrozen(config.coordinator.etcd)).toBe(true);
  });

  it('loadPilotfishConfig_badEnvOverride_isReportedAtItsPath', async () => {
    const err = await loadPilotfishConfig(fixture('good.yaml'), { PILOTFISH_COORDINATOR__ETCD__TTL: '1s' }).catch((e: unknown) => e);
    expect((err as Error).message).toContain('coordinator.etcd.ttl: must be at least 2s');
    expect((err as Error).message).toContain('(got "1s") [set by PILOTFISH_COORDINATOR__ETCD__TTL]');
  });
});
