import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { PilotfishError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { ChildKeeper } from '../../process/keeper.js';
import type { SecretStore } from '../../secrets/secret-store.js';
import { MysqlPhysicalSource } from './backup/physical-source.js';
import type { BackupSource } from '../../backup/source.js';
import type { Manifest } from '../../backup/manifest.js';
import type { DataState, Recipe, RecipeHealth, RestoreFn, RestoredData } from '../recipe.js';
import { AdminConnection } from './admin-connection.js';
import type { MysqlRecipeConfig } from './config.js';
import { comparePositions, historyDiverged, mergeMariadbPositions, positionSequence } from './gtid.js';
import { mysqlRestorePrepare } from './backup/prepare.js';
import type { RestorePrepare } from '../../backup/restore.js';
import { initSql, mysqlPaths, serverOptions, writePrivateFile, type MysqlPasswords, type MysqlPaths } from './option-files.js';
import { stopLeftoverServer, waitUntilReady } from './server.js';
import { sqlFor, type FlavorSql } from './sql.js';
import { MysqlPrimaryControl } from './primary-control.js';

/** Everything the MySQL recipe needs from outside. */
export interface MysqlRecipeDeps {
  config: MysqlRecipeConfig;
  memberName: string;
  secrets: SecretStore;
  logger: Logger;
  startTimeoutMs?: number;
  stopGraceMs?: number;
}

/** A stable server id from the member name when the configuration gives none (1 … 2^32-1). */
export function serverIdFor(name: string): number {
  let hash = 2166136261;
  for (const ch of name) hash = Math.imul(hash ^ ch.charCodeAt(0), 16777619) >>> 0;
  return (hash % 4294967294) + 1;
}

/** Lives in the data directory (mariadb-backup does not copy it), so it lives and dies with the data set. */
const SERVER_ID_FILE = 'pilotfish-server-id';

const ROLES = ['root', 'app', 'replication', 'backup', 'monitor'] as const;

/** Reads the five role passwords (`<role>-password`) from the SecretStore. */
export async function loadPasswords(secrets: SecretStore): Promise<MysqlPasswords> {
  const entries = await Promise.all(ROLES.map(async (role) => [role, await secrets.get(`${role}-password`)] as const));
  return Object.fromEntries(entries) as unknown as MysqlPasswords;
}

/** The MySQL/MariaDB recipe: see {@link Recipe} for the contract. */
export class MysqlRecipe implements Recipe {
  readonly name = 'mysql';
  readonly paths: MysqlPaths;
  private readonly sql: FlavorSql;
  private readonly keeper: ChildKeeper;
  private readonly db: AdminConnection;
  private readonly control: MysqlPrimaryControl;
  private withInitFile = false;
  private readonly configuredServerId: number;

  private constructor(
    private readonly deps: MysqlRecipeDeps,
    private readonly passwords: MysqlPasswords,
  ) {
    const { config, logger } = deps;
    this.paths = mysqlPaths(config);
    this.sql = sqlFor(config.flavor);
    this.configuredServerId = config.serverId ?? serverIdFor(deps.memberName);
    const secretValues = () => Object.values(this.passwords);
    this.db = new AdminConnection(this.paths.socket, config.users.root, () => this.passwords.root, secretValues);
    this.control = new MysqlPrimaryControl(this.db, this.sql, config, this.paths, passwords, logger);
    this.keeper = new ChildKeeper(
      () => ({ name: 'mariadbd', file: config.binaries.server, args: [`--defaults-file=${this.paths.serverCnf}`] }),
      {
        backoff: { initialMs: 500, maxMs: 15_000, jitter: 0.2 },
        stableAfterMs: 60_000,
        stopGraceMs: deps.stopGraceMs ?? 120_000,
        onCrash: () => void this.db.close(),
      },
      logger.child({ process: 'mariadbd' }),
    );
  }

  static async create(deps: MysqlRecipeDeps): Promise<MysqlRecipe> {
    return new MysqlRecipe(deps, await loadPasswords(deps.secrets));
  }

  signal(signal: NodeJS.Signals): void {
    this.keeper.signal(signal);
  }

  get restarts(): number {
    return this.keeper.restarts;
  }

  get pid(): number | undefined {
    return this.keeper.current?.pid;
  }

  get port(): number {
    return this.deps.config.port;
  }

  /** `host:port` clients use. */
  get address(): string {
    return `${this.deps.config.host}:${this.deps.config.port}`;
  }

  get prepareRestored(): RestorePrepare {
    return mysqlRestorePrepare(this.deps.config.binaries.backup);
  }

  async inspectData(): Promise<DataState> {
    const dir = this.paths.dataDir;
    if (!existsSync(dir)) return 'empty';
    const entries = readdirSync(dir).filter((e) => e !== 'lost+found');
    if (entries.length === 0) return 'empty';
    if (existsSync(join(dir, 'mysql'))) return 'present';
    throw new PilotfishError(
      'RECIPE_FAILED',
      `data directory ${dir} holds files but no MySQL data set (no mysql/ schema); move them away or point recipe.mysql.dataDir elsewhere`,
    );
  }

  async initialize(): Promise<void> {
    const { config, logger } = this.deps;
    const staging = `${this.paths.dataDir}.init-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true, mode: 0o750 });
    const result = await execa(
      config.binaries.installDb,
      [
        '--no-defaults',
        `--datadir=${staging}`,
        '--auth-root-authentication-method=socket',
        '--skip-test-db',
        ...(process.getuid?.() === 0 ? ['--user=root'] : []),
      ],
      { reject: false, all: true },
    );
    if (result.exitCode !== 0) {
      rmSync(staging, { recursive: true, force: true });
      throw new PilotfishError('RECIPE_FAILED', `${config.binaries.installDb} failed (exit ${result.exitCode}): ${String(result.all).slice(-400)}`);
    }
    this.swapIntoPlace(staging);
    writePrivateFile(this.paths.initFile, initSql(config, this.passwords));
    this.withInitFile = true;
    logger.info({ dataDir: this.paths.dataDir }, 'initialised a new data directory');
  }

  async restore(restore: RestoreFn): Promise<RestoredData> {
    const staging = `${this.paths.dataDir}.restore-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(dirname(staging), { recursive: true });
    try {
      const restored = await restore(staging, AbortSignal.timeout(3_600_000));
      // A restored data set gets a server id of its own: a replica skips events carrying its own
      // id, so a member that wrote transactions as primary, then restored an older backup, would
      // silently skip its own old writes when catching up under its old id.
      writeFileSync(join(staging, SERVER_ID_FILE), `${serverIdFor(`${this.deps.memberName}@${new Date().toISOString()}`)}\n`);
      this.swapIntoPlace(staging);
      writePrivateFile(this.paths.resumePositionFile, restored.position);
      return restored;
    } catch (err) {
      rmSync(staging, { recursive: true, force: true });
      throw err;
    }
  }

  async setAside(): Promise<string> {
    const aside = `${this.paths.dataDir}.diverged-${new Date().toISOString().replace(/[-:.]/g, '')}`;
    renameSync(this.paths.dataDir, aside);
    rmSync(this.paths.resumePositionFile, { force: true });
    return aside;
  }

  /** Moves a complete staging directory to the data directory, which must be empty or absent. */
  private swapIntoPlace(staging: string): void {
    const dir = this.paths.dataDir;
    if (existsSync(dir)) {
      if (readdirSync(dir).some((e) => e !== 'lost+found')) {
        throw new PilotfishError('RECIPE_FAILED', `data directory ${dir} is no longer empty; leaving it as it is`);
      }
      rmSync(dir, { recursive: true });
    }
    mkdirSync(dirname(dir), { recursive: true });
    renameSync(staging, dir);
  }

  /** The configured id for data this member initialised or kept; a fresh one for restored data. */
  get serverId(): number {
    const file = join(this.paths.dataDir, SERVER_ID_FILE);
    return existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : this.configuredServerId;
  }

  async start(): Promise<void> {
    const { config, logger } = this.deps;
    mkdirSync(this.paths.runDir, { recursive: true, mode: 0o700 });
    await stopLeftoverServer(this.paths, this.deps.stopGraceMs ?? 120_000, logger);
    if (!this.withInitFile) rmSync(this.paths.initFile, { force: true });
    writePrivateFile(this.paths.serverCnf, serverOptions(config, this.paths, this.serverId, this.withInitFile));
    this.keeper.start();
    await waitUntilReady(this.keeper, () => this.db.query('SELECT 1').then(() => undefined), this.paths, this.deps.startTimeoutMs ?? 120_000);
    if (this.withInitFile) {
      // The users exist now; the file holding their passwords must not outlive this start.
      rmSync(this.paths.initFile, { force: true });
      this.withInitFile = false;
      writePrivateFile(this.paths.serverCnf, serverOptions(config, this.paths, this.serverId, false));
    }
    logger.info({ address: this.address, serverId: this.serverId }, 'database server is up (read-only)');
  }

  async stop(): Promise<void> {
    await this.db.close();
    await this.keeper.stop();
  }

  async health(): Promise<RecipeHealth> {
    const down: RecipeHealth = {
      alive: false, writable: false, replicating: false, source: null, position: '', lagSeconds: null, replicationError: null,
    };
    try {
      const [state] = await this.db.query<{ read_only: number | string; position: string }>(this.sql.state);
      const replica = await this.control.replicaStatus();
      return {
        alive: true,
        writable: Number(state?.read_only) === 0,
        replicating: replica !== null && replica.ioRunning && replica.sqlRunning,
        source: replica && replica.sourceHost ? `${replica.sourceHost}:${replica.sourcePort}` : null,
        // A replica ranks by what it received (semi-sync acknowledges receipt, not application):
        // the member holding every acknowledged transaction must win the failover.
        position: this.deps.config.flavor === 'mariadb' && replica?.receivedPosition
          ? mergeMariadbPositions(String(state?.position ?? ''), replica.receivedPosition)
          : String(state?.position ?? ''),
        lagSeconds: replica?.lagSeconds ?? null,
        replicationError: replica?.lastError ?? null,
      };
    } catch {
      return down;
    }
  }

  becomePrimary(fenceAtMs: number): Promise<void> {
    return this.control.becomePrimary(fenceAtMs);
  }

  extendFence(fenceAtMs: number): Promise<void> {
    return this.control.armDeadman(fenceAtMs);
  }

  followPrimary(address: string): Promise<void> {
    return this.control.follow(address);
  }

  fence(): Promise<boolean> {
    return this.control.fence();
  }

  backupSource(): BackupSource {
    const { config } = this.deps;
    return new MysqlPhysicalSource({
      connection: { user: config.users.backup, password: this.passwords.backup, socket: this.paths.socket },
      binary: config.binaries.backup,
      dataDir: this.paths.dataDir,
    });
  }

  private binlogAtLastCheck: string | undefined;

  async shouldBackUp(): Promise<boolean> {
    const [row] = await this.db.query<{ File?: string }>(this.sql.binlogFile);
    const file = row?.File;
    if (file === undefined) return false;
    const rotated = this.binlogAtLastCheck !== undefined && this.binlogAtLastCheck !== file;
    this.binlogAtLastCheck = file;
    return rotated;
  }

  comparePositions(a: string, b: string): number | null {
    return comparePositions(a, b);
  }

  readonly backupsFrom = 'replica-first' as const;
  readonly backupOnStop = false;

  backupPosition(manifest: Manifest): string {
    return manifest.position?.gtid ?? '';
  }

  positionProgress(position: string): number {
    return positionSequence(position);
  }

  historyDiverged(replicationError: string): boolean {
    return historyDiverged(replicationError);
  }

  /** The position a restored data set resumes from, until the first follow applies it. */
  pendingResumePosition(): string | null {
    return existsSync(this.paths.resumePositionFile) ? readFileSync(this.paths.resumePositionFile, 'utf8').trim() : null;
  }
}
