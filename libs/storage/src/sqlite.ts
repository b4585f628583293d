import Database from "better-sqlite3";
import { fdatasync, mkdirSync, openSync } from "node:fs";
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

/** Flushes a file's data to disk (fdatasync); injected in tests. */
export type FileSync = (path: string) => Promise<void>;

/**
 * fdatasync of a connection's WAL through a descriptor opened once (opening
 * and closing it for every flush cost as much main-thread time as the
 * flush). The WAL keeps its inode while the connection is open: a WAL-mode
 * connection holds a shared lock on the database, and SQLite deletes the
 * WAL only when the last connection closes. The descriptor lives as long
 * as the process (one per write connection).
 */
function walFlusher(path: string): () => Promise<void> {
  let fd: number | undefined;
  return () =>
    new Promise((resolve, reject) => {
      try {
        // Called after a commit, so the WAL exists: ENOENT would mean the
        // wrong file, and is an error like any other.
        fd ??= openSync(path, "r");
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      fdatasync(fd, (error) => (error ? reject(error) : resolve()));
    });
}

/**
 * Makes a connection's commits durable off the event loop. Under
 * `synchronous = FULL` SQLite fsyncs the WAL inside COMMIT, and
 * better-sqlite3 runs COMMIT on the event loop, so each fsync stalls every
 * request of the process. This switches the connection to `NORMAL`, where a
 * commit only appends its frames to the WAL, and `durable()` fsyncs the WAL
 * on libuv's thread pool instead. Once a `durable()` called after a commit
 * resolves, that commit is as safe as under FULL: recovery replays every
 * commit whose frames are in the WAL, and checkpoints (which copy the WAL
 * into the database file) still sync both files themselves under NORMAL.
 *
 * Callers share fsyncs: while one runs, later callers wait for a single
 * next one, which starts only after it (the running one may have started
 * before their commit).
 */
export class DeferredSync {
  readonly #flush: () => Promise<void>;
  #running: Promise<void> | undefined;
  #queued: Promise<void> | undefined;
  #failed: Error | undefined;

  /** `sync` replaces the fdatasync of the WAL (tests watch it with one). */
  constructor(db: Database.Database, sync?: FileSync) {
    db.pragma("synchronous = NORMAL");
    // The file SQLite opened, absolute: `db.name` is the path as given.
    const main = (db.pragma("database_list") as { name: string; file: string }[]).find(
      (entry) => entry.name === "main",
    );
    const wal = `${main?.file ?? db.name}-wal`;
    this.#flush = sync ? () => sync(wal) : walFlusher(wal);
  }

  /**
   * Resolves once every commit made before the call is on disk. After one
   * flush has failed it always rejects: the failed commit is already
   * visible to later units, and Linux reports a writeback error once, so a
   * later flush succeeding would prove nothing. Only a restart (SQLite
   * recovering from what is on disk) makes writes durable again.
   */
  durable(): Promise<void> {
    if (this.#failed !== undefined) {
      return Promise.reject(this.#failed);
    }
    if (this.#queued !== undefined) {
      return this.#queued;
    }
    const running = this.#running;
    if (running === undefined) {
      return this.#start();
    }
    const queued = running
      .catch(() => undefined)
      .then(() => {
        this.#queued = undefined;
        return this.#start();
      });
    this.#queued = queued;
    return queued;
  }

  /** Why writes can no longer be confirmed, once a flush has failed. */
  get failure(): Error | undefined {
    return this.#failed;
  }

  #start(): Promise<void> {
    if (this.#failed !== undefined) {
      return Promise.reject(this.#failed);
    }
    const run = this.#flush()
      .catch((error: unknown) => {
        this.#failed = new Error(
          "flushing the SQLite WAL failed; writes cannot be confirmed until the process restarts",
          { cause: error },
        );
        throw this.#failed;
      })
      .finally(() => {
        if (this.#running === run) {
          this.#running = undefined;
        }
      });
    this.#running = run;
    return run;
  }
}
