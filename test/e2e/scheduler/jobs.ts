import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../support/paths.js';

/** Options of the e2e test jobs: one group of `count`, one exec task running a fixture with node. */
export interface TestJob {
  id: string;
  count: number;
  fixture: string;
  args?: string[];
  env?: Record<string, string>;
  /** Restart policy: attempts within 1 minute, `delay` ms apart, mode fail. */
  restartAttempts?: number;
  restartDelayMs?: number;
  /** Spread the group over racks (one per rack for count 3). */
  spreadOverRacks?: boolean;
}

/** Writes the job as a file the CLI reads and returns its path. */
export function writeJob(dir: string, job: TestJob): string {
  const fixture = join(repoRoot, 'test', 'fixtures', job.fixture);
  const args = [fixture, ...(job.args ?? [])].map((a) => JSON.stringify(a)).join(', ');
  const env = Object.entries(job.env ?? {})
    .map(([k, v]) => `        ${k} = ${JSON.stringify(v)}`)
    .join('\n');
  const spread = job.spreadOverRacks ? '    spread {\n      attribute = "${meta.rack}"\n      weight    = 100\n    }\n' : '';
  const hcl = `job "${job.id}" {
  datacenters = ["dc1"]
  type        = "service"

  group "app" {
    count = ${job.count}
${spread}
    restart {
      attempts = ${job.restartAttempts ?? 2}
      interval = "1m"
      delay    = "${job.restartDelayMs ?? 200}ms"
      mode     = "fail"
    }

    reschedule {
      delay          = "5s"
      delay_function = "constant"
      unlimited      = true
    }

    ephemeral_disk {
      size = 50
    }

    task "main" {
      driver       = "exec"
      kill_timeout = "2s"

      config {
        command = "node"
        args    = [${args}]
      }

      env {
${env}
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
`;
  const path = join(dir, `${job.id}.nomad.hcl`);
  writeFileSync(path, hcl);
  return path;
}

