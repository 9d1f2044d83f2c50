import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseHcl } from '@cdktf/hcl2json';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { applyEnvOverrides, parseConfig } from '../../../common/config.js';
import { pilotfishConfigSchema } from '../../../supervisor/config.js';
import { repoRoot } from '../../support/paths.js';

// Docker and Nomad do not run here, so the files are validated instead: they parse, they wire what
// the recipe needs, and the pilotfish configuration they carry passes the real schema.

const compose = (file: string) => readFile(join(repoRoot, 'compose', file), 'utf8');
const TOP_LEVEL = Object.keys(pilotfishConfigSchema.shape);

interface ComposeService {
  image?: string;
  build?: unknown;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  healthcheck?: { test: string[] };
}

describe('compose/mysql/docker-compose.yml', () => {
  it('dockerCompose_members_haveOwnVolumeNameHealthcheckAndLoopbackPorts', async () => {
    const doc = parseYaml(await compose('mysql/docker-compose.yml'), { merge: true }) as {
      services: Record<string, ComposeService>;
      volumes: Record<string, unknown>;
    };
    const members = Object.entries(doc.services).filter(([name]) => name.startsWith('db-'));
    expect(members.map(([name]) => name)).toEqual(['db-1', 'db-2', 'db-3']);
    const dataVolumes = new Set<string>();
    for (const [name, service] of members) {
      expect(service.image).toBe('pilotfish/mysql:dev');
      expect(service.environment?.PILOTFISH_MEMBER__NAME).toBe(name);
      expect(service.healthcheck?.test.join(' ')).toContain('/health');
      const data = service.volumes?.find((v) => v.endsWith(':/var/lib/mysql'));
      expect(data, `${name} mounts a volume at /var/lib/mysql`).toBeDefined();
      dataVolumes.add((data as string).split(':')[0] as string);
      for (const port of service.ports ?? []) expect(port.startsWith('127.0.0.1:')).toBe(true);
    }
    expect(dataVolumes.size).toBe(3);
    for (const volume of dataVolumes) expect(doc.volumes).toHaveProperty(volume);
  });

  it('dockerCompose_everyRequiredVariable_isInEnvExample', async () => {
    const text = await compose('mysql/docker-compose.yml');
    const required = new Set([...text.matchAll(/\$\{([A-Z_]+):\?/g)].map((m) => m[1]));
    const example = await compose('mysql/.env.example');
    const defined = new Set([...example.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]));
    expect([...required].filter((name) => !defined.has(name))).toEqual([]);
  });

  it('dockerCompose_memberConfig_passesTheSchemaWithEachMembersOverrides', async () => {
    const doc = parseYaml(await compose('mysql/docker-compose.yml'), { merge: true }) as {
      services: Record<string, ComposeService>;
    };
    const raw = parseYaml(await compose('mysql/pilotfish.yaml')) as Record<string, unknown>;
    for (const name of ['db-1', 'db-2', 'db-3']) {
      const env = doc.services[name]?.environment ?? {};
      const config = parseConfig(pilotfishConfigSchema, applyEnvOverrides(raw, env, TOP_LEVEL), name);
      expect(config.member?.name).toBe(name);
      expect(config.coordinator.etcd?.endpoints).toEqual(['http://etcd:2379']);
    }
  });
});

describe('compose/nomad/mysql.nomad.hcl', () => {
  it('nomadJob_group_spreadsOverRacksWithStickyMigratingDisk', async () => {
    const doc = (await parseHcl('mysql.nomad.hcl', await compose('nomad/mysql.nomad.hcl'))) as {
      job: Record<string, Array<{ group: Record<string, Array<Record<string, unknown>>> }>>;
    };
    const group = doc.job['mysql-shop']?.[0]?.group.db?.[0] as Record<string, unknown>;
    expect(group.count).toBe(3);
    expect(group.constraint).toEqual([{ distinct_property: '${meta.rack}', value: '1' }]);
    expect(group.ephemeral_disk).toEqual([expect.objectContaining({ sticky: true, migrate: true })]);
  });

  it('nomadJob_templatedConfig_passesTheSchema', async () => {
    const doc = (await parseHcl('mysql.nomad.hcl', await compose('nomad/mysql.nomad.hcl'))) as {
      job: Record<string, Array<{ group: Record<string, Array<{ task: Record<string, Array<Record<string, unknown>>> }>> }>>;
    };
    const task = doc.job['mysql-shop']?.[0]?.group.db?.[0]?.task.mysql?.[0] as {
      template: Array<{ destination: string; data: string }>;
    };
    const template = task.template.find((t) => t.destination === 'local/pilotfish.yaml');
    // Render the few Nomad template expressions it uses with sample values.
    const rendered = (template?.data ?? '')
      .replace(/\{\{ env "NOMAD_ALLOC_INDEX" \}\}/g, '0')
      .replace(/\{\{ env "NOMAD_IP_mysql" \}\}/g, '10.0.0.5')
      .replace(/\{\{ env "attr.unique.network.ip-address" \}\}/g, '10.0.0.5')
      .replace(/\{\{ env "NOMAD_ALLOC_DIR" \}\}/g, '/alloc');
    expect(rendered).not.toContain('{{');
    const config = parseConfig(pilotfishConfigSchema, parseYaml(rendered), 'nomad template');
    expect(config.coordinator.consul?.ttl).toBe(10_000);
    expect(config.recipe?.mysql?.dataDir).toBe('/alloc/data/mysql');
  });
});

describe('compose/directory/docker-compose.yml', () => {
  it('dockerCompose_directoryMembers_ownVolumesAtTheRecipePathAndConfigPassesTheSchema', async () => {
    const doc = parseYaml(await compose('directory/docker-compose.yml'), { merge: true }) as {
      services: Record<string, ComposeService>;
      volumes: Record<string, unknown>;
    };
    const raw = parseYaml(await compose('directory/pilotfish.yaml')) as Record<string, unknown>;
    const members = Object.entries(doc.services).filter(([name]) => name.startsWith('app-'));
    expect(members.map(([name]) => name)).toEqual(['app-1', 'app-2']);
    for (const [name, service] of members) {
      const config = parseConfig(pilotfishConfigSchema, applyEnvOverrides(raw, service.environment ?? {}, TOP_LEVEL), name);
      expect(config.member?.name).toBe(name);
      const path = config.recipe?.directory?.path as string;
      // The recipe's directory lives on the member's own volume.
      const volume = service.volumes?.find((v) => path.startsWith(`${v.split(':')[1]}/`));
      expect(volume, `${name} mounts a volume above ${path}`).toBeDefined();
      expect(doc.volumes).toHaveProperty((volume as string).split(':')[0] as string);
      expect(service.healthcheck?.test.join(' ')).toContain('/health');
      for (const port of service.ports ?? []) expect(port.startsWith('127.0.0.1:')).toBe(true);
    }
    const text = await compose('directory/docker-compose.yml');
    const required = new Set([...text.matchAll(/\$\{([A-Z_]+):\?/g)].map((m) => m[1]));
    const example = await compose('directory/.env.example');
    const defined = new Set([...example.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]));
    expect([...required].filter((name) => !defined.has(name))).toEqual([]);
  });
});

describe('compose/nomad/directory.nomad.hcl', () => {
  it('nomadJob_directory_distinctHostsStickyMigratingDiskAndConfigPassesTheSchema', async () => {
    const doc = (await parseHcl('directory.nomad.hcl', await compose('nomad/directory.nomad.hcl'))) as {
      job: Record<string, Array<{ group: Record<string, Array<Record<string, unknown> & { task: Record<string, Array<Record<string, unknown>>> }>> }>>;
    };
    const group = doc.job.notes?.[0]?.group.app?.[0];
    expect(group?.count).toBe(2);
    expect(group?.ephemeral_disk).toEqual([expect.objectContaining({ sticky: true, migrate: true })]);
    const task = group?.task.app?.[0] as { template: Array<{ destination: string; data: string }> };
    const rendered = (task.template.find((t) => t.destination === 'local/pilotfish.yaml')?.data ?? '')
      .replace(/\{\{ env "NOMAD_ALLOC_INDEX" \}\}/g, '0')
      .replace(/\{\{ env "NOMAD_IP_status" \}\}/g, '10.0.0.5')
      .replace(/\{\{ env "attr.unique.network.ip-address" \}\}/g, '10.0.0.5')
      .replace(/\{\{ env "NOMAD_ALLOC_DIR" \}\}/g, '/alloc');
    expect(rendered).not.toContain('{{');
    const config = parseConfig(pilotfishConfigSchema, parseYaml(rendered), 'nomad template');
    expect(config.recipe?.directory?.path).toBe('/alloc/data/app');
    expect(config.recipe?.directory?.command).toEqual(['node', '/opt/app/append-writer.mjs']);
  });
});
