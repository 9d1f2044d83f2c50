/**
 * Keys of the chunk store, beside the backups of the same cluster:
 * `<prefix>/<cluster>/chunks/<first 2 hex of id>/<id>`. The two-character fan-out keeps directory
 * listings short on the filesystem store and spreads S3 key prefixes.
 */

/** `<prefix>/<cluster>/chunks/`, with exactly one slash between parts and none leading. */
export function chunksPrefix(prefix: string, cluster: string): string {
  const parts = [...prefix.split('/'), cluster, 'chunks'].filter((part) => part.length > 0);
  return `${parts.join('/')}/`;
}

export function chunkKey(prefix: string, cluster: string, id: string): string {
  return `${chunksPrefix(prefix, cluster)}${id.slice(0, 2)}/${id}`;
}

const CHUNK_ID = /^[0-9a-f]{64}$/;

/** The chunk id a listed key names, or `null` for keys outside the layout. */
export function parseChunkKey(base: string, key: string): string | null {
  if (!key.startsWith(base)) return null;
  const [fan, id, ...rest] = key.slice(base.length).split('/');
  if (rest.length > 0 || !id || !CHUNK_ID.test(id) || fan !== id.slice(0, 2)) return null;
  return id;
}

/** Name of a snapshot's index object inside `backups/<id>/`. */
export function indexObjectName(encrypted: boolean): string {
  return `index.json.zst${encrypted ? '.aes' : ''}`;
}
