import type { BackupProgress } from '../../backup/create-backup.js';

const WIDTH = 24;
const INTERVAL_MS = 200;

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/**
 * A one-line progress bar on a terminal (bytes, rate, and percentage with ETA when the total is
 * known), redrawn at most five times a second. Returns `undefined` when `out` is not a terminal, so
 * logs and pipes never get carriage returns.
 */
export function progressBar(out: NodeJS.WriteStream = process.stderr): { onProgress(p: BackupProgress): void; finish(): void } | undefined {
  if (!out.isTTY) return undefined;
  const startedMs = Date.now();
  let lastDrawMs = 0;
  let phase = '';
  let phaseStartMs = startedMs;
  let drawn = false;
  return {
    onProgress(progress) {
      const nowMs = Date.now();
      if (progress.phase !== phase) {
        if (drawn) out.write('\n');
        phase = progress.phase;
        phaseStartMs = nowMs;
        lastDrawMs = 0;
      }
      if (nowMs - lastDrawMs < INTERVAL_MS) return;
      lastDrawMs = nowMs;
      const elapsedS = Math.max(0.001, (nowMs - phaseStartMs) / 1000);
      const rate = progress.bytes / elapsedS;
      let line = `${phase.padEnd(8)} ${mib(progress.bytes).padStart(12)}  ${mib(rate)}/s`;
      if (progress.totalBytes) {
        const ratio = Math.min(1, progress.bytes / progress.totalBytes);
        const filled = Math.round(ratio * WIDTH);
        line += `  [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${(ratio * 100).toFixed(0)}%  ETA ${duration((progress.totalBytes - progress.bytes) / Math.max(rate, 1))}`;
      }
      out.write(`\r${line}\x1b[K`);
      drawn = true;
    },
    finish() {
      if (drawn) out.write('\n');
    },
  };
}
