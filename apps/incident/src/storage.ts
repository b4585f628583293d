import { MongoIncidentStorage, SqliteIncidentStorage } from "@runframe/incident-data";
import type { IncidentStorage } from "@runframe/incident-domain";
import type { Logger, ReadinessCheck } from "@runframe/platform";
import { connectMongo, openSqlite } from "@runframe/storage";

/** MongoDB when MONGO_URL is set, else the embedded SQLite file. */
export async function openStorage(
  config: { MONGO_URL: string | undefined; RUNFRAME_DATA_DIR: string },
  logger: Logger,
): Promise<{
  storage: IncidentStorage;
  system: "mongodb" | "sqlite";
  readiness: ReadinessCheck;
  close(): Promise<void>;
}> {
  if (config.MONGO_URL) {
    const mongo = await connectMongo(config.MONGO_URL);
    const storage = new MongoIncidentStorage(mongo.db);
    await storage.init();
    const migrated = await storage.migrate();
    if (migrated > 0) {
      logger.info({ incidents: migrated }, "upgraded incidents written by an earlier release");
    }
    return {
      storage,
      system: "mongodb",
      readiness: { name: "mongodb", check: async () => void (await mongo.db.command({ ping: 1 })) },
      close: () => mongo.client.close(),
    };
  }
  // One connection writes (a unit of writes is one transaction); the other
  // serves reads, which see committed data only.
  const write = openSqlite(config.RUNFRAME_DATA_DIR);
  const read = openSqlite(config.RUNFRAME_DATA_DIR);
  logger.info({ file: write.name }, "MONGO_URL is not set: using the embedded SQLite store");
  const storage = new SqliteIncidentStorage(write, read);
  const migrated = await storage.migrate();
  if (migrated > 0) {
    logger.info({ incidents: migrated }, "upgraded incidents written by an earlier release");
  }
  return {
    storage,
    system: "sqlite",
    readiness: {
      name: "sqlite",
      check: async () => {
        storage.checkDurable();
        read.prepare("SELECT 1").get();
      },
    },
    close: async () => {
      write.close();
      read.close();
    },
  };
}
