import { describe, expect, it } from 'vitest';
import { Acl } from '../../../../scheduler/acl/acl.js';
import { checkJobSubmission, jobViolations } from '../../../../scheduler/acl/check-job.js';
import { closestGlob, globMatches } from '../../../../scheduler/acl/glob.js';
import { parsePolicy } from '../../../../scheduler/acl/parse-policy.js';
import type { AclToken, Policy } from '../../../../scheduler/acl/policy.js';
import { mockGroup, mockJob, mockTask } from '../../../../scheduler/scheduling/testing/mock.js';

const client = (policies: string[]): AclToken => ({ accessorId: 'acc-1', name: 'ci', type: 'client', policies });

const DEV = `
namespace "default" { policy = "write" }
namespace "prod-*" { policy = "read" }
namespace "prod-db" { policy = "write" }
host_volume "*" { policy = "read" }
host_volume "mysql-*" { policy = "write" }
host_volume "mysql-secrets" { policy = "deny" }
`;

function jobWithVolume(source: string, opts: { requestRo?: boolean; mountRo?: boolean; namespace?: string; perAlloc?: boolean } = {}) {
  return mockJob({
    id: 'db',
    namespace: opts.namespace ?? 'default',
    groups: [
      mockGroup({
        name: 'mysql',
        volumes: { data: { type: 'host', source, readOnly: opts.requestRo ?? false, ...(opts.perAlloc ? { perAlloc: true } : {}) } },
        tasks: [mockTask({ volumeMounts: [{ volume: 'data', destination: '/var/lib/mysql', readOnly: opts.mountRo ?? false }] })],
      }),
    ],
  });
}

describe('acl globs', () => {
  it('Glob_match_starMatchesAnyRun', () => {
    expect(globMatches('prod-*', 'prod-db')).toBe(true);
    expect(globMatches('prod-*', 'prod-')).toBe(true);
    expect(globMatches('*-db', 'prod-db')).toBe(true);
    expect(globMatches('prod-*', 'staging')).toBe(false);
    expect(globMatches('a.b', 'axb')).toBe(false);
  });

  it('Glob_closest_exactThenFewestWildcardCharacters', () => {
    expect(closestGlob(['*', 'prod-*', 'prod-db'], 'prod-db')).toBe('prod-db');
    expect(closestGlob(['*', 'prod-*', 'pr*'], 'prod-web')).toBe('prod-*');
    expect(closestGlob(['*', 'prod-*'], 'dev')).toBe('*');
    expect(closestGlob(['prod-*'], 'dev')).toBeUndefined();
  });
});

describe('acl policies', () => {
  it('Policy_parse_sameResultFromHclJsonAndYaml', async () => {
    const hcl = await parsePolicy('dev', DEV);
    const json = await parsePolicy(
      'dev',
      JSON.stringify({ namespace: { default: { policy: 'write' } }, host_volume: { 'mysql-*': [{ policy: 'write' }] } }),
      'dev.json',
    );
    const yaml = await parsePolicy('dev', 'host_volume:\n  "mysql-*":\n    policy: write\n', 'dev.yaml');
    const rule = (p: Policy) => p.hostVolumes.find((r) => r.pattern === 'mysql-*');
    expect([...(rule(hcl)?.capabilities ?? [])]).toEqual(['mount-readonly', 'mount-readwrite']);
    expect(rule(json)).toEqual(rule(hcl));
    expect(rule(yaml)).toEqual(rule(hcl));
  });

  it('Policy_parse_errorsNameFieldAndValue', async () => {
    await expect(parsePolicy('bad', 'host_volume "x" { policy = "admin" }')).rejects.toThrow(/host_volume\."x"\.policy: "admin" is not one of read, write, deny/);
    await expect(parsePolicy('bad', 'namespace "x" { capabilities = ["fly"] }')).rejects.toThrow(/unknown capability "fly"/);
    await expect(parsePolicy('bad', 'node { policy = "read" }')).rejects.toThrow(/node: unknown block/);
    await expect(parsePolicy('bad', 'namespace "x" {', 'bad.hcl')).rejects.toThrow(/not valid HCL/);
  });

  it('Acl_lookup_closestGlobDecidesAndDenyWinsAcrossPolicies', async () => {
    const dev = await parsePolicy('dev', DEV);
    const lockdown = await parsePolicy('lockdown', 'host_volume "mysql-*" { policy = "deny" }');
    const acl = new Acl(client(['dev']), [dev, lockdown]);
    expect(acl.allowNamespace('prod-db', 'submit-job')).toBe(true);
    expect(acl.allowNamespace('prod-web', 'submit-job')).toBe(false);
    expect(acl.allowNamespace('prod-web', 'read-job')).toBe(true);
    expect(acl.allowNamespace('other', 'read-job')).toBe(false);
    expect(acl.allowHostVolume('mysql-data', 'mount-readwrite')).toBe(true);
    expect(acl.allowHostVolume('logs', 'mount-readonly')).toBe(true);
    expect(acl.allowHostVolume('logs', 'mount-readwrite')).toBe(false);
    expect(acl.allowHostVolume('mysql-secrets', 'mount-readonly')).toBe(false);
    const both = new Acl(client(['dev', 'lockdown']), [dev, lockdown]);
    expect(both.allowHostVolume('mysql-data', 'mount-readonly')).toBe(false);
    expect(both.hostVolume('mysql-data')).toMatchObject({ denied: true, pattern: 'mysql-*' });
    expect(both.allowHostVolume('logs', 'mount-readonly')).toBe(true);
  });

  it('Acl_lookup_unknownPolicyGrantsNothingAndManagementEverything', async () => {
    const dev = await parsePolicy('dev', DEV);
    expect(new Acl(client(['gone']), [dev]).allowNamespace('default', 'read-job')).toBe(false);
    const root: AclToken = { accessorId: 'root', name: 'root', type: 'management', policies: [] };
    expect(new Acl(root, []).allowHostVolume('mysql-secrets', 'mount-readwrite')).toBe(true);
    expect(jobViolations(new Acl(root, []), jobWithVolume('anything', { namespace: 'x' }))).toEqual([]);
  });
});

describe('acl job submission', () => {
  it('CheckJob_volumes_readOnlyNeedsReadReadWriteNeedsWrite', async () => {
    const readers = await parsePolicy('readers', 'namespace "default" { policy = "write" }\nhost_volume "shared-*" { policy = "read" }');
    const acl = new Acl(client(['readers']), [readers]);
    expect(jobViolations(acl, jobWithVolume('shared-cfg', { mountRo: true }))).toEqual([]);
    expect(jobViolations(acl, jobWithVolume('shared-cfg', { requestRo: true }))).toEqual([]);
    const [violation] = jobViolations(acl, jobWithVolume('shared-cfg'));
    expect(violation?.volume).toBe('shared-cfg');
    expect(violation?.message).toBe(
      'group "mysql" volume "data": host volume "shared-cfg" needs write (mount-readwrite): host_volume "shared-*" of policy "readers" (policy = "read") grants only mount-readonly',
    );
  });

  it('CheckJob_submit_deniedVolumeRejectedNamingVolumeAndPolicy', async () => {
    const dev = await parsePolicy('dev', DEV);
    const acl = new Acl(client(['dev']), [dev]);
    expect(() => checkJobSubmission(acl, jobWithVolume('mysql-secrets', { mountRo: true }))).toThrow(
      /host volume "mysql-secrets" needs read \(mount-readonly\): host_volume "mysql-secrets" of policy "dev" \(policy = "deny"\) denies it/,
    );
    expect(() => checkJobSubmission(acl, jobWithVolume('mysql-data', { namespace: 'prod-web' }))).toThrow(
      /may not submit jobs to namespace "prod-web": namespace "prod-\*" of policy "dev"/,
    );
    expect(() => checkJobSubmission(acl, jobWithVolume('mysql-data'))).not.toThrow();
    const none = new Acl(client(['dev']), [await parsePolicy('dev', 'namespace "*" { policy = "write" }')]);
    expect(() => checkJobSubmission(none, jobWithVolume('data'))).toThrow(/no host_volume rule in the token's policies matches/);
  });

  it('CheckJob_perAlloc_checkedAgainstTheSourceWithoutIndex', async () => {
    const policy = await parsePolicy('p', 'namespace "*" { policy = "write" }\nhost_volume "mysql-data" { policy = "write" }\nhost_volume "mysql-secrets" { policy = "deny" }');
    const acl = new Acl(client(['p']), [policy]);
    // the rule for "mysql-data" governs the nodes' mysql-data[0], mysql-data[1], … (Nomad checks the source)
    expect(jobViolations(acl, jobWithVolume('mysql-data', { perAlloc: true }))).toEqual([]);
    const [violation] = jobViolations(acl, jobWithVolume('mysql-secrets', { perAlloc: true, mountRo: true }));
    expect(violation?.volume).toBe('mysql-secrets');
    expect(violation?.message).toMatch(/host volume "mysql-secrets" needs read .* denies it/);
  });
});
