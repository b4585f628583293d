/**
 * Fills a store with incidents through the store's own write path (units of
 * a few thousand creations each: one transaction on SQLite, bulk inserts on
 * MongoDB), far faster than the HTTP API, for benchmarks at scale. A quarter
 * of them are resolved, so status filters have something to skip.
 */
import { IncidentStatus, Severity } from "@runframe/contracts";
import { MongoIncidentStorage, SqliteIncidentStorage } from "@runframe/incident-data";
import { open, resolve, type IncidentStorage } from "@runframe/incident-domain";
import { connectMongo, openSqlite } from "@runframe/storage";

const UNIT = 5_000;

export async function preloadIncidents(options: {
  readonly count: number;
  readonly organizationId: string;
  readonly integrationIds: readonly string[];
  readonly dataDir?: string;
  readonly mongoUrl?: string;
}): Promise<void> {
  const opened = await openFor(options);
  const { storage } = opened;
  try {
    const at = new Date(Date.now() - 86_400_000);
    for (let done = 0; done < options.count; done += UNIT) {
      await storage.writer.unit(async (unit) => {
        for (let i = done; i < Math.min(options.count, done + UNIT); i++) {
          const { draft, event } = open({
            organizationId: options.organizationId,
            integrationId: options.integrationIds[i % options.integrationIds.length]!,
            dedupKey: `preloaded-${i}`,
            serviceId: "SER-00001",
            status: IncidentStatus.NEW,
            alert: {
              title: `Preloaded incident ${i}`,
              description: "written by tools/bench/preload.ts",
              severity: Severity.SEV3,
              sourceUrl: "",
              metadata: { region: "eu-west-1" },
              truncatedAlerts: 0,
            },
            at,
            actor: "bench",
          });
          const created = await unit.create(draft, event, i);
          const resolved = i % 4 === 0 && resolve(created, at, "bench", "resolved");
          if (resolved) {
            unit.update(resolved, i);
          }
        }
        await unit.flush();
      });
    }
  } finally {
    await opened.close();
  }
}

async function openFor(options: {
  readonly dataDir?: string;
  readonly mongoUrl?: string;
}): Promise<{ storage: IncidentStorage; close(): Promise<void> }> {
  if (options.mongoUrl) {
    const mongo = await connectMongo(options.mongoUrl);
    const storage = new MongoIncidentStorage(mongo.db);
    await storage.init();
    return { storage, close: () => mongo.client.close() };
  }
  const db = openSqlite(options.dataDir!);
  return {
    storage: new SqliteIncidentStorage(db),
    close: async () => {
      db.close();
    },
  };
}
