import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../common/config.js';
import { silentLogger } from '../../../common/logger.js';
import { coordinatorSchema } from '../../../coordination/config.js';
import { createCoordinator } from '../../../coordination/factory.js';

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

  it('createCoordinator_etcdTtl_isReportedInTheWholeSecondsEtcdGrants', async () => {
    const coordinator = await make({ etcd: { endpoints: ['http://127.0.0.1:1'], ttl: '2500ms' } });
    expect(coordinator.lease).toEqual({ ttlMs: 3000, maxTtlMs: 3000 });
    await coordinator.close();
  });

  it('createCoordinator_consulTtl_reportsASessionThatMayLiveTwiceItsTtlPlusTheLockDelay', async () => {
    const coordinator = await make({ consul: { address: 'http://127.0.0.1:1', ttl: '15s', lockDelay: '1s' } });
    expect(coordinator.lease).toEqual({ ttlMs: 15_000, maxTtlMs: 31_000 });
    await coordinator.close();
  });

  it('coordinatorSchema_memoryKey_isRefusedNamingEtcdAndConsul', () => {
    expect(() => parseConfig(coordinatorSchema, { memory: {} }, 'test config')).toThrow(
      /memory: the in-memory coordinator exists only inside unit tests.*use coordinator\.etcd or coordinator\.consul/,
    );
  });
});
