import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { PilotfishError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';

/**
 * The last line of fencing, outside the application: kill its process at a deadline unless pushed
 * forward. The HA loop arms it on every lease renewal with a deadline between the dead-man event
 * (`ttl - safetyMargin`) and the lease's end, and disarms it once the application is confirmed
 * read-only.
 */
export interface ProcessFence {
  /** Kill `pid` at wall-clock `deadlineMs` unless this is called again or {@link disarm}ed. */
  arm(pid: number, deadlineMs: number): void;
  disarm(): void;
}

/** Options of {@link ProcessWatchdog}. */
export interface ProcessWatchdogOptions {
  logger: Logger;
  /** Called when the watchdog killed the application. */
  onFired?: (pid: number) => void;
  /** The watchdog program; defaults to the built `watchdog-main.js` beside this module. */
  program?: string;
}

const SPAWN_OPTIONS = {
  stdin: 'pipe',
  stdout: 'pipe',
  stderr: 'inherit',
  buffer: false,
  detached: true,
  // the child must outlive a killed supervisor to enforce the last deadline
  cleanup: false,
  reject: false,
} as const;
type WatchdogChild = ResultPromise<typeof SPAWN_OPTIONS>;

const BESIDE = fileURLToPath(new URL('./watchdog-main.js', import.meta.url));
const monotonicNowMs = (): number => Number(process.hrtime.bigint() / 1_000_000n);

/**
 * Runs `watchdog-main.js` as a child in its own process group (a Ctrl-C for the supervisor does not
 * reach it) and talks to it over its stdin. Deadlines cross as CLOCK_MONOTONIC milliseconds, which
 * every process on the machine shares. When the supervisor dies, the child keeps the last deadline
 * and exits after it; {@link close} disarms and ends it. A watchdog that died is started again on
 * the next {@link arm}.
 */
export class ProcessWatchdog implements ProcessFence {
  private child: WatchdogChild | null = null;
  private armedPid: number | null = null;
  private closed = false;
  private readonly program: string;

  constructor(private readonly options: ProcessWatchdogOptions) {
    this.program = options.program ?? BESIDE;
    if (!existsSync(this.program)) {
      throw new PilotfishError('PROCESS_FAILED', `the process watchdog program ${this.program} is missing; run \`npm run build\``);
    }
  }

  /** The watchdog's own pid while it runs (tests). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  arm(pid: number, deadlineMs: number): void {
    if (this.closed) return;
    this.send(`arm ${pid} ${monotonicNowMs() + (deadlineMs - Date.now())}`);
    if (this.armedPid !== pid) this.options.logger.debug({ applicationPid: pid, inMs: deadlineMs - Date.now() }, 'process watchdog armed');
    this.armedPid = pid;
  }

  disarm(): void {
    if (this.armedPid === null) return;
    this.send('disarm');
    this.options.logger.debug({ applicationPid: this.armedPid }, 'process watchdog disarmed');
    this.armedPid = null;
  }

  /** Disarms and ends the watchdog. Idempotent. */
  async close(): Promise<void> {
    this.disarm();
    this.closed = true;
    const child = this.child;
    this.child = null;
    if (!child) return;
    child.stdin.end();
    await child;
  }

  private send(line: string): void {
    (this.child ?? this.spawn()).stdin.write(`${line}\n`);
  }

  private spawn(): WatchdogChild {
    const child = execa(process.execPath, ['--max-old-space-size=16', this.program], SPAWN_OPTIONS);
    this.child = child;
    child.stdin.on('error', () => undefined);
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n')) {
        const [event, pidText] = pending.slice(0, newline).split(' ');
        pending = pending.slice(newline + 1);
        if (event !== 'fired') continue;
        if (this.armedPid === Number(pidText)) this.armedPid = null;
        this.options.logger.warn({ applicationPid: Number(pidText) }, 'the process watchdog killed the application: the lease was not renewed in time');
        this.options.onFired?.(Number(pidText));
      }
    });
    void child.then((result) => {
      if (this.child !== child) return;
      this.child = null;
      this.armedPid = null;
      this.options.logger.error({ code: result.exitCode, signal: result.signal }, 'the process watchdog exited; starting it again on the next renewal');
    });
    this.options.logger.debug({ watchdogPid: child.pid }, 'process watchdog started');
    return child;
  }
}
