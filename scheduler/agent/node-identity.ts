import { randomUUID } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The agent's identity, kept in `<dataDir>/node.json` (mode 0600): a node id generated once, and
 * the secret the server handed out at the first registration. A restarted agent is the same node
 * with the same allocations; deleting the file makes a new node.
 */
export interface NodeIdentity {
  id: string;
  /** Empty until the first registration. */
  secretId: string;
}

/** Loads the identity, creating a new node id when there is none. */
export async function loadIdentity(dataDir: string): Promise<NodeIdentity> {
  const path = join(dataDir, 'node.json');
  try {
    const doc = JSON.parse(await readFile(path, 'utf8')) as NodeIdentity;
    if (typeof doc.id === 'string' && doc.id !== '') return { id: doc.id, secretId: doc.secretId ?? '' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const identity = { id: randomUUID(), secretId: '' };
  await saveIdentity(dataDir, identity);
  return identity;
}

/** Writes the identity atomically (temporary file, then rename). */
export async function saveIdentity(dataDir: string, identity: NodeIdentity): Promise<void> {
  const path = join(dataDir, 'node.json');
  await writeFile(`${path}.tmp`, JSON.stringify(identity), { mode: 0o600 });
  await rename(`${path}.tmp`, path);
}
