import {
  type DoubleRequest,
  type DoubleResponse,
  HttpError,
  allow,
  block,
  jsonBody,
  parseGoDuration,
} from './consul-double-http.js';
import { type CheckRecord, NODE } from './consul-double-state.js';

/**
 * `/v1/agent/service/*`, `/v1/agent/check/*` and `/v1/health/service/:name` (Consul api-docs/agent,
 * api-docs/health) for services with TTL checks, the only check type pilotfish registers. A TTL
 * check starts critical, turns critical again when not updated within its TTL, and keeps its
 * status when its service is registered again (Consul preserves check state on re-registration).
 */

const CHECK_FIELDS = ['CheckID', 'Name', 'TTL', 'Status', 'Notes', 'DeregisterCriticalServiceAfter'];
const SERVICE_FIELDS = ['ID', 'Name', 'Tags', 'Address', 'Port', 'Meta', 'Check', 'Checks', 'EnableTagOverride'];
const STATUSES = ['passing', 'warning', 'critical'] as const;

function checkFrom(raw: unknown, defaultId: string, serviceId: string, serviceName: string, now: number): CheckRecord {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new HttpError(400, 'Request decode failed: Check must be an object');
  const check = raw as Record<string, unknown>;
  const unknown = Object.keys(check).filter((key) => !CHECK_FIELDS.includes(key));
  if (unknown.length > 0) throw new HttpError(400, `Request decode failed: unknown check field(s) ${unknown.join(', ')}`);
  const ttlMs = typeof check.TTL === 'string' ? parseGoDuration(check.TTL) : undefined;
  if (ttlMs === undefined || ttlMs <= 0) throw new HttpError(400, 'Invalid check: TTL must be a positive duration (the double supports TTL checks only)');
  const status = check.Status ?? 'critical';
  if (!STATUSES.includes(status as (typeof STATUSES)[number])) throw new HttpError(400, `Invalid check status: ${String(status)}`);
  return {
    CheckID: typeof check.CheckID === 'string' && check.CheckID !== '' ? check.CheckID : defaultId,
    Name: typeof check.Name === 'string' ? check.Name : `Service '${serviceName}' check`,
    Status: status as CheckRecord['Status'],
    Notes: typeof check.Notes === 'string' ? check.Notes : '',
    Output: '',
    ServiceID: serviceId,
    ServiceName: serviceName,
    ttlMs,
    expiresAtMs: now + ttlMs,
  };
}

function register(req: DoubleRequest): DoubleResponse {
  const body = jsonBody(req, SERVICE_FIELDS);
  if (typeof body.Name !== 'string' || body.Name === '') throw new HttpError(400, 'Missing service name');
  const id = typeof body.ID === 'string' && body.ID !== '' ? body.ID : body.Name;
  const tags = body.Tags ?? [];
  if (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string')) throw new HttpError(400, 'Request decode failed: Tags must be strings');
  if (body.Port !== undefined && (!Number.isInteger(body.Port) || (body.Port as number) < 0)) throw new HttpError(400, 'Invalid Port');
  const rawChecks = body.Check !== undefined ? [body.Check] : Array.isArray(body.Checks) ? body.Checks : [];
  const now = Date.now();
  const { state } = req;
  const checks = rawChecks.map((raw, i) => checkFrom(raw, rawChecks.length === 1 ? `service:${id}` : `service:${id}:${i + 1}`, id, body.Name as string, now));
  const old = state.services.get(id);
  for (const checkId of old?.checkIds ?? []) if (!checks.some((c) => c.CheckID === checkId)) state.checks.delete(checkId);
  for (const check of checks) {
    const existing = state.checks.get(check.CheckID);
    const explicit = (rawChecks[checks.indexOf(check)] as Record<string, unknown>).Status !== undefined;
    if (existing && !explicit) Object.assign(check, { Status: existing.Status, Output: existing.Output, expiresAtMs: existing.expiresAtMs });
    state.checks.set(check.CheckID, check);
  }
  state.services.set(id, {
    ID: id,
    Service: body.Name,
    Tags: tags as string[],
    Address: typeof body.Address === 'string' ? body.Address : '',
    Port: (body.Port as number | undefined) ?? 0,
    checkIds: checks.map((c) => c.CheckID),
  });
  state.bump();
  return { body: '', raw: true };
}

function updateCheck(req: DoubleRequest, id: string, status: CheckRecord['Status'], output: string): DoubleResponse {
  const check = req.state.checks.get(id);
  if (!check) throw new HttpError(404, `Unknown check ID "${id}". Ensure that the check ID is passed, not the check name.`);
  Object.assign(check, { Status: status, Output: output, expiresAtMs: Date.now() + check.ttlMs });
  req.state.bump();
  return { body: '', raw: true };
}

export function handleAgent(req: DoubleRequest): DoubleResponse {
  const [group, action, ...restParts] = req.rest.split('/');
  const id = restParts.join('/');
  const { state } = req;
  if (group === 'service' && action === 'register') {
    allow(req, 'PUT');
    return register(req);
  }
  if (group === 'service' && action === 'deregister') {
    allow(req, 'PUT');
    const service = state.services.get(id);
    if (!service) throw new HttpError(404, `Unknown service ID "${id}". Ensure that the service ID is passed, not the service name.`);
    for (const checkId of service.checkIds) state.checks.delete(checkId);
    state.services.delete(id);
    state.bump();
    return { body: '', raw: true };
  }
  if (group === 'check' && (action === 'pass' || action === 'warn' || action === 'fail')) {
    allow(req, 'PUT');
    const status = action === 'pass' ? 'passing' : action === 'warn' ? 'warning' : 'critical';
    return updateCheck(req, id, status, req.query.get('note') ?? '');
  }
  if (group === 'check' && action === 'update') {
    allow(req, 'PUT');
    const body = jsonBody(req, ['Status', 'Output']);
    if (!STATUSES.includes(body.Status as (typeof STATUSES)[number])) throw new HttpError(400, `Invalid check status: ${String(body.Status)}`);
    return updateCheck(req, id, body.Status as CheckRecord['Status'], typeof body.Output === 'string' ? body.Output : '');
  }
  throw new HttpError(404, 'not found');
}

export async function handleHealth(req: DoubleRequest): Promise<DoubleResponse> {
  const [kind, name = ''] = req.rest.split('/', 2);
  if (kind !== 'service' || name === '') throw new HttpError(404, 'not found');
  allow(req, 'GET');
  const { state } = req;
  await block(req, () => state.index);
  const passingOnly = req.query.has('passing') && !['false', '0'].includes(req.query.get('passing') ?? '');
  const tags = req.query.getAll('tag');
  const nodeCheck = { Node: NODE, CheckID: 'serfHealth', Name: 'Serf Health Status', Status: 'passing', Notes: '', Output: 'Agent alive and reachable', ServiceID: '', ServiceName: '' };
  const entries = [...state.services.values()]
    .filter((s) => s.Service === name && tags.every((t) => s.Tags.includes(t)))
    .map((s) => ({
      Node: { Node: NODE, Address: '127.0.0.1', Datacenter: 'dc1' },
      Service: { ID: s.ID, Service: s.Service, Tags: s.Tags, Address: s.Address, Port: s.Port },
      Checks: [
        nodeCheck,
        ...s.checkIds.map((id) => {
          const { ttlMs: _ttl, expiresAtMs: _expires, ...check } = state.checks.get(id) as CheckRecord;
          return { Node: NODE, ...check };
        }),
      ],
    }))
    .filter((entry) => !passingOnly || entry.Checks.every((c) => c.Status === 'passing'));
  return { body: entries, index: state.index };
}
