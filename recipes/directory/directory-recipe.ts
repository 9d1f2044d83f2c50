import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { execa } from 'execa';
import type { Manifest } from '../../backup/manifest.js';
import type { SnapshotSource } from '../../backup/source.js';
import { backupIdTime } from '../../backup/layout.js';
import { PilotfishError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { isSameProcessAlive, processStartTime, signalGroup } from '../../common/process-identity.js';
import { pickEnv } from '../../process/child.js';
import { ChildKeeper } from '../../process/keeper.js';
import type { DataState, Recipe, RecipeDeps, RecipeHealth, RestoreFn, RestoredData } from '../recipe.js';
import { ChangeTracker } from './change-tracker.js';
import type { DirectoryRecipeConfig } from './config.js';

/** SIGTERM → SIGKILL bound when the lease is lost: the application must be gone well inside `ha.safetyMargin`. */
const FENCE_GRACE_MS = 500;

/**
 * The only variables of the supervisor's environment the application sees (besides
 * `recipe.directory.env` and `PILOTFISH_DATA_DIR`): the supervisor's holds credentials (object
 * store, Vault, Consul, `PILOTFISH_SECRET_*`) that are none of the application's business.
 */
export const APPLICATION_ENV = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'] as const;

/** The full environment of the `preBackup` command: the same as the application's. */
function hookEnv(config: DirectoryRecipeConfig): Record<string, string> {
  return { ...pickEnv(APPLICATION_ENV), ...config.env, PILOTFISH_DATA_DIR: config.path };
}

/** Positions are backup ids, which sort by time; '' (no backup yet) comes first. */
export function compareBackupIds(a: string, b: string): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

/**
 * What the recipe remembers beside the directory (`<path>.pilotfish.json`, never inside it, so it
 * is neither backed up nor seen by the application):
 * - `position`: the backup the directory's content is, or descends from (a backup id; ids sort by time);
 * - `dirty`: the application ran on the directory after that backup, so it may hold changes no
 *   backup has; such a directory is moved aside, never replaced, when a newer backup is restored;
 * - `app`: the application process this member started last, so a supervisor restarted after a
 *   SIGKILL stops an application its predecessor left running before anything else touches the data.
 */
interface LocalState {
  position: string;
  dirty: boolean;
  app?: { pid: number; startTime: string };
}

type Role = 'starting' | 'standby' | 'primary' | 'stopped';

/**
 * The directory recipe: any application that keeps its state in one directory becomes disposable.
 * Exactly one member, the lease holder, runs the application over its copy of the directory; the
 * others are standbys that keep their copy warm by restoring each new backup as it lands, so a
 * takeover needs only the last increment. Positions are backup ids.
 */
export class DirectoryRecipe implements Recipe {
  readonly name = 'directory';
  readonly prepareRestored = undefined;
  readonly backupsFrom = 'primary' as const;
  readonly backupOnStop = true;
  private readonly keeper: ChildKeeper;
  private readonly tracker: ChangeTracker;
  private readonly stateFile: string;
  private role: Role = 'starting';
  private following: string | null = null;
  private local: LocalState;

  constructor(private readonly deps: RecipeDeps<DirectoryRecipeConfig>) {
    const { config, logger } = deps;
    this.stateFile = join(dirname(config.path), `${basename(config.path)}.pilotfish.json`);
    this.local = this.readState();
    this.tracker = new ChangeTracker(config.path, { quietPeriodMs: config.quietPeriod, maxDelayMs: config.maxDelay }, logger);
    const [file, ...args] = config.command as [string, ...string[]];
    this.keeper = new ChildKeeper(
      () => ({ name: 'application', file, args, inheritEnv: APPLICATION_ENV, env: { ...config.env, PILOTFISH_DATA_DIR: config.path } }),
      {
        backoff: { initialMs: 500, maxMs: 15_000, jitter: 0.2 },
        stableAfterMs: 30_000,
        stopGraceMs: config.stopTimeout,
        onStart: (child) => this.recordApp(child.pid),
      },
      logger.child({ process: 'application' }),
    );
  }

  static async create(deps: RecipeDeps<DirectoryRecipeConfig>): Promise<DirectoryRecipe> {
    const { path } = deps.config;
    if (existsSync(path) && !statSync(path).isDirectory()) {
      throw new PilotfishError('CONFIG_INVALID', `recipe.directory.path: ${path} is not a directory; point it at the application's data directory (it is created when missing)`);
    }
    return new DirectoryRecipe(deps);
  }

  get port(): number {
    return this.deps.config.port;
  }

  get address(): string {
    return `127.0.0.1:${this.deps.config.port}`;
  }

  get restarts(): number {
    return this.keeper.restarts;
  }

  get pid(): number | undefined {
    return this.keeper.current?.pid;
  }

  private readState(): LocalState {
    try {
      const parsed = JSON.parse(readFileSync(this.stateFile, 'utf8')) as Partial<LocalState>;
      return { position: typeof parsed.position === 'string' ? parsed.position : '', dirty: parsed.dirty !== false, app: parsed.app };
    } catch {
      // No state: a directory with content of unknown origin counts as dirty, so it is never replaced.
      return { position: '', dirty: true };
    }
  }

  private writeState(change: Partial<LocalState>): void {
    this.local = { ...this.local, ...change };
    mkdirSync(dirname(this.stateFile), { recursive: true });
    const tmp = `${this.stateFile}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.local)}\n`, { mode: 0o600 });
    renameSync(tmp, this.stateFile);
  }

  private recordApp(pid: number): void {
    const startTime = processStartTime(pid);
    if (startTime) this.writeState({ app: { pid, startTime }, dirty: true });
  }

  /** An application a previous incarnation of this supervisor started (and could not stop) is stopped first. */
  private stopLeftoverApp(): void {
    const app = this.local.app;
    if (!app || !isSameProcessAlive(app.pid, app.startTime)) return;
    this.deps.logger.warn({ pid: app.pid }, 'an application a previous supervisor started still runs on the directory; killing it');
    signalGroup(app.pid, 'SIGKILL');
  }

  async inspectData(): Promise<DataState> {
    const { path } = this.deps.config;
    if (!existsSync(path)) return 'empty';
    return readdirSync(path).some((e) => e !== 'lost+found') ? 'present' : 'empty';
  }

  async initialize(): Promise<void> {
    mkdirSync(this.deps.config.path, { recursive: true });
    this.writeState({ position: '', dirty: false });
    this.deps.logger.info({ path: this.deps.config.path }, 'started the cluster with an empty directory');
  }

  async restore(restore: RestoreFn): Promise<RestoredData> {
    const { path } = this.deps.config;
    const staging = `${path}.restore-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(dirname(staging), { recursive: true });
    try {
      const restored = await restore(staging, AbortSignal.timeout(3_600_000));
      if (existsSync(path)) {
        if (readdirSync(path).some((e) => e !== 'lost+found')) {
          throw new PilotfishError('RECIPE_FAILED', `data directory ${path} is no longer empty; leaving it as it is`);
        }
        rmSync(path, { recursive: true });
      }
      renameSync(staging, path);
      this.writeState({ position: restored.position, dirty: false });
      return restored;
    } catch (err) {
      rmSync(staging, { recursive: true, force: true });
      throw err;
    }
  }

  async setAside(): Promise<string> {
    const { path } = this.deps.config;
    const aside = `${path}.diverged-${new Date().toISOString().replace(/[-:.]/g, '')}`;
    renameSync(path, aside);
    mkdirSync(path, { recursive: true });
    this.writeState({ position: '', dirty: false });
    return aside;
  }

  /** Members start as standbys: the application runs only on the lease holder. */
  async start(): Promise<void> {
    this.stopLeftoverApp();
    mkdirSync(this.deps.config.path, { recursive: true });
    this.role = 'standby';
  }

  async stop(): Promise<void> {
    await this.stopApplication(this.deps.config.stopTimeout);
    this.role = 'stopped';
  }

  signal(signal: NodeJS.Signals): void {
    this.keeper.signal(signal);
  }

  async health(): Promise<RecipeHealth> {
    const running = this.keeper.current !== undefined;
    const primary = this.role === 'primary';
    return {
      alive: primary ? running : this.role === 'standby',
      writable: primary && running,
      replicating: this.role === 'standby' && this.following !== null,
      source: this.role === 'standby' ? this.following : null,
      position: this.local.position,
      lagSeconds: null,
      replicationError: null,
    };
  }

  async becomePrimary(): Promise<void> {
    this.following = null;
    this.role = 'primary';
    if (this.keeper.current) return;
    this.writeState({ dirty: true });
    this.tracker.start();
    this.keeper.start();
    this.deps.logger.info({ path: this.deps.config.path, position: this.local.position }, 'application started on this member (primary)');
  }

  /** The dead-man switch is the process watchdog beside the supervisor; nothing to move here. */
  async extendFence(): Promise<void> {}

  async followPrimary(address: string): Promise<void> {
    if (this.keeper.current) await this.stopApplication(this.deps.config.stopTimeout);
    this.role = 'standby';
    this.following = address;
  }

  /** Stops the application within {@link FENCE_GRACE_MS} (SIGTERM, then SIGKILL). */
  async fence(): Promise<boolean> {
    await this.stopApplication(FENCE_GRACE_MS);
    if (this.role === 'primary') this.role = 'standby';
    return true;
  }

  private async stopApplication(graceMs: number): Promise<void> {
    this.tracker.stop();
    const pid = this.keeper.current?.pid;
    const exit = await this.keeper.stop(graceMs);
    if (pid !== undefined) this.deps.logger.info({ pid, ...exit }, 'application stopped');
  }

  /**
   * Brings the local copy to backup `latest` when it is newer: a standby after each backup, a new
   * primary before its application starts. A copy that may hold changes of its own (`dirty`) is
   * moved aside, never replaced.
   */
  async catchUp(latest: { id: string; position: string }, restore: RestoreFn): Promise<void> {
    if (this.keeper.current) throw new PilotfishError('RECIPE_FAILED', 'the application runs here; a running primary does not restore backups');
    if (this.comparePositions(latest.position, this.local.position) <= 0) return;
    const { path } = this.deps.config;
    if (this.local.dirty && (await this.inspectData()) === 'present') {
      const aside = await this.setAside();
      this.deps.logger.warn({ aside, backupId: latest.id }, 'moved a directory the application had changed aside before restoring a newer backup');
    }
    // The copy is replaced in one step: restored next to it, unchanged files reused, then swapped;
    // the old copy was a clean restore of an older backup (dirty copies were moved aside above).
    mkdirSync(path, { recursive: true });
    const restored = await restore(path, AbortSignal.timeout(3_600_000), { replace: true });
    if (restored.previousDir) rmSync(restored.previousDir, { recursive: true, force: true });
    this.writeState({ position: restored.position, dirty: false });
    this.deps.logger.info({ backupId: latest.id }, 'local copy brought to the latest backup');
  }

  /** A backup of this member's directory finished: its id is the new position. */
  backupTaken(latest: { position: string }): void {
    this.writeState({ position: latest.position, dirty: this.keeper.current !== undefined });
  }

  backupSource(): SnapshotSource {
    return new TrackedSnapshotSource(this.deps.config, this.tracker, this.deps.logger);
  }

  async shouldBackUp(): Promise<boolean> {
    return this.role === 'primary' && this.tracker.due();
  }

  comparePositions(a: string, b: string): number {
    return compareBackupIds(a, b);
  }

  positionProgress(position: string): number {
    return (backupIdTime(position)?.getTime() ?? 0) / 1000;
  }

  historyDiverged(): boolean {
    return false;
  }

  backupPosition(manifest: Manifest): string {
    return manifest.id;
  }

  status(): Record<string, unknown> {
    return { role: this.role, position: this.local.position, pendingChanges: this.tracker.pending, path: this.deps.config.path, pid: this.pid };
  }
}

/**
 * The directory as an incremental snapshot: the `preBackup` command first, then the walk (files
 * that change while they are read are read again, and a backup that cannot get a consistent copy
 * is never recorded). A snapshot that was not recorded leaves its changes pending.
 */
export class TrackedSnapshotSource implements SnapshotSource {
  readonly kind = 'directory-snapshot';
  readonly recipe = 'directory';
  readonly format = 'chunks' as const;
  private taken: { pending: number } | undefined;

  constructor(
    private readonly config: DirectoryRecipeConfig,
    private readonly tracker: ChangeTracker | undefined,
    private readonly logger: Logger,
  ) {}

  async prepare(signal: AbortSignal): Promise<string> {
    if (this.config.preBackup) {
      const [file, ...args] = this.config.preBackup as [string, ...string[]];
      const result = await execa(file, args, {
        reject: false,
        all: true,
        stdin: 'ignore',
        cancelSignal: signal,
        timeout: this.config.preBackupTimeout,
        env: hookEnv(this.config),
        extendEnv: false,
      });
      if (result.exitCode !== 0) {
        const tail = String(result.all ?? '').trim().split('\n').slice(-3).join(' | ');
        throw new PilotfishError('BACKUP_FAILED', `recipe.directory.preBackup (${file}) failed (${result.timedOut ? 'timed out' : `exit ${result.exitCode ?? result.signal}`})${tail ? `: ${tail}` : ''}`);
      }
      this.logger.debug({ file }, 'preBackup command finished');
    }
    this.taken = this.tracker?.backupStarted();
    return this.config.path;
  }

  finished(recorded: boolean): void {
    if (!recorded && this.taken) this.tracker?.backupFailed(this.taken.pending);
    this.taken = undefined;
  }
}
