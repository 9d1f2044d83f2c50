import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LocalRecipe } from '../recipe.js';

/** `pilotfish up mysql`: MariaDB members with a small buffer pool, every role's password generated. */
export const mysqlLocal: LocalRecipe = {
  memberPrefix: 'db',
  secrets: ['root-password', 'app-password', 'replication-password', 'backup-password', 'monitor-password'],
  section: (member, options) => ({
    port: member.port,
    serverId: member.index,
    dataDir: join(member.memberDir, 'data'),
    bufferPool: '64M',
    ...(options.replicationMode ? { replicationMode: options.replicationMode } : {}),
  }),
  schedulerJob: {
    file: fileURLToPath(new URL('../../../compose/scheduler/mysql.hcl', import.meta.url)),
    jobId: 'mysql',
    members: 3,
    portMetaKey: 'mysql_port_base',
    templateSection: (options) => ({ bufferPool: '64M', ...(options.replicationMode ? { replicationMode: options.replicationMode } : {}) }),
  },
  connectionLines: (primary, others, secret) => {
    const password = secret('app-password');
    return [
      `primary: mysql://app:${password}@127.0.0.1:${primary.port}/app`,
      ...others.map((m) => `replica ${m.name}: mysql://app:${password}@127.0.0.1:${m.port}/app`),
    ];
  },
};
