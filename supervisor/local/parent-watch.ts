/** Options of {@link watchParent}. */
export interface ParentWatchOptions {
  /** How often the parent is checked; 1000 ms by default. */
  intervalMs?: number;
  /** Reads the parent pid; `process.ppid` (read afresh on every access) by default. */
  readPpid?: () => number;
}

/**
 * Calls `onGone` once, within about `intervalMs`, after the process that started this one has
 * gone, however it ended (SIGKILL included). Call it first thing: a parent that died before the
 * call is not noticed.
 *
 * The parent counts as gone when the parent pid differs from the one seen at the call. When a
 * process dies, Linux re-parents its children to init or to the nearest subreaper (systemd --user,
 * tini, a container runtime), so the pid changes, and it never changes while the parent lives.
 * Polling, because Node has no parent-death event: `prctl(PR_SET_PDEATHSIG)` needs a native addon.
 * stdin is not watched: an ended stdin says nothing about the parent (`up < /dev/null`).
 *
 * The timer is unref'd, so the watch never keeps the process alive. Returns a function that stops
 * watching.
 */
export function watchParent(onGone: () => void, options: ParentWatchOptions = {}): () => void {
  const readPpid = options.readPpid ?? (() => process.ppid);
  const parent = readPpid();
  const timer = setInterval(() => {
    if (readPpid() === parent) return;
    clearInterval(timer);
    onGone();
  }, options.intervalMs ?? 1000);
  timer.unref();
  return () => clearInterval(timer);
}
