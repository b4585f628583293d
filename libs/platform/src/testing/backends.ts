import { randomBytes } from "node:crypto";

/**
 * The backend URLs integration tests use, set by global-setup.ts. Reading
 * one that is missing throws, so a test can never pass without its backend.
 */
export function backendUrl(name: "MONGO_URL" | "REDIS_URL"): string {
  const url = process.env[name];
  if (!url) {
    throw new Error(`${name} is not set; run the tests with \`npm test\` so backends start`);
  }
  return url;
}

/** A database name no other test file uses, so files can run in parallel. */
export function uniqueDbName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}`;
}

/**
 * The storage settings an app process needs in tests: the test Redis, a
 * fresh MongoDB database, and a random secret key.
 */
export function storageEnv(): Record<string, string> {
  const mongo = new URL(backendUrl("MONGO_URL"));
  mongo.pathname = `/${uniqueDbName("e2e")}`;
  return {
    MONGO_URL: mongo.toString(),
    REDIS_URL: backendUrl("REDIS_URL"),
    RUNFRAME_SECRET_KEY: randomBytes(32).toString("base64"),
  };
}
