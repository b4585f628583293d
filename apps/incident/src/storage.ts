import { MongoIncidentStore, SqliteIncidentStore } from "@runframe/incident-data";
import type { IncidentStore } from "@runframe/incident-domain";
import type { Logger, ReadinessCheck } from "@runframe/platform";
import { connectMongo, openSqlite } from "@runframe/storage";

/** MongoDB when MONGO_URL is set, else the embedded SQLite file. */
export async function openStorage(
  config: { MONGO_URL: string | undefined; RUNFRAME_DATA_DIR: string },
  logger: Logger,
): Promise<{
  store: IncidentStore & { purgeExpired(): Promise<number> };
  readiness: ReadinessCheck;
  close(): Promise<void>;
}> {
  if (config.MONGO_URL) {
    const mongo = await connectMongo(config.MONGO_URL);
    const store = new MongoIncidentStore(mongo.db);
    await store.init();
    return {
      store,
      readiness: { name: "mongodb", check: async () => void (await mongo.db.command({ ping: 1 })) },
      close: () => mongo.client.close(),
    };
  }
  const db = openSqlite(config.RUNFRAME_DATA_DIR);
  logger.info({ file: db.name }, "MONGO_URL is not set: using the embedded SQLite store");
  return {
    store: new SqliteIncidentStore(db),
    readiness: { name: "sqlite", check: async () => void db.prepare("SELECT 1").get() },
    close: async () => void db.close(),
  };
}
