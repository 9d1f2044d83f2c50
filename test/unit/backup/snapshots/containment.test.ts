import { describe, expect, test } from 'vitest';
import { assertIndexContained } from '../../../../backup/snapshots/restore-snapshot.js';
import type { IndexEntry } from '../../../../backup/snapshots/snapshot-index.js';

const meta = { mode: 0o755, uid: 0, gid: 0, mtimeNs: '0' };
const dir = (path: string): IndexEntry => ({ type: 'dir', path, ...meta });
const link = (path: string, target: string): IndexEntry => ({ type: 'symlink', path, target, ...meta });
const file = (path: string): IndexEntry => ({ type: 'file', path, ...meta, ctimeNs: '0', ino: '1', size: 0, chunks: [] });

describe('assertIndexContained', () => {
  test('IndexContained_linksAndFilesInside_accepted', () => {
    expect(() => assertIndexContained([dir('.'), dir('a'), file('a/f'), link('a/up', '../a/f'), link('self', '.')])).not.toThrow();
  });

  test.each([
    ['an absolute link', [dir('.'), link('l', '/etc')], /link leading outside the target: l/],
    ['a link up and out', [dir('.'), dir('a'), link('a/l', '../../x')], /link leading outside the target: a\/l/],
    ['a dot-dot path', [dir('.'), file('../x')], /unsafe path/],
    ['an absolute path', [dir('.'), file('/x')], /unsafe path/],
    ['a file under a link', [dir('.'), link('a', 'b'), dir('b'), file('a/f')], /outside any directory/],
    ['a duplicate path', [dir('.'), file('f'), file('f')], /twice/],
    ['a root that is a file', [file('.')], /root that is not a directory/],
  ])('IndexContained_%s_refused', (_name, entries, message) => {
    expect(() => assertIndexContained(entries as IndexEntry[])).toThrow(message);
  });
});
