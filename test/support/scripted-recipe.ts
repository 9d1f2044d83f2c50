import type { Manifest } from '../../backup/manifest.js';
import type { BackupSource } from '../../backup/source.js';
import { comparePositions, historyDiverged, positionSequence } from '../../recipes/mysql/gtid.js';
import type { DataState, Recipe, RecipeHealth, RestoredData } from '../../recipes/recipe.js';

/** A command the supervisor gave the scripted application, with the fake clock's time. */
export type RecipeCall =
  | { name: 'becomePrimary' | 'extendFence'; fenceAtMs: number; atMs: number }
  | { name: 'followPrimary'; address: string; atMs: number }
  | { name: 'fence'; atMs: number };

/** Health of a running, read-only server that replicates from nowhere; override per step. */
export function scriptedHealth(over: Partial<RecipeHealth> = {}): RecipeHealth {
  return { alive: true, writable: false, replicating: false, source: null, position: '0-1-10', lagSeconds: null, replicationError: null, ...over };
}

/**
 * A Recipe for HA unit tests: the test scripts what `health()` reports before each cycle, and the
 * recipe records the commands it received. Commands change the scripted health the way a server
 * would (becomePrimary turns it writable, fence read-only, followPrimary starts replication), so a
 * scenario runs several cycles without re-scripting every field. Positions compare as MariaDB GTIDs.
 * Lifecycle methods (start, restore, …) are outside the HA loop and throw.
 */
export class ScriptedRecipe implements Recipe {
  readonly name = 'scripted';
  readonly restarts = 0;
  readonly port = 3306;
  readonly address = '127.0.0.1:3306';
  readonly prepareRestored = undefined;
  readonly backupsFrom = 'replica-first' as const;
  readonly backupOnStop = false;
  /** The application's pid the process fence is armed with. */
  pid: number | undefined = 4242;
  /** Whether `fence()` confirms the server turned read-only (a hung or dead server does not). */
  fenceConfirms = true;
  readonly calls: RecipeCall[] = [];
  private current: RecipeHealth;

  constructor(health: Partial<RecipeHealth> = {}) {
    this.current = scriptedHealth(health);
  }

  /** Changes what the next `health()` reports. */
  script(over: Partial<RecipeHealth>): void {
    this.current = { ...this.current, ...over };
  }

  /** The recorded calls of one command, in order. */
  callsTo<N extends RecipeCall['name']>(name: N): Extract<RecipeCall, { name: N }>[] {
    return this.calls.filter((c): c is Extract<RecipeCall, { name: N }> => c.name === name);
  }

  async health(): Promise<RecipeHealth> {
    return { ...this.current };
  }

  async becomePrimary(fenceAtMs: number): Promise<void> {
    this.calls.push({ name: 'becomePrimary', fenceAtMs, atMs: Date.now() });
    this.script({ writable: true, replicating: false, source: null, lagSeconds: null });
  }

  async extendFence(fenceAtMs: number): Promise<void> {
    this.calls.push({ name: 'extendFence', fenceAtMs, atMs: Date.now() });
  }

  async followPrimary(address: string): Promise<void> {
    this.calls.push({ name: 'followPrimary', address, atMs: Date.now() });
    this.script({ replicating: true, source: address, lagSeconds: 0, replicationError: null });
  }

  async fence(): Promise<boolean> {
    this.calls.push({ name: 'fence', atMs: Date.now() });
    if (this.fenceConfirms) this.script({ writable: false });
    return this.fenceConfirms;
  }

  comparePositions(a: string, b: string): number | null {
    return comparePositions(a, b);
  }

  backupPosition(manifest: Manifest): string {
    return manifest.position?.gtid ?? '';
  }

  positionProgress(position: string): number {
    return positionSequence(position);
  }

  historyDiverged(replicationError: string): boolean {
    return historyDiverged(replicationError);
  }

  inspectData(): Promise<DataState> {
    return notScripted('inspectData');
  }
  initialize(): Promise<void> {
    return notScripted('initialize');
  }
  restore(): Promise<RestoredData> {
    return notScripted('restore');
  }
  setAside(): Promise<string> {
    return notScripted('setAside');
  }
  start(): Promise<void> {
    return notScripted('start');
  }
  stop(): Promise<void> {
    return notScripted('stop');
  }
  signal(): void {
    throw new Error('ScriptedRecipe.signal is not scripted');
  }
  backupSource(): BackupSource {
    throw new Error('ScriptedRecipe.backupSource is not scripted');
  }
  shouldBackUp(): Promise<boolean> {
    return notScripted('shouldBackUp');
  }
}

function notScripted(method: string): Promise<never> {
  return Promise.reject(new Error(`ScriptedRecipe.${method} is not scripted`));
}
