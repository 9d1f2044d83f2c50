import { z } from 'zod';

/** `recipe.mysql:` how to run and reach the database of this member. */
export const mysqlRecipeSchema = z.strictObject({
  /** SQL dialect and tools: MariaDB (mariadb-backup, MASTER_USE_GTID) or MySQL 8 (xtrabackup, MASTER_AUTO_POSITION). */
  flavor: z.enum(['mariadb', 'mysql']).default('mariadb'),
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(1).max(65535).default(3306),
  dataDir: z.string().min(1),
  /** Socket, pid file, option files; defaults to `<dataDir>/../run`. */
  runDir: z.string().min(1).optional(),
  serverId: z.number().int().min(1).max(4294967295).optional(),
  replicationMode: z.enum(['async', 'semisync']).default('async'),
  bufferPool: z.string().default('64M'),
  /** Extra `--option=value` arguments for the server. */
  serverArgs: z.array(z.string()).default([]),
  database: z.string().default('app'),
  /** User names; passwords are SecretStore entries named `<role>-password` (e.g. `app-password`). */
  users: z
    .strictObject({
      root: z.string().default('root'),
      app: z.string().default('app'),
      replication: z.string().default('repl'),
      backup: z.string().default('backup'),
      monitor: z.string().default('pilotfish'),
    })
    .prefault({}),
  binaries: z
    .strictObject({
      server: z.string().default('/usr/sbin/mariadbd'),
      installDb: z.string().default('mariadb-install-db'),
      backup: z.string().default('mariadb-backup'),
      mbstream: z.string().default('mbstream'),
      dump: z.string().default('mariadb-dump'),
    })
    .prefault({}),
});

export type MysqlRecipeConfig = z.output<typeof mysqlRecipeSchema>;
