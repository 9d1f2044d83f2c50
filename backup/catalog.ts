import { text } from 'node:stream/consumers';
import type { Logger } from '../common/logger.js';
import { MANIFEST_NAME, backupKey, backupsPrefix, isBackupId, parseBackupKey } from './layout.js';
import { type Manifest, parseManifest } from './manifest.js';
import type { ObjectStore } from './object-store/object-store.js';

/** Objects under a backup id that has no valid manifest: an upload that failed or is still running. */
export interface Orphan {
  id: string;
  keys: string[];
  /** Newest modification time among its objects. */
  lastModified: Date;
}

/**
 * The backups of one cluster, read from the object store. Only ids with a valid manifest are
 * backups; everything else is an orphan and is never listed or restored.
 */
export class Catalog {
  constructor(
    private readonly store: ObjectStore,
    private readonly prefix: string,
    private readonly cluster: string,
    private readonly logger?: Logger,
  ) {}

  /** Every backup, oldest first. */
  async list(signal?: AbortSignal): Promise<Manifest[]> {
    return (await this.scan(signal)).backups;
  }

  /** The newest backup, or `null` when there is none. */
  async latest(signal?: AbortSignal): Promise<Manifest | null> {
    return (await this.list(signal)).at(-1) ?? null;
  }

  /** One backup by id (or `latest`), or `null` when it has no valid manifest. */
  async get(id: string, signal?: AbortSignal): Promise<Manifest | null> {
    if (id === 'latest') return this.latest(signal);
    return isBackupId(id) ? this.readManifest(id, signal) : null;
  }

  /** Backups (oldest first) and orphans, with the keys each id holds. */
  async scan(signal?: AbortSignal): Promise<{ backups: Manifest[]; orphans: Orphan[]; keys: Map<string, string[]> }> {
    const base = backupsPrefix(this.prefix, this.cluster);
    const byId = new Map<string, { keys: string[]; lastModified: Date; hasManifest: boolean }>();
    for (const object of await this.store.list(base, signal)) {
      const parsed = parseBackupKey(base, object.key);
      if (!parsed) continue;
      const entry = byId.get(parsed.id) ?? { keys: [], lastModified: object.lastModified, hasManifest: false };
      entry.keys.push(object.key);
      if (object.lastModified > entry.lastModified) entry.lastModified = object.lastModified;
      if (parsed.name === MANIFEST_NAME) entry.hasManifest = true;
      byId.set(parsed.id, entry);
    }
    const backups: Manifest[] = [];
    const orphans: Orphan[] = [];
    for (const [id, entry] of [...byId.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const manifest = entry.hasManifest ? await this.readManifest(id, signal) : null;
      if (manifest) backups.push(manifest);
      else orphans.push({ id, keys: entry.keys, lastModified: entry.lastModified });
    }
    return { backups, orphans, keys: new Map([...byId].map(([id, entry]) => [id, entry.keys])) };
  }

  private async readManifest(id: string, signal?: AbortSignal): Promise<Manifest | null> {
    const body = await this.store.get(backupKey(this.prefix, this.cluster, id, MANIFEST_NAME), signal);
    if (!body) return null;
    const manifest = parseManifest(await text(body));
    if (!manifest || manifest.id !== id || manifest.cluster !== this.cluster) {
      this.logger?.warn({ backupId: id }, 'ignoring an invalid backup manifest');
      return null;
    }
    return manifest;
  }
}
