import { TtlCache, UnauthenticatedError } from "@runframe/util";
import { hashSecret } from "./keys.js";
import type { ApiKeyRecord, IntegrationRepository } from "./model.js";

/** Resolves organization API keys, with a short cache of both hits and misses. */
export class ApiKeys {
  readonly #cache = new TtlCache<string, ApiKeyRecord | null>(10_000, 10_000);

  constructor(private readonly repo: IntegrationRepository) {}

  async verify(secret: string): Promise<ApiKeyRecord> {
    const hash = hashSecret(secret);
    let record = this.#cache.get(hash);
    if (record === undefined) {
      record = (await this.repo.findApiKey(hash)) ?? null;
      this.#cache.set(hash, record);
    }
    if (record === null) {
      throw new UnauthenticatedError("unknown API key", { reason: "API_KEY_INVALID" });
    }
    return record;
  }
}
