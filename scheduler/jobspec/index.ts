/** Job file parsing (HCL, JSON, YAML) and validation into a `Job`. */
export { parseJobspec, parseJobFile, formatOf } from './parse.js';
export type { JobspecFormat, JobspecIssue } from './parse.js';
