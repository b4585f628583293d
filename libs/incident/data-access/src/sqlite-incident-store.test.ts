import { openSqlite } from "@runframe/storage";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeInboxContract } from "./inbox.contract.js";
import { describeIncidentStorageContract } from "./incident-storage.contract.js";
import { describeSchedulesContract } from "./schedules.contract.js";
import { SqliteIncidentStorage } from "./sqlite-incident-store.js";

const openSQLite = async () => {
  const dir = await mkdtemp(join(tmpdir(), "runframe-sqlite-"));
  const opened = [openSqlite(dir), openSqlite(dir)];
  const replica = async () => {
    const [write, read] = [openSqlite(dir), openSqlite(dir)];
    opened.push(write, read);
    return new SqliteIncidentStorage(write, read);
  };
  return {
    storage: new SqliteIncidentStorage(opened[0]!, opened[1]),
    // Claims need no lease: a unit claims and applies in one transaction.
    replica,
    exclusiveUnits: true,
    async dispose() {
      for (const db of opened) {
        db.close();
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
};

describeIncidentStorageContract("SQLite", openSQLite);
describeInboxContract("SQLite", openSQLite);
describeSchedulesContract("SQLite", openSQLite);
