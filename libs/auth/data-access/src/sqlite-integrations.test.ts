import { openSqlite } from "@runframe/storage";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeIntegrationRepositoryContract } from "./integration-repository.contract.js";
import { SqliteIntegrationRepository } from "./sqlite-integrations.js";

describeIntegrationRepositoryContract("SQLite", async () => {
  const dir = await mkdtemp(join(tmpdir(), "runframe-sqlite-"));
  const db = openSqlite(dir);
  return {
    repo: new SqliteIntegrationRepository(db),
    async dispose() {
      db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
