import type { ProcessFence } from '../../supervisor/fencing/process-watchdog.js';

export type ProcessFenceEvent = { kind: 'arm'; pid: number; deadlineMs: number; atMs: number } | { kind: 'disarm'; atMs: number };

/** A ProcessFence that kills nothing and records each arm and disarm with the fake clock's time. */
export class RecordingProcessFence implements ProcessFence {
  readonly events: ProcessFenceEvent[] = [];

  arm(pid: number, deadlineMs: number): void {
    this.events.push({ kind: 'arm', pid, deadlineMs, atMs: Date.now() });
  }

  disarm(): void {
    this.events.push({ kind: 'disarm', atMs: Date.now() });
  }

  /** The deadline a watchdog would enforce now: the last arm, unless a disarm came after it. */
  armedDeadlineMs(): number | null {
    const last = this.events.at(-1);
    return last?.kind === 'arm' ? last.deadlineMs : null;
  }
}
