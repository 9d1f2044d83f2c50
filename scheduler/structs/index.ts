/** The scheduler's shared, JSON-serialisable types and defaults. */
export * from './job.js';
export * from './node.js';
export * from './allocation.js';
export * from './evaluation.js';
export * from './plan.js';
export * from './defaults.js';
export * from './target.js';
export * from './names.js';
export * from './resources.js';
export * from './data-holder.js';
