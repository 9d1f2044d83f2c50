import { isPilotfishError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { backoffDelayMs, delay } from '../../common/retry.js';
import type { ApiClient } from '../api/client.js';
import type { HostVolume } from '../structs/node.js';
import type { AgentConfig } from './config.js';
import { fingerprint } from './fingerprint.js';
import { saveIdentity, type NodeIdentity } from './node-identity.js';

/** A 404 (unknown node) or 401/403 (secret not accepted) means the server must see a registration again. */
export function needsRegistration(err: unknown): boolean {
  const status = isPilotfishError(err) ? (err.details as { status?: number } | undefined)?.status : undefined;
  return status === 404 || status === 401 || status === 403;
}

export interface RegistrationDeps {
  config: AgentConfig;
  identity: NodeIdentity;
  /** Client with the configured token: the only one allowed to register. */
  base: ApiClient;
  name: string;
  httpAddress: string;
  hostVolumes: Record<string, HostVolume>;
  logger: Logger;
}

/**
 * The node's standing with the server: registration with its fingerprint, and heartbeats at a
 * third of the TTL the server answers. The configured token registers the node; everything after
 * uses the node's own secret, which the server accepts only for this node's endpoints (least
 * privilege for the long-lived loops). When the server has forgotten the node or its secret
 * (state reset), the node registers again.
 */
export class NodeRegistration {
  private nodeClient: ApiClient;
  private heartbeatMs = 1_000;

  constructor(private readonly deps: RegistrationDeps) {
    this.nodeClient = deps.identity.secretId ? deps.base.withToken(deps.identity.secretId) : deps.base;
  }

  /** The client for this node's endpoints, current at each call. */
  client(): ApiClient {
    return this.nodeClient;
  }

  /** Registers, retrying with backoff until it succeeds or `signal` aborts. */
  async register(signal: AbortSignal): Promise<void> {
    const { config, identity, logger } = this.deps;
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        const fp = await fingerprint(config.dataDir, config.resources);
        const out = await this.deps.base.post<{ nodeId: string; secretId: string; heartbeatTtlMs: number }>('/v1/node/register', {
          node: {
            id: identity.id,
            name: this.deps.name,
            datacenter: config.datacenter,
            nodeClass: config.nodeClass,
            attributes: fp.attributes,
            meta: config.meta,
            resources: { cpuMhz: fp.cpuMhz, memoryMb: fp.memoryMb, diskMb: fp.diskMb },
            reserved: { cpuMhz: config.reserved.cpuMhz ?? 0, memoryMb: config.reserved.memoryMb ?? 0, diskMb: config.reserved.diskMb ?? 0 },
            drivers: { exec: { detected: true, healthy: true } },
            hostVolumes: this.deps.hostVolumes,
            httpAddress: this.deps.httpAddress,
          },
        });
        this.heartbeatMs = Math.max(200, Math.floor(out.heartbeatTtlMs / 3));
        if (out.secretId && out.secretId !== identity.secretId) {
          identity.secretId = out.secretId;
          await saveIdentity(config.dataDir, identity);
        }
        this.nodeClient = this.deps.base.withToken(identity.secretId);
        logger.info({ name: this.deps.name, httpAddress: this.deps.httpAddress, heartbeatMs: this.heartbeatMs }, 'registered with the server');
        return;
      } catch (err) {
        const waitMs = backoffDelayMs(attempt, { initialMs: 250, maxMs: 5_000, jitter: 0.2 });
        if (attempt % 10 === 0) logger.warn({ err: String(err), waitMs }, 'cannot register; will retry');
        await delay(waitMs, signal).catch(() => undefined);
      }
    }
  }

  /** Heartbeats until `signal` aborts. */
  async heartbeatLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await delay(this.heartbeatMs, signal).catch(() => undefined);
      if (signal.aborted) return;
      try {
        const out = await this.client().put<{ heartbeatTtlMs: number }>(`/v1/node/${this.deps.identity.id}/heartbeat`);
        this.heartbeatMs = Math.max(200, Math.floor(out.heartbeatTtlMs / 3));
      } catch (err) {
        if (needsRegistration(err)) await this.register(signal);
        else this.deps.logger.debug({ err: String(err) }, 'heartbeat failed');
      }
    }
  }
}
