/** A FIFO of buffers that hands out exact byte counts without copying more than once. */
export class ChunkQueue {
  private chunks: Buffer[] = [];
  private bytes = 0;

  get length(): number {
    return this.bytes;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.bytes += chunk.length;
  }

  /** Removes and returns the first `count` bytes (`count` ≤ `length`). */
  take(count: number): Buffer {
    const first = this.chunks[0];
    if (first !== undefined && first.length === count) {
      this.chunks.shift();
      this.bytes -= count;
      return first;
    }
    const out = Buffer.allocUnsafe(count);
    let filled = 0;
    while (filled < count) {
      const head = this.chunks[0] as Buffer;
      const used = Math.min(head.length, count - filled);
      head.copy(out, filled, 0, used);
      filled += used;
      if (used === head.length) this.chunks.shift();
      else this.chunks[0] = head.subarray(used);
    }
    this.bytes -= count;
    return out;
  }
}
