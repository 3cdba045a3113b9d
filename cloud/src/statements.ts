import type Database from 'better-sqlite3';

/**
 * Prepared statements by their SQL, prepared once per database handle:
 * better-sqlite3's prepare costs more than running most of our statements,
 * and the sync path runs several per op.
 */
export class Statements {
  readonly #db: Database.Database;
  readonly #cache = new Map<string, Database.Statement>();

  constructor(db: Database.Database) {
    this.#db = db;
  }

  sql(sql: string): Database.Statement {
    let stmt = this.#cache.get(sql);
    if (!stmt) {
      stmt = this.#db.prepare(sql);
      this.#cache.set(sql, stmt);
    }
    return stmt;
  }
}
