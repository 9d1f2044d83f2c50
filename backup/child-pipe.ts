import type { Writable } from 'node:stream';

/**
 * Bulk data between two child processes should not pass through Node: every byte would cost a
 * read and a write on the event loop. A child's stdin pipe created by execa has an OS file
 * descriptor; handing that number to the next child's `stdout` lets the kernel move the bytes.
 * Node's public API does not expose the descriptor, hence the narrow look at `_handle`.
 */
export function pipeFd(stream: Writable): number | undefined {
  const fd = (stream as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/**
 * After a second child inherited the descriptor, the parent's copy must be closed (not shut
 * down: `end()` would shut the socket for the writer too) so the reader sees end-of-file when
 * the writer exits.
 */
export function releaseParentCopy(stream: Writable): void {
  stream.destroy();
}
