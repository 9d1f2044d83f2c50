import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../common/logger.js';
import { ApiClient } from '../../../scheduler/api/client.js';
import { startServer, type SchedulerServer } from '../../../scheduler/server/server.js';
import { serverConfigSchema } from '../../../scheduler/server/config.js';
import { mockNode } from '../../../scheduler/scheduling/testing/mock.js';
import { tempDir } from '../../support/tmp.js';

const TOKEN = 'management-token-for-tests';
let dir: { path: string; remove(): void } | undefined;
let server: SchedulerServer | undefined;

afterEach(async () => {
  await server?.close();
  dir?.remove();
  server = undefined;
  dir = undefined;
});

async function start(): Promise<ApiClient> {
  dir = tempDir();
  const config = serverConfigSchema.parse({ address: '127.0.0.1:0', dataDir: dir.path, managementToken: TOKEN });
  server = await startServer(config, silentLogger());
  return new ApiClient({ address: server.address, token: TOKEN });
}

async function status(client: ApiClient, method: string, path: string, body?: unknown): Promise<number> {
  try {
    await client.request(method, path, body);
    return 200;
  } catch (err) {
    return (err as { details?: { status?: number } }).details?.status ?? -1;
  }
}

function registration(id: string) {
  const { status: _s, schedulingEligibility: _e, drain: _d, statusUpdatedAtMs: _t, createTimeMs: _c, modifyTimeMs: _m, ...node } = mockNode({ id });
  return { node };
}

describe('scheduler server authentication', () => {
  it('ServerAuth_nodeSecret_onlyItsOwnNodeEndpoints', async () => {
    const admin = await start();
    const a = await admin.post<{ secretId: string }>('/v1/node/register', registration('aaaaaaaa-0000-4000-8000-000000000001'));
    await admin.post('/v1/node/register', registration('bbbbbbbb-0000-4000-8000-000000000002'));
    const asNode = admin.withToken(a.secretId);
    expect(await status(asNode, 'PUT', '/v1/node/aaaaaaaa-0000-4000-8000-000000000001/heartbeat', {})).toBe(200);
    expect(await status(asNode, 'GET', '/v1/node/aaaaaaaa-0000-4000-8000-000000000001/allocations')).toBe(200);
    expect(await status(asNode, 'PUT', '/v1/node/bbbbbbbb-0000-4000-8000-000000000002/heartbeat', {})).toBe(403);
    expect(await status(asNode, 'GET', '/v1/jobs')).toBe(403);
    expect(await status(asNode, 'POST', '/v1/node/register', registration('bbbbbbbb-0000-4000-8000-000000000002'))).toBe(403);
  });

  it('ServerAuth_missingWrongAndRightToken_401_403_200', async () => {
    const admin = await start();
    expect(await status(admin.withToken(''), 'GET', '/v1/jobs')).toBe(401);
    expect(await status(admin.withToken('x'.repeat(TOKEN.length)), 'GET', '/v1/jobs')).toBe(403);
    expect(await status(admin, 'GET', '/v1/jobs')).toBe(200);
    expect(await status(admin.withToken(''), 'GET', '/v1/no/such/route')).toBe(401);
  });

  it('ServerConfig_shortToken_rejectedNamingTheField', () => {
    const result = serverConfigSchema.safeParse({ dataDir: '/tmp/x', managementToken: 'short' });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain('managementToken');
  });
});
