import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { PilotfishError } from '../../common/errors.js';
import { formatOf, type JobspecFormat } from '../jobspec/index.js';

/**
 * What the CLI sends for `job run` and `job plan`: the job file's text and format. The server
 * parses and validates it (one validation path for every client), so a bad file is rejected by
 * the API with the same field-path messages the parser gives locally.
 */
export interface JobSubmission {
  jobspec: string;
  format: JobspecFormat;
  /** File name shown in error messages. */
  source: string;
}

/** Reads a job file (`.hcl`/`.nomad`, `.json`, `.yaml`/`.yml`). */
export async function readJobFile(path: string): Promise<JobSubmission> {
  try {
    return { jobspec: await readFile(path, 'utf8'), format: formatOf(path), source: basename(path) };
  } catch (err) {
    throw new PilotfishError('JOBSPEC_INVALID', `cannot read job file ${path}: ${(err as Error).message}`, { cause: err });
  }
}
