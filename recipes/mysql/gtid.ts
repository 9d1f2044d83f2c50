/**
 * Replication positions. MariaDB writes a GTID list as `domain-server-seq` entries separated by
 * commas (`0-1-2007,1-3-12`); MySQL writes GTID sets as `uuid:1-100:200-210` entries. A position is
 * "behind" another when, for every domain (MariaDB) or source uuid (MySQL), it has seen no more
 * transactions. Neither containing the other means the histories diverged.
 */

type Position = Map<string, number>;

/** Parses either notation into "domain or uuid → highest sequence number". Empty text is the empty position. */
export function parsePosition(text: string): Position {
  const out: Position = new Map();
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const maria = /^(\d+)-(\d+)-(\d+)$/.exec(entry);
    if (maria) {
      const domain = maria[1] as string;
      out.set(domain, Math.max(out.get(domain) ?? 0, Number(maria[3])));
      continue;
    }
    const [uuid, ...ranges] = entry.split(':');
    const top = Math.max(0, ...ranges.map((r) => Number(r.split('-').pop())));
    if (uuid && Number.isFinite(top)) out.set(uuid.toLowerCase(), top);
  }
  return out;
}

/**
 * Negative when `a` is behind `b`, 0 when equal, positive when ahead, `null` when each has seen
 * something the other has not. MariaDB ignores the server id: in strict mode one domain has one
 * sequence of numbers, whichever server wrote them.
 */
export function comparePositions(a: string, b: string): number | null {
  const pa = parsePosition(a);
  const pb = parsePosition(b);
  let ahead = false;
  let behind = false;
  for (const key of new Set([...pa.keys(), ...pb.keys()])) {
    const x = pa.get(key) ?? 0;
    const y = pb.get(key) ?? 0;
    if (x > y) ahead = true;
    if (x < y) behind = true;
  }
  if (ahead && behind) return null;
  return ahead ? 1 : behind ? -1 : 0;
}

/** Total transactions seen over all domains: a rough measure for logs and metrics. */
export function positionSequence(text: string): number {
  let sum = 0;
  for (const seq of parsePosition(text).values()) sum += seq;
  return sum;
}

/**
 * Replication errors that mean this member's history is not a prefix of its source's: 1236 (the
 * source no longer has, or never had, the requested GTID) and 1950 (out-of-order GTID in strict
 * mode), or their texts.
 */
const DIVERGED = /1236|1950|not in the master's binlog|diverged|out-of-order/i;

export function historyDiverged(replicationError: string): boolean {
  return DIVERGED.test(replicationError);
}

/**
 * MariaDB: the later GTID of each domain from both lists, one per domain (what `gtid_slave_pos`
 * accepts). Used to resume a restored data set: a backup taken on a replica knows its applied
 * position from the `mysql.gtid_slave_pos` table (restored with the data, transactionally
 * consistent), a backup taken on a primary from its binary log.
 */
export function mergeMariadbPositions(...lists: string[]): string {
  const best = new Map<string, { server: string; seq: number }>();
  for (const list of lists) {
    for (const raw of list.split(',')) {
      const m = /^(\d+)-(\d+)-(\d+)$/.exec(raw.trim());
      if (!m) continue;
      const [domain, server, seq] = [m[1] as string, m[2] as string, Number(m[3])];
      const current = best.get(domain);
      if (!current || seq > current.seq) best.set(domain, { server, seq });
    }
  }
  return [...best.entries()].sort(([a], [b]) => Number(a) - Number(b)).map(([d, { server, seq }]) => `${d}-${server}-${seq}`).join(',');
}
