import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { progressBar } from '../../../bin/commands/backup-progress.js';

function terminal(isTTY: boolean): { stream: NodeJS.WriteStream; text(): string } {
  const stream = new PassThrough();
  let written = '';
  stream.on('data', (chunk: Buffer) => (written += chunk.toString()));
  return { stream: Object.assign(stream, { isTTY }) as unknown as NodeJS.WriteStream, text: () => written };
}

describe('progressBar', () => {
  test('ProgressBar_notATerminal_drawsNothing', () => {
    expect(progressBar(terminal(false).stream)).toBeUndefined();
  });

  test('ProgressBar_knownTotal_showsBytesPercentAndEta', async () => {
    const tty = terminal(true);
    const bar = progressBar(tty.stream)!;
    bar.onProgress({ phase: 'download', bytes: 50 * 1048576, totalBytes: 100 * 1048576 });
    bar.finish();
    await new Promise((resolve) => setImmediate(resolve));
    expect(tty.text()).toMatch(/download\s+50\.0 MiB\s+[\d.]+ MiB\/s\s+\[#{12}-{12}\] 50%\s+ETA \S+/);
  });

  test('ProgressBar_unknownTotal_showsBytesAndRateOnly', async () => {
    const tty = terminal(true);
    const bar = progressBar(tty.stream)!;
    bar.onProgress({ phase: 'upload', bytes: 1048576 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(tty.text()).toMatch(/upload\s+1\.0 MiB/);
    expect(tty.text()).not.toMatch(/ETA/);
  });
});
