import mysql from 'mysql2/promise';
import { PilotfishError } from '../../common/errors.js';

/**
 * The supervisor's connection to its own server: root over the unix socket, password given through
 * the driver (never an argument). Errors are rewrapped once here: the driver attaches the statement
 * text (which may hold a password) to its errors, so only the server's message survives, with every
 * known secret value scrubbed from it as well.
 */
export class AdminConnection {
  private pool: mysql.Pool | undefined;

  constructor(
    private readonly socket: string,
    private readonly user: string,
    private readonly password: () => string,
    private readonly secrets: () => string[],
    private readonly timeoutMs = 5000,
  ) {}

  private getPool(): mysql.Pool {
    this.pool ??= mysql.createPool({
      socketPath: this.socket,
      user: this.user,
      password: this.password(),
      connectionLimit: 3,
      connectTimeout: this.timeoutMs,
      multipleStatements: true,
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
    });
    return this.pool;
  }

  /** Runs one statement; rows for SELECT/SHOW. Throws RECIPE_FAILED (retryable) with a scrubbed message. */
  async query<T = Record<string, unknown>>(sql: string, values?: unknown[]): Promise<T[]> {
    try {
      const [rows] = await this.getPool().query({ sql, values, timeout: this.timeoutMs });
      return (Array.isArray(rows) ? rows : []) as T[];
    } catch (err) {
      throw this.wrap(err);
    }
  }

  /** Runs statements on one session (for session variables such as `sql_log_bin`). */
  async session<T>(fn: (conn: mysql.PoolConnection) => Promise<T>): Promise<T> {
    let conn: mysql.PoolConnection | undefined;
    try {
      conn = await this.getPool().getConnection();
      return await fn(conn);
    } catch (err) {
      throw this.wrap(err);
    } finally {
      conn?.release();
    }
  }

  /** Closes every connection (before the server stops, or when it died). */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end().catch(() => undefined);
  }

  scrub(text: string): string {
    let out = text;
    for (const secret of this.secrets()) if (secret.length > 0) out = out.split(secret).join('[redacted]');
    return out;
  }

  private wrap(err: unknown): PilotfishError {
    if (err instanceof PilotfishError) return err;
    const e = err as { message?: string; code?: string; errno?: number };
    const message = this.scrub(e.message ?? String(err));
    return new PilotfishError('RECIPE_FAILED', `MySQL: ${message}`, {
      retryable: true,
      details: { code: e.code, errno: e.errno },
    });
  }
}
