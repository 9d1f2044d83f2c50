import type { Command } from 'commander';
import { PilotfishError } from '../../common/errors.js';
import { ApiClient } from '../../scheduler/api/client.js';

/**
 * What the scheduler commands (`job`, `node`, `alloc`) share: `--address` / `--token` with
 * PILOTFISH_ADDR / PILOTFISH_TOKEN as fallbacks, the API client, and plain table output. The
 * token is only ever sent in a header; it is never printed, not even in errors.
 */

/** Options every scheduler command accepts. */
export interface ApiOptions {
  address?: string;
  token?: string;
  json?: boolean;
}

/** Adds `--address` and `--token` to a command. */
export function withApiOptions(command: Command): Command {
  return command
    .option('--address <host:port>', 'scheduler server address (env PILOTFISH_ADDR)', undefined)
    .option('--token <token>', 'API token (env PILOTFISH_TOKEN); prefer the environment variable', undefined);
}

/** A client from the options, then the environment; a missing token is an error saying how to give one. */
export function apiClient(options: ApiOptions): ApiClient {
  const address = options.address ?? process.env.PILOTFISH_ADDR ?? '127.0.0.1:4646';
  const token = options.token ?? process.env.PILOTFISH_TOKEN;
  if (!token) {
    throw new PilotfishError('UNAUTHORIZED', 'no API token: set PILOTFISH_TOKEN (or pass --token)');
  }
  return new ApiClient({ address, token, timeoutMs: 30_000 });
}

/** Prints rows as aligned columns under a header. */
export function printTable(header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  for (const row of cells) process.stdout.write(`${row.map((c, i) => (c ?? '').padEnd(widths[i] as number)).join('  ').trimEnd()}\n`);
}

/** Prints a value as indented JSON. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** `2026-11-23T18:00:00Z`-style time, or `-` for 0. */
export function when(ms: number): string {
  return ms > 0 ? new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z') : '-';
}

/** First 8 characters of an id, as Nomad shows them. */
export function short(id: string): string {
  return id.slice(0, 8);
}
