/**
 * Secret redaction by key name, at any depth. Used by the logger (every log line passes through it)
 * and by anything that prints configuration.
 */

export const REDACTED = '[redacted]';

/** Key names whose values are secrets wherever they appear. */
const SECRET_KEY = /pass(word|wd)?$|secret|token$|^token|authorization|private_?key|encryption_?key|^key$|credential/i;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** Returns a copy of `value` in which every secret-named field is replaced by `[redacted]`. */
export function redactSecrets<T>(value: T, seen: WeakSet<object> = new WeakSet()): T {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error || value instanceof Date || Buffer.isBuffer(value)) return value;
  if (seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, seen)) as T;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    const primitive = inner !== undefined && inner !== null && typeof inner !== 'object';
    out[key] = primitive && isSecretKey(key) ? REDACTED : redactSecrets(inner, seen);
  }
  return out as T;
}
