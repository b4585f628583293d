import { backendUrl, uniqueDbName } from "@runframe/platform/testing";
import { MongoClient } from "mongodb";
import { describeIncidentStorageContract } from "./incident-storage.contract.js";
import { MongoIncidentStorage } from "./mongo-incident-store.js";

describeIncidentStorageContract("MongoDB", async () => {
  const client = await MongoClient.connect(backendUrl("MONGO_URL"));
  const db = client.db(uniqueDbName("incidents"));
  const storage = new MongoIncidentStorage(db);
  await storage.init();
  return {
    storage,
    replica: async () => new MongoIncidentStorage(db),
    async dispose() {
      await db.dropDatabase();
      await client.close();
    },
  };
});
