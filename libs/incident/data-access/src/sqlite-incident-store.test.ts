import { openSqlite } from "@runframe/storage";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeIncidentStoreContract } from "./incident-store.contract.js";
import { SqliteIncidentStore } from "./sqlite-incident-store.js";

describeIncidentStoreContract("SQLite", async () => {
  const dir = await mkdtemp(join(tmpdir(), "runframe-sqlite-"));
  const db = openSqlite(dir);
  return {
    store: new SqliteIncidentStore(db),
    async dispose() {
      db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
