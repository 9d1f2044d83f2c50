import { type DoubleRequest, type DoubleResponse, HttpError, allow, block, uintParam } from './consul-double-http.js';
import type { ConsulState, KvRecord } from './consul-double-state.js';

/**
 * `/v1/kv/:key` (Consul api-docs/kv): GET with `recurse` and blocking `index`/`wait`; PUT with
 * `flags`, `cas`, `acquire`, `release`; DELETE with `recurse`, `cas`. Values travel base64 in GET
 * answers, raw in PUT bodies. Acquire honours the lock-delay of the last invalidated holder.
 */

function view(record: KvRecord) {
  return {
    Key: record.Key,
    Value: record.Value === null ? null : record.Value.toString('base64'),
    Flags: record.Flags,
    CreateIndex: record.CreateIndex,
    ModifyIndex: record.ModifyIndex,
    LockIndex: record.LockIndex,
    ...(record.Session ? { Session: record.Session } : {}),
  };
}

async function get(req: DoubleRequest, key: string): Promise<DoubleResponse> {
  const recurse = req.query.has('recurse');
  const { state } = req;
  await block(req, () => state.kvIndex(key, !recurse));
  const index = state.kvIndex(key, !recurse);
  const found = recurse
    ? [...state.kv.values()].filter((r) => r.Key.startsWith(key)).sort((a, b) => (a.Key < b.Key ? -1 : 1))
    : [state.kv.get(key)].filter((r): r is KvRecord => r !== undefined);
  if (found.length === 0) return { status: 404, body: '', raw: true, index };
  return { body: found.map(view), index };
}

function write(state: ConsulState, key: string, value: Buffer, flags: number, session?: string, lockBump = false): void {
  const old = state.kv.get(key);
  const index = state.bump();
  state.tombstones.delete(key);
  state.kv.set(key, {
    Key: key,
    Value: value,
    Flags: flags,
    CreateIndex: old?.CreateIndex ?? index,
    ModifyIndex: index,
    LockIndex: (old?.LockIndex ?? 0) + (lockBump ? 1 : 0),
    ...(session ? { Session: session } : {}),
  });
}

function put(req: DoubleRequest, key: string): DoubleResponse {
  if (key === '') throw new HttpError(400, 'Missing key name');
  const { state } = req;
  const cas = uintParam(req, 'cas');
  const flags = uintParam(req, 'flags') ?? 0;
  const acquire = req.query.get('acquire');
  const release = req.query.get('release');
  if (acquire !== null && release !== null) throw new HttpError(400, 'Conflicting flags: acquire and release');
  const current = state.kv.get(key);
  if (acquire !== null) {
    if (!state.sessions.has(acquire)) throw new HttpError(500, `invalid session "${acquire}"`);
    if (current?.Session !== undefined && current.Session !== acquire) return { body: false };
    const delayedUntil = state.lockDelays.get(key) ?? 0;
    if (current?.Session !== acquire && delayedUntil > Date.now()) return { body: false };
    write(state, key, req.body, flags, acquire, current?.Session !== acquire);
    return { body: true };
  }
  if (release !== null) {
    if (!state.sessions.has(release)) throw new HttpError(500, `invalid session "${release}"`);
    if (current?.Session !== release) return { body: false };
    write(state, key, req.body, flags);
    return { body: true };
  }
  if (cas !== undefined && (cas === 0 ? current !== undefined : current?.ModifyIndex !== cas)) return { body: false };
  // A plain write leaves a held lock in place, as Consul does.
  write(state, key, req.body, flags, current?.Session);
  return { body: true };
}

function del(req: DoubleRequest, key: string): DoubleResponse {
  const { state } = req;
  const cas = uintParam(req, 'cas');
  if (req.query.has('recurse')) {
    for (const k of [...state.kv.keys()]) if (k.startsWith(key)) state.deleteKey(k);
    return { body: true };
  }
  const current = state.kv.get(key);
  if (cas !== undefined && current?.ModifyIndex !== cas) return { body: false };
  state.deleteKey(key);
  return { body: true };
}

export function handleKv(req: DoubleRequest): Promise<DoubleResponse> | DoubleResponse {
  allow(req, 'GET', 'PUT', 'DELETE');
  if (req.method === 'GET') return get(req, req.rest);
  if (req.method === 'PUT') return put(req, req.rest);
  return del(req, req.rest);
}
