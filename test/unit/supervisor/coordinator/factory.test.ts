import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../common/config.js';
import { silentLogger } from '../../../../common/logger.js';
import { coordinatorSchema } from '../../../../supervisor/coordinator/config.js';
import { createCoordinator } from '../../../../supervisor/coordinator/factory.js';

const make = (raw: unknown) =>
  createCoordinator(parseConfig(coordinatorSchema, raw, 'test config'), { cluster: 'c', memberName: 'db-1', logger: silentLogger() });

describe('createCoordinator', () => {
  it('createCoordinator_etcdKey_buildsTheEtcdAdapterWithoutConnecting', async () => {
    const coordinator = await make({ etcd: { endpoints: ['http://127.0.0.1:1'] } });
    expect(coordinator.kind).toBe('etcd');
    await coordinator.close();
  });

  it('createCoordinator_consulKey_buildsTheConsulAdapter', async () => {
    const coordinator = await make({ consul: { address: 'http://127.0.0.1:1', ttl: '15s' } });
    expect(coordinator.kind).toBe('consul');
    await coordinator.close();
  });

  it('createCoordinator_memoryKey_sharesOneStoreAcrossInstances', async () => {
    const [a, b] = await Promise.all([make({ memory: {} }), make({ memory: {} })]);
    expect(await a.cas('initialized', 'a', null)).toBe(true);
    expect(await b.cas('initialized', 'b', null)).toBe(false);
    await a.delete('initialized');
  });
});
