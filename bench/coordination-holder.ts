import { silentLogger } from '../common/logger.js';
import { EtcdCoordinator } from '../coordination/etcd.js';

/**
 * The lock holder of `bench/coordination`: a separate process (so SIGKILL is a real crash) that
 * takes the leader key through the built etcd adapter, renews it like the HA loop would, and says
 * `holding` on stdout once it holds it. Arguments: endpoint, cluster, ttlMs, renewEveryMs.
 */

const [endpoint, cluster, ttlText, renewText] = process.argv.slice(2);
if (!endpoint || !cluster || !ttlText || !renewText) {
  console.error('usage: coordination-holder <etcd endpoint> <cluster> <ttlMs> <renewEveryMs>');
  process.exit(2);
}

const coordinator = new EtcdCoordinator({
  cluster,
  endpoints: [endpoint],
  ttlMs: Number(ttlText),
  timeoutMs: 2000,
  logger: silentLogger(),
});
const record = { member: `holder-${process.pid}`, address: '127.0.0.1:3306', term: 1, since: new Date().toISOString() };

await coordinator.keepAlive();
for (;;) {
  if (await coordinator.tryAcquireLeader(record)) break;
  await new Promise((resolve) => setTimeout(resolve, 100));
}
console.log('holding');
setInterval(() => {
  coordinator.renewLeader().catch((err: unknown) => console.error(`renew failed: ${String(err)}`));
}, Number(renewText));
