import { readFile } from 'node:fs/promises';
import { PilotfishError } from '../../common/errors.js';
import type { Job } from '../structs/index.js';

/** TEMPORARY until the jobspec lands. */
export async function loadJobFile(path: string): Promise<Job> {
  const text = await readFile(path, 'utf8').catch((err: unknown) => {
    throw new PilotfishError('JOBSPEC_INVALID', `cannot read job file ${path}: ${(err as Error).message}`);
  });
  return JSON.parse(text) as Job;
}
