import type { Logger } from '../common/logger.js';

/**
 * Signal handling of a supervisor process. SIGTERM and SIGINT start one orderly shutdown (a second
 * one is logged and ignored, so an impatient Ctrl-C cannot interrupt a database halfway through its
 * shutdown); SIGHUP and SIGUSR1/SIGUSR2 are forwarded to the children.
 *
 * Orphan reaping: Node cannot call waitpid(-1) on SIGCHLD, so a Node process running as PID 1
 * cannot reap zombies re-parented to it. Our own children are reaped by libuv; grandchildren that a
 * child leaves behind are not. mariadbd does not fork, so this only matters for tools such as
 * mariadb-backup. When the supervisor finds itself PID 1 it logs a warning saying to start the
 * container with an init (`docker run --init`, `tini`, Kubernetes `shareProcessNamespace`); it does
 * not re-exec itself under one.
 */
export function installSignalHandlers(
  onShutdown: (signal: NodeJS.Signals) => void,
  forward: (signal: NodeJS.Signals) => void,
  logger: Logger,
): () => void {
  let shuttingDown = false;
  const stop = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      logger.warn({ signal }, 'shutdown already in progress; ignoring signal');
      return;
    }
    shuttingDown = true;
    logger.info({ signal }, 'shutting down');
    onShutdown(signal);
  };
  const pass = (signal: NodeJS.Signals) => forward(signal);
  const handlers: [NodeJS.Signals, (s: NodeJS.Signals) => void][] = [
    ['SIGTERM', stop],
    ['SIGINT', stop],
    ['SIGHUP', pass],
    ['SIGUSR1', pass],
    ['SIGUSR2', pass],
  ];
  for (const [signal, handler] of handlers) process.on(signal, handler);
  if (process.pid === 1) {
    logger.warn(
      'running as PID 1: orphaned grandchildren cannot be reaped from Node; start the container with an init (docker run --init, tini)',
    );
  }
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}
