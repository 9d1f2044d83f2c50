import type { Manifest } from '../backup/manifest.js';
import type { RestorePrepare } from '../backup/restore.js';
import type { BackupSource, SnapshotSource } from '../backup/source.js';
import type { Logger } from '../common/logger.js';
import type { SecretStore } from '../secrets/secret-store.js';

/**
 * The contract between the recipe-agnostic supervisor and one kind of application (MySQL, …).
 * The supervisor decides *what* should happen (from the coordinator's cluster snapshot); a recipe
 * knows *how* to do it for its application. Every method may throw PilotfishError `RECIPE_FAILED`
 * (retryable when trying again later may help); none of them logs or throws a secret.
 */

/** What the data directory holds when the member starts. */
export type DataState = 'empty' | 'present';

/** A point-in-time report of the application, taken on every HA cycle. */
export interface RecipeHealth {
  /** The application answers queries. */
  alive: boolean;
  /** It accepts writes from clients (MySQL: `read_only=OFF`). */
  writable: boolean;
  /** It is replicating from `source` (both replication threads running). */
  replicating: boolean;
  /** `host:port` it replicates from, when configured. */
  source: string | null;
  /** Replication position in the recipe's notation (MariaDB GTID list `0-1-2007`). */
  position: string;
  /** Seconds behind its source; `null` when not replicating. */
  lagSeconds: number | null;
  /** Last replication error, if any (no secrets). */
  replicationError: string | null;
}

/** The position a restored backup represents; the recipe applies it when it follows a primary. */
export interface RestoredData {
  position: string;
  /** With `replace`: where the target's previous contents were moved. */
  previousDir?: string | null;
}

/**
 * Restores a backup into `targetDir`; the supervisor picks the backup. With `replace`, an existing
 * target is replaced: its old contents are moved aside (the path is returned), and a snapshot
 * reuses the files it already holds instead of downloading them.
 */
export type RestoreFn = (targetDir: string, signal: AbortSignal, options?: { replace?: boolean }) => Promise<RestoredData>;

export interface Recipe {
  readonly name: string;

  /** The port clients and the other members reach the application on (registered as the service). */
  readonly port: number;

  /** `host:port` clients use. */
  readonly address: string;

  /** Looks at the data directory. Never modifies it. */
  inspectData(): Promise<DataState>;

  /**
   * Creates a new, empty data set: initialises the data directory and prepares the users the
   * application and the other members need (passwords from the SecretStore). Called on exactly one
   * member of a cluster, the one that created `initialized`.
   */
  initialize(): Promise<void>;

  /**
   * Fills an empty data directory from a backup through `restore` (which writes into a temporary
   * directory); the recipe swaps it into place only when it succeeded, and remembers the position
   * to resume replication from. A failure leaves the data directory as it was.
   */
  restore(restore: RestoreFn): Promise<RestoredData>;

  /**
   * Moves the data directory aside (to a sibling named `<dir>.diverged-<time>`; never deletes it),
   * leaving it empty for a restore. Only while the application is stopped. Returns the new path.
   */
  setAside(): Promise<string>;

  /**
   * Starts the application read-only and waits until it answers. Restarts it with backoff when it
   * crashes, until {@link stop}. Throws when it does not come up within the recipe's bound.
   */
  start(): Promise<void>;

  /** Stops the application cleanly (no crash recovery on the next start). Idempotent. */
  stop(): Promise<void>;

  /** Forwards a signal the supervisor received (SIGHUP, SIGUSR1/2) to the application process. */
  signal(signal: NodeJS.Signals): void;

  /** Times the application was restarted after a crash. */
  readonly restarts: number;

  /** The application's process id while it runs: what the process watchdog kills when fencing fails. */
  readonly pid: number | undefined;

  /** A health report; never throws (a dead application is `alive: false`). */
  health(): Promise<RecipeHealth>;

  /**
   * Turns this member into the primary: stops replicating after applying everything already
   * received, then accepts writes. `fenceAtMs` is the wall-clock time at which the application
   * must turn itself read-only unless {@link extendFence} moves it (the dead-man switch).
   */
  becomePrimary(fenceAtMs: number): Promise<void>;

  /** Moves the dead-man switch of a writable primary to `fenceAtMs`. */
  extendFence(fenceAtMs: number): Promise<void>;

  /** Replicates from the primary at `host:port` (no-op when it already does). Stays read-only. */
  followPrimary(address: string): Promise<void>;

  /**
   * Refuses writes at once: read-only, client connections dropped. Resolves `true` when the
   * application confirmed it, `false` when it could not be reached (down or hung). Never throws.
   */
  fence(): Promise<boolean>;

  /** Where a backup of the running application comes from (a stream or a snapshot source; `backup/` does the rest). */
  backupSource(): BackupSource | SnapshotSource;

  /**
   * Whether the application has produced enough new data since `sincePosition` (the last backup)
   * that a backup is worth taking now (MySQL: the binary log rotated).
   */
  shouldBackUp(sincePosition: string | null): Promise<boolean>;

  /**
   * Compares two positions: negative when `a` is behind `b`, 0 when equal, positive when ahead,
   * `null` when neither contains the other (diverged histories).
   */
  comparePositions(a: string, b: string): number | null;

  /** A position as one growing number (for the replication-position gauge). */
  positionProgress(position: string): number;

  /**
   * Whether a replication error says this member's history is not a prefix of its source's (it
   * holds transactions the source never had): the member re-bootstraps instead of retrying.
   */
  historyDiverged(replicationError: string): boolean;

  /** Makes a restored copy usable before it is swapped into place (see `RestoreOptions.prepare`). */
  readonly prepareRestored: RestorePrepare | undefined;

  /** The position a finished backup of this application stands for (MySQL: its GTID set). */
  backupPosition(manifest: Manifest): string;

  /**
   * Who takes the cluster's backups: `replica-first` (a healthy replica by name, else the primary:
   * MySQL, whose replicas hold the same data) or `primary` (only the member running the
   * application has the live data: the directory recipe).
   */
  readonly backupsFrom: 'replica-first' | 'primary';

  /** Take one more backup on a clean stop of the primary, after {@link fence} and before the lease is released. */
  readonly backupOnStop: boolean;

  /**
   * For recipes whose replicas follow the backups instead of a replication stream: bring the local
   * copy to backup `latest` when it is newer (restoring through `restore`). The supervisor calls it
   * on every cycle a member does not run the application, and before a member takes the lease.
   */
  catchUp?(latest: { id: string; position: string }, restore: RestoreFn): Promise<void>;

  /** Told after each backup this member took, with what `backups/latest` now says. */
  backupTaken?(latest: { id: string; position: string }): void;

  /** Recipe-specific fields for `/status` (e.g. the directory recipe's role name and pending changes). */
  status?(): Record<string, unknown>;
}

/** What a recipe's factory gets from the supervisor. */
export interface RecipeDeps<C> {
  /** The recipe's own section of `pilotfish.yaml` (`recipe.<name>`), already validated. */
  config: C;
  memberName: string;
  secrets: SecretStore;
  logger: Logger;
}

/** How `pilotfish backup create` reaches a running member's application. */
export interface BackupSourceRequest {
  /** `--source` or `backup.source`: the recipe's kind of copy. */
  kind: string;
  /** Recipe-specific connection overrides from the command line (e.g. a socket). */
  socket?: string;
  user?: string;
  secrets: SecretStore;
}

/**
 * What the CLI needs from a recipe without a running member: backup sources, the restore and
 * verify steps, and how positions order. `config` is `undefined` when `pilotfish.yaml` has no
 * section for this recipe (a restore or verify of its backups still works with the defaults).
 */
export interface RecipeTools {
  backupSource(request: BackupSourceRequest): Promise<BackupSource | SnapshotSource>;
  prepareRestored: RestorePrepare | undefined;
  /**
   * Checks a restored copy (with `startApplication`, by starting the application on it briefly);
   * returns the one-line result `pilotfish backup verify` prints. Throws RESTORE_FAILED.
   */
  verifyRestored(dir: string, manifest: Manifest, options: { startApplication: boolean }): Promise<string>;
  comparePositions(a: string, b: string): number | null;
  /**
   * Only the running primary can take a consistent backup (its replicas follow the backups): then
   * `pilotfish backup create` asks the cluster for one and waits for it instead of reading the data itself.
   */
  backupsFromPrimary?: boolean;
}

/**
 * A recipe plug-in: what `recipes/registry.ts` loads by name with a dynamic import. The supervisor
 * and the CLI see only this interface, never a recipe's classes.
 */
export interface RecipeModule<C = unknown> {
  readonly name: string;
  create(deps: RecipeDeps<C>): Promise<Recipe>;
  tools(config: C | undefined): RecipeTools;
  /** How `pilotfish up <name>` lays out a local cluster of this recipe; absent when it cannot run locally. */
  readonly local?: LocalRecipe;
}

/** One member of a local cluster (`pilotfish up`). */
export interface LocalMember {
  name: string;
  /** 1 for the first member. */
  index: number;
  /** The port `up` chose for the member's application. */
  port: number;
  /** The member's own directory under the state directory. */
  memberDir: string;
}

/** What `pilotfish up` needs from a recipe. */
export interface LocalRecipe {
  /** Member names are `<memberPrefix>-1`, `<memberPrefix>-2`, … */
  readonly memberPrefix: string;
  /** Secrets `up` generates once with random values (besides the status token). */
  readonly secrets: readonly string[];
  /** The member's `recipe.<name>` section; `options` are the `up` flags (`replicationMode`, `command`, …). */
  section(member: LocalMember, options: Readonly<Record<string, unknown>>): Record<string, unknown>;
  /** Lines `up` prints once a primary is in place. */
  connectionLines(primary: LocalMember, others: readonly LocalMember[], secret: (name: string) => string): string[];
  /** `up <name> --scheduler`: the job file that runs the members on pilotfish's own scheduler. */
  readonly schedulerJob?: LocalSchedulerJob;
}

/** A recipe's job for the local scheduler; its meta block takes the values `up` sets. */
export interface LocalSchedulerJob {
  /** Absolute path of the HCL job file. */
  readonly file: string;
  readonly jobId: string;
  /** Members the job runs (its group count). */
  readonly members: number;
  /** The meta key naming the first member's application port (the others use the next ones). */
  readonly portMetaKey: string;
  /** The recipe section every member shares; the job supplies the per-member values. */
  templateSection(options: Readonly<Record<string, unknown>>): Record<string, unknown>;
}
