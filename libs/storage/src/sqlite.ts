import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

export type { Database } from "better-sqlite3";

/**
 * Opens the embedded store: one SQLite file, `runframe.db` in `dataDir`,
 * shared by the auth and incident processes (each owns its own tables). WAL
 * lets readers run beside the one writer; the busy timeout makes a process
 * wait for another's write instead of failing.
 */
export function openSqlite(dataDir: string): Database.Database {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, "runframe.db"));
  db.pragma("journal_mode = WAL");
  // FULL: a 2xx promises the incident is stored, so each commit is fsynced.
  db.pragma("synchronous = FULL");
  db.pragma("busy_timeout = 10000");
  db.pragma("foreign_keys = ON");
  return db;
}
