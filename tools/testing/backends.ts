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
