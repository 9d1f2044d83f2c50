import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { MigrationSource } from './source.js';

/**
 * Puts the snapshot endpoint in front of the agent's HTTP API. The endpoint authenticates with
 * migration tokens, not with the agent's API token, so it must see requests before the API's own
 * authentication; every other request goes to the existing handler unchanged.
 */
export function attachMigrationSource(server: Server, source: MigrationSource): void {
  const existing = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (source.handle(req, res)) return;
    for (const listener of existing) listener(req, res);
  });
}
