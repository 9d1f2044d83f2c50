import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DurableLog } from '../../../../scheduler/server/durable-log.js';
import { tempDir } from '../../../support/tmp.js';

let dir: { path: string; remove(): void } | undefined;
afterEach(() => dir?.remove());

describe('DurableLog', () => {
  it('DurableLog_appendThenLoad_returnsOpsInOrder', () => {
    dir = tempDir();
    const log = new DurableLog<number[], number>(dir.path);
    log.load();
    for (const n of [1, 2, 3]) log.append(n);
    log.close();
    expect(new DurableLog<number[], number>(dir.path).load()).toEqual({ snapshot: undefined, ops: [1, 2, 3] });
  });

  it('DurableLog_compact_keepsStateAndDropsOldOps', () => {
    dir = tempDir();
    const log = new DurableLog<number[], number>(dir.path);
    log.load();
    log.append(1);
    log.append(2);
    log.compact([1, 2]);
    log.append(3);
    log.close();
    expect(new DurableLog<number[], number>(dir.path).load()).toEqual({ snapshot: [1, 2], ops: [3] });
  });

  it('DurableLog_crashBetweenSnapshotAndLogTruncation_skipsOpsInSnapshot', () => {
    dir = tempDir();
    const log = new DurableLog<number[], number>(dir.path);
    log.load();
    log.append(1);
    log.append(2);
    log.close();
    const oldLog = readFileSync(join(dir.path, 'log.jsonl'), 'utf8');
    // A snapshot at seq 2 landed, but the crash came before the log was emptied.
    writeFileSync(join(dir.path, 'snapshot.json'), JSON.stringify({ seq: 2, state: [1, 2] }));
    writeFileSync(join(dir.path, 'log.jsonl'), oldLog);
    expect(new DurableLog<number[], number>(dir.path).load()).toEqual({ snapshot: [1, 2], ops: [] });
  });

  it('DurableLog_tornLastLine_isDroppedAsUnacknowledged', () => {
    dir = tempDir();
    const log = new DurableLog<number[], number>(dir.path);
    log.load();
    log.append(1);
    log.close();
    appendFileSync(join(dir.path, 'log.jsonl'), '{"seq":2,"op":');
    expect(new DurableLog<number[], number>(dir.path).load().ops).toEqual([1]);
  });

  it('DurableLog_corruptMiddleLine_refusesToStart', () => {
    dir = tempDir();
    writeFileSync(join(dir.path, 'log.jsonl'), '{"seq":1,"op":1}\ngarbage\n{"seq":3,"op":3}\n');
    expect(() => new DurableLog<number[], number>(dir?.path as string).load()).toThrow(/line 2 is corrupt/);
  });

  it('DurableLog_files_readableByOwnerOnly', () => {
    dir = tempDir();
    const log = new DurableLog<number[], number>(join(dir.path, 'state'));
    log.load();
    log.append(1);
    log.compact([1]);
    log.close();
    for (const name of ['log.jsonl', 'snapshot.json']) expect(statSync(join(dir.path, 'state', name)).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir.path, 'state')).mode & 0o777).toBe(0o700);
  });
});
