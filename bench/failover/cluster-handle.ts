import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import type { LocalLayout } from '../../supervisor/local/local-layout.js';
import { readLocalSecret } from '../../supervisor/local/local-layout.js';
import { supervisorPid } from '../support.js';

/** What the benchmark needs to reach and hurt the members of a cluster started by `pilotfish up`. */
export class ClusterHandle {
  readonly layout: LocalLayout;
  readonly appPassword: string;
  readonly rootPassword: string;

  constructor(readonly dir: string) {
    this.layout = JSON.parse(readFileSync(join(dir, 'up.json'), 'utf8')) as LocalLayout;
    this.appPassword = readLocalSecret(dir, 'app-password');
    this.rootPassword = readLocalSecret(dir, 'root-password');
  }

  get names(): string[] {
    return this.layout.members.map((m) => m.name);
  }

  member(name: string) {
    return this.layout.members.find((m) => m.name === name)!;
  }

  app(name: string, timeoutMs = 1000): Promise<mysql.Connection> {
    return mysql.createConnection({ host: '127.0.0.1', port: this.member(name).port, user: 'app', password: this.appPassword, database: 'app', connectTimeout: timeoutMs });
  }

  root(name: string): Promise<mysql.Connection> {
    return mysql.createConnection({ socketPath: join(this.dir, 'members', name, 'run', 'mysqld.sock'), user: 'root', password: this.rootPassword, connectTimeout: 1000 });
  }

  /** The member whose status API answers 200 on /primary, or null. */
  async primary(): Promise<string | null> {
    const answers = await Promise.all(
      this.names.map(async (name) => {
        try {
          const res = await fetch(`http://127.0.0.1:${this.member(name).statusPort}/primary`, { signal: AbortSignal.timeout(500) });
          return res.status === 200 ? name : null;
        } catch {
          return null;
        }
      }),
    );
    return answers.find((a) => a !== null) ?? null;
  }

  /** Healthy primary and replicas, from the members' own status endpoints. */
  async healthy(): Promise<boolean> {
    let primaries = 0;
    let replicas = 0;
    for (const name of this.names) {
      const base = `http://127.0.0.1:${this.member(name).statusPort}`;
      try {
        if ((await fetch(`${base}/primary`, { signal: AbortSignal.timeout(500) })).status === 200) primaries++;
        else if ((await fetch(`${base}/replica?lag=5`, { signal: AbortSignal.timeout(500) })).status === 200) replicas++;
      } catch {
        // down
      }
    }
    return primaries === 1 && replicas === this.names.length - 1;
  }

  mysqldPid(name: string): number | null {
    try {
      const pid = Number(readFileSync(join(this.dir, 'members', name, 'run', 'mysqld.pid'), 'utf8').trim());
      process.kill(pid, 0);
      return pid;
    } catch {
      return null;
    }
  }

  /** The supervisor process of a member (started by `pilotfish up`), found by its config path. */
  supervisorPid(name: string): number | null {
    return supervisorPid(this.dir, name);
  }
}

/** Sends a signal, ignoring processes that are already gone. */
export function signal(pid: number | null, sig: NodeJS.Signals): void {
  if (pid === null) return;
  try {
    process.kill(pid, sig);
  } catch {
    // gone
  }
}
