import { Redis } from "ioredis";
import { MongoClient, MongoServerError } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendUrl, uniqueDbName } from "@runframe/platform/testing";

describe("MongoDB driver against the MongoDB-wire test server", () => {
  let client: MongoClient;
  const dbName = uniqueDbName("backends");

  beforeAll(async () => {
    client = await MongoClient.connect(backendUrl("MONGO_URL"), { serverSelectionTimeoutMS: 5000 });
  });
  afterAll(async () => {
    await client.db(dbName).dropDatabase();
    await client.close();
  });

  it("inserts and finds documents", async () => {
    const things = client.db(dbName).collection<{ _id: string; n: number }>("things");
    await things.insertMany([
      { _id: "a", n: 1 },
      { _id: "b", n: 2 },
    ]);
    expect(await things.find({ n: { $gt: 1 } }).toArray()).toEqual([{ _id: "b", n: 2 }]);
  });

  it("refuses a duplicate under a unique index", async () => {
    const keys = client.db(dbName).collection<{ key: string }>("keys");
    await keys.createIndex({ key: 1 }, { unique: true });
    await keys.insertOne({ key: "k1" });
    const duplicate = keys.insertOne({ key: "k1" });
    await expect(duplicate).rejects.toBeInstanceOf(MongoServerError);
    await expect(duplicate).rejects.toMatchObject({ code: 11000 });
    expect(await keys.countDocuments({ key: "k1" })).toBe(1);
  });

  // FerretDB v1 applies updates as read-modify-write of whole documents, so
  // concurrent $inc on one document loses increments. Inserts under a unique
  // index, however, are atomic: the incident store builds on that primitive.
  it("lets exactly one of many concurrent inserts of one unique key win", async () => {
    const claims = client.db(dbName).collection<{ key: string; by: number }>("claims");
    await claims.createIndex({ key: 1 }, { unique: true });
    const attempts = await Promise.allSettled(
      Array.from({ length: 30 }, (_, by) => claims.insertOne({ key: "one", by })),
    );
    const won = attempts.filter((a) => a.status === "fulfilled");
    const lost = attempts.filter((a) => a.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost.every((a) => (a.reason as MongoServerError).code === 11000)).toBe(true);
    expect(await claims.countDocuments({ key: "one" })).toBe(1);
  });
});

describe("ioredis against Redis", () => {
  let redis: Redis;
  const key = `{backends-test}:${process.pid}`;

  beforeAll(() => {
    redis = new Redis(backendUrl("REDIS_URL"), { lazyConnect: true, maxRetriesPerRequest: 1 });
    return redis.connect();
  });
  afterAll(async () => {
    await redis.del(key);
    redis.disconnect();
  });

  it("counts atomically with a Lua script", async () => {
    const script =
      "local n = redis.call('INCR', KEYS[1]); redis.call('PEXPIRE', KEYS[1], ARGV[1]); return n";
    const counts = await Promise.all(
      Array.from({ length: 10 }, () => redis.eval(script, 1, key, "60000") as Promise<number>),
    );
    expect(counts.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await redis.pttl(key)).toBeGreaterThan(0);
  });
});
