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
 * flush). The WAL keeps its inode while the connection is open: SQLite
 * deletes it only when the last connection closes, after a checkpoint has
 * synced every commit into the database file.
 */
function walFlusher(path: string): () => Promise<void> {
  let fd: number | undefined;
  return () =>
    new Promise((resolve, reject) => {
      if (fd === undefined) {
        try {
          fd = openSync(path, "r");
        } catch (error) {
          // No WAL yet: nothing has been committed to it.
          if ((error as NodeJS.ErrnoException).code === "ENOENT") {
            resolve();
          } else {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
          return;
        }
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

  /** `sync` replaces the fdatasync of the WAL (tests watch it with one). */
  constructor(db: Database.Database, sync?: FileSync) {
    db.pragma("synchronous = NORMAL");
    const wal = `${db.name}-wal`;
    this.#flush = sync ? () => sync(wal) : walFlusher(wal);
  }

  /** Resolves once every commit made before the call is on disk. */
  durable(): Promise<void> {
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

  #start(): Promise<void> {
    const run = this.#flush().finally(() => {
      if (this.#running === run) {
        this.#running = undefined;
      }
    });
    this.#running = run;
    return run;
  }
}
