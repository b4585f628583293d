import { backendUrl, uniqueDbName } from "@runframe/platform/testing";
import { MongoClient } from "mongodb";
import { describeIntegrationRepositoryContract } from "./integration-repository.contract.js";
import { MongoIntegrationRepository } from "./mongo-integrations.js";

describeIntegrationRepositoryContract("MongoDB", async () => {
  const client = await MongoClient.connect(backendUrl("MONGO_URL"));
  const db = client.db(uniqueDbName("integrations"));
  const repo = new MongoIntegrationRepository(db);
  await repo.init();
  return {
    repo,
    async dispose() {
      await db.dropDatabase();
      await client.close();
    },
  };
});
