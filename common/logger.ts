import { pino, type Logger, type LoggerOptions } from 'pino';
import { redactSecrets } from './redact.js';

export type { Logger } from 'pino';

export interface LoggerConfig {
  level?: string;
  /** Extra base fields on every line (cluster, member). */
  base?: Record<string, unknown>;
  /** Where lines go; defaults to stdout. Tests pass a stream to read what was logged. */
  destination?: pino.DestinationStream;
}

/**
 * The root logger, made once in the entry point and passed down; components take
 * `logger.child({ component })`. Lines are JSON; every field whose name says it is a secret
 * (password, token, secret, …) is redacted at any depth before the line is written.
 */
export function createLogger(config: LoggerConfig = {}): Logger {
  const options: LoggerOptions = {
    level: config.level ?? process.env.PILOTFISH_LOG_LEVEL ?? 'info',
    base: { pid: process.pid, ...config.base },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      log: (object) => redactSecrets(object),
    },
    serializers: { err: pino.stdSerializers.err },
  };
  return config.destination ? pino(options, config.destination) : pino(options);
}

/** A logger that writes nothing, for unit tests and library callers that do not care. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
