import { backendUrl, uniqueDbName } from "@runframe/platform/testing";
import { MongoClient } from "mongodb";
import { describeIncidentStoreContract } from "./incident-store.contract.js";
import { MongoIncidentStore } from "./mongo-incident-store.js";

describeIncidentStoreContract("MongoDB", async () => {
  const client = await MongoClient.connect(backendUrl("MONGO_URL"));
  const db = client.db(uniqueDbName("incidents"));
  const store = new MongoIncidentStore(db);
  await store.init();
  return {
    store,
    async dispose() {
      await db.dropDatabase();
      await client.close();
    },
  };
});
