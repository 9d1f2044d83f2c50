import { allocName } from '../structs/index.js';

/**
 * Names of one group's new allocations, `job.group[index]` exactly as `allocName` spells them,
 * built from the char codes of a prefix computed once per group and pass. `allocName` joins six
 * pieces per call (an array, a number conversion and a join); here a name is one
 * `String.fromCharCode` over a reused code array, which also yields a flat string (a
 * concatenation would keep a rope of cons strings alive with each of a million allocations).
 */

/** Longest prefix built from char codes; longer ones (never seen in practice) use `allocName`. */
const MAX_PREFIX = 512;

export class AllocNames {
  /** Char codes of `job.group[`, then room for the index digits and `]`. */
  private readonly codes: number[];
  private readonly prefixLength: number;

  constructor(
    private readonly jobId: string,
    private readonly group: string,
  ) {
    const prefix = `${jobId}.${group}[`;
    this.prefixLength = prefix.length;
    this.codes = [];
    // UTF-16 code units, so any job or group name round-trips through fromCharCode unchanged
    for (let k = 0; k < prefix.length && prefix.length <= MAX_PREFIX; k++) this.codes.push(prefix.charCodeAt(k));
  }

  /** The name of the allocation with this index. */
  name(index: number): string {
    // digit arithmetic in doubles is exact well beyond any real count; outside that, the general path
    if (this.prefixLength > MAX_PREFIX || !Number.isInteger(index) || index < 0 || index >= 1e9) return allocName(this.jobId, this.group, index);
    const c = this.codes;
    let n = this.prefixLength;
    let scale = 1;
    while (scale * 10 <= index) scale *= 10;
    for (; scale >= 1; scale /= 10) c[n++] = 48 + (Math.floor(index / scale) % 10);
    c[n++] = 93; // ']'
    c.length = n;
    return String.fromCharCode.apply(null, c);
  }
}
