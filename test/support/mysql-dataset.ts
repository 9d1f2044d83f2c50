import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type mysql from 'mysql2/promise';

/**
 * Generates a MySQL dataset of about `targetMb` quickly with the sequence engine: several tables
 * with a primary key and secondary indexes, rows of hex text (compressible like real data, not
 * like zeros), inserted in batches with INSERT … SELECT FROM seq_1_to_N.
 */

export const DATASET_DB = 'pfdata';
const ROW_BYTES = 365; // measured on-disk bytes per row including the secondary indexes (at 0.5–1 GB)
const BATCH_ROWS = 50_000;

export async function generateDataset(conn: mysql.Connection, targetMb: number, tables = 4): Promise<string[]> {
  const rowsPerTable = Math.ceil((targetMb * 1024 * 1024) / ROW_BYTES / tables);
  await conn.query(`CREATE DATABASE IF NOT EXISTS ${DATASET_DB}`);
  await conn.query(`USE ${DATASET_DB}`);
  const names: string[] = [];
  for (let t = 1; t <= tables; t++) {
    const name = `t${t}`;
    names.push(name);
    await conn.query(
      `CREATE TABLE ${name} (id INT PRIMARY KEY, a INT NOT NULL, b BIGINT NOT NULL, s CHAR(32) NOT NULL, note VARCHAR(255) NOT NULL,
       KEY by_a (a), KEY by_s (s), KEY by_b_a (b, a)) ENGINE=InnoDB`,
    );
    for (let start = 0; start < rowsPerTable; start += BATCH_ROWS) {
      const end = Math.min(rowsPerTable, start + BATCH_ROWS);
      await conn.query(
        `INSERT INTO ${name} SELECT seq, (seq * 7919) % 100003, seq * ${t}, MD5(seq + ${t}),
         CONCAT(SHA2(seq, 256), ' ', REPEAT(CHAR(65 + seq % 26), 40), ' ', MD5(seq * ${t})) FROM seq_${start + 1}_to_${end}`,
      );
    }
  }
  return names;
}

/** CHECKSUM TABLE of every dataset table, by name. */
export async function checksumTables(conn: mysql.Connection, tables: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of tables) {
    const [rows] = await conn.query(`CHECKSUM TABLE ${DATASET_DB}.${name}`);
    out[name] = String((rows as Array<{ Checksum: unknown }>)[0]?.Checksum);
  }
  return out;
}

/** Size of the dataset's tablespace files (data plus indexes), in MB. */
export async function datasetMb(dataDir: string): Promise<number> {
  let bytes = 0;
  for (const name of await readdir(join(dataDir, DATASET_DB))) bytes += (await stat(join(dataDir, DATASET_DB, name))).size;
  return bytes / 1024 / 1024;
}
