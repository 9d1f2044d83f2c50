import { PilotfishError } from '../../common/errors.js';
import type { Job } from '../structs/job.js';
import type { Acl, Decision } from './acl.js';

/**
 * The access check at job submission: the token must hold `submit-job` in the job's namespace, and
 * for every host volume a group asks for, `mount-readonly` when all its uses are read-only (the
 * volume request or every mount of it says `read_only`) and `mount-readwrite` otherwise. The check
 * uses the volume's `source` (the node's volume name), as Nomad does — for a `per_alloc` request
 * the source without the index: `host_volume "data"` governs `data[0]`, `data[1]`, … (a rule
 * written for `data[*]` does not match it; `data*` matches both). All violations are reported
 * together; each message names the volume, the capability it needs and the rule that decided.
 */

/** One refused part of a job. */
export interface AclViolation {
  group?: string;
  volume?: string;
  message: string;
}

function explain(decision: Decision<string>, what: string): string {
  if (decision.pattern === null) return `no ${what} rule in the token's policies matches`;
  const by = decision.sources.map((s) => `policy "${s.policy}"${s.disposition === null ? '' : ` (policy = "${s.disposition}")`}`).join(', ');
  return decision.denied ? `${what} "${decision.pattern}" of ${by} denies it` : `${what} "${decision.pattern}" of ${by} grants only ${[...decision.capabilities].join(', ') || 'nothing'}`;
}

/** Returns every violation of `job` for `acl`; empty when the submission is allowed. */
export function jobViolations(acl: Acl, job: Job): AclViolation[] {
  if (acl.isManagement) return [];
  const violations: AclViolation[] = [];
  if (!acl.allowNamespace(job.namespace, 'submit-job')) {
    violations.push({
      message: `token "${acl.token.name}" may not submit jobs to namespace "${job.namespace}": ${explain(acl.namespace(job.namespace), 'namespace')}`,
    });
  }
  for (const group of job.groups) {
    for (const [alias, request] of Object.entries(group.volumes)) {
      if (request.type !== 'host') continue;
      const mounts = group.tasks.flatMap((task) => task.volumeMounts.filter((mount) => mount.volume === alias));
      const readOnly = request.readOnly || (mounts.length > 0 && mounts.every((mount) => mount.readOnly));
      const capability = readOnly ? 'mount-readonly' : 'mount-readwrite';
      if (acl.allowHostVolume(request.source, capability)) continue;
      const needs = readOnly ? 'read' : 'write';
      violations.push({
        group: group.name,
        volume: request.source,
        message: `group "${group.name}" volume "${alias}": host volume "${request.source}" needs ${needs} (${capability}): ${explain(acl.hostVolume(request.source), 'host_volume')}`,
      });
    }
  }
  return violations;
}

/** Throws FORBIDDEN listing every violation; returns quietly when `job` may be submitted. */
export function checkJobSubmission(acl: Acl, job: Job): void {
  const violations = jobViolations(acl, job);
  if (violations.length === 0) return;
  throw new PilotfishError('FORBIDDEN', `job "${job.id}" refused by ACL:\n  ${violations.map((v) => v.message).join('\n  ')}`, {
    details: { job: job.id, namespace: job.namespace, volumes: violations.flatMap((v) => (v.volume === undefined ? [] : [v.volume])) },
  });
}
