import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ApiKeySchema, type ApiKey } from "@runframe/contracts";
import {
  API_KEY_ROLES,
  pageSize,
  FailedPreconditionError,
  isApiKeyRole,
  NotFoundError,
  TtlCache,
  UnauthenticatedError,
  ValidationError,
  type Violation,
} from "@runframe/util";
import { randomBytes, randomUUID } from "node:crypto";
import { hashSecret, keyHint } from "./keys.js";
import type { ApiKeyRecord, IntegrationRepository } from "./model.js";

/**
 * How long a key lookup is cached on one auth replica (hits and misses).
 * Services that verify keys through auth (`VerifyApiKey`) cache its answers
 * for as long again, so a revoked key is refused everywhere within
 * {@link API_KEY_REVOCATION_BOUND_MS}, and at once by the auth replica that
 * revoked it.
 */
export const API_KEY_CACHE_MS = 5_000;

/** The documented bound: every replica of every service refuses a revoked key within this. */
export const API_KEY_REVOCATION_BOUND_MS = 2 * API_KEY_CACHE_MS;

/** Who is calling a team RPC, as established from their API key. */
export interface KeyCaller {
  readonly organizationId: string;
  readonly keyId: string;
}

/**
 * Organization API keys: verification (with a short cache of hits and
 * misses, keyed by the secret's hash) and the team API that creates, lists
 * and revokes them. Secrets are random (`rf_` + 32 bytes), shown once and
 * stored as SHA-256.
 */
export class ApiKeys {
  readonly #cache = new TtlCache<string, ApiKeyRecord | null>(API_KEY_CACHE_MS, 10_000);

  constructor(
    private readonly repo: IntegrationRepository,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The active key with this secret; UNAUTHENTICATED for an unknown or revoked one. */
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
    if (record.revokedAt !== undefined) {
      throw new UnauthenticatedError(`API key ${record.id} was revoked`, {
        reason: "API_KEY_REVOKED",
      });
    }
    return record;
  }

  async create(
    caller: KeyCaller,
    req: { name: string; role: string },
  ): Promise<{ apiKey: ApiKey; secret: string }> {
    const violations: Violation[] = [];
    if (req.name.trim() === "") {
      violations.push({ field: "name", description: "is required" });
    } else if ([...req.name].length > 200) {
      violations.push({ field: "name", description: "must be at most 200 characters" });
    }
    if (!isApiKeyRole(req.role)) {
      violations.push({ field: "role", description: `must be one of ${API_KEY_ROLES.join(", ")}` });
    }
    if (violations.length > 0 || !isApiKeyRole(req.role)) {
      throw new ValidationError(violations);
    }
    const secret = `rf_${randomBytes(32).toString("base64url")}`;
    const record: ApiKeyRecord = {
      id: `key-${randomUUID()}`,
      organizationId: caller.organizationId,
      secretHash: hashSecret(secret),
      role: req.role,
      name: req.name,
      secretHint: keyHint(secret),
      createdAt: this.now(),
      createdBy: `api-key:${caller.keyId}`,
    };
    await this.repo.insertApiKey(record);
    // A miss cached for this hash (practically impossible for a fresh
    // random secret) must not hide the new key.
    this.#cache.delete(record.secretHash);
    return { apiKey: toApiKey(record), secret };
  }

  async list(
    caller: KeyCaller,
    size: number,
    pageToken: string,
  ): Promise<{ apiKeys: ApiKey[]; nextPageToken: string }> {
    const page = await this.repo.listApiKeys(
      caller.organizationId,
      pageSize(size),
      pageToken || undefined,
    );
    return { apiKeys: page.items.map(toApiKey), nextPageToken: page.next ?? "" };
  }

  /**
   * Revokes a key of the caller's organization. This replica forgets it at
   * once; the others within the cache time. The last active admin key
   * cannot be revoked: the organization would be locked out of the team API
   * until someone edited the provisioning file and restarted auth.
   */
  async revoke(caller: KeyCaller, id: string): Promise<ApiKey> {
    if (id === "") {
      throw new ValidationError([{ field: "api_key_id", description: "is required" }]);
    }
    const outcome = await this.repo.revokeApiKey(
      caller.organizationId,
      id,
      this.now(),
      `api-key:${caller.keyId}`,
    );
    switch (outcome.state) {
      case "not-found":
        throw new NotFoundError(`API key ${id} not found`);
      case "last-admin":
        throw new FailedPreconditionError(
          `API key ${id} is the organization's last active admin key; create another admin key first`,
          { reason: "LAST_ADMIN_KEY" },
        );
      default:
        this.#cache.delete(outcome.key.secretHash);
        return toApiKey(outcome.key);
    }
  }
}

/** The public view of a key: never its hash. */
export function toApiKey(record: ApiKeyRecord): ApiKey {
  return create(ApiKeySchema, {
    id: record.id,
    organizationId: record.organizationId,
    name: record.name,
    role: record.role,
    secretHint: record.secretHint,
    ...(record.createdAt.getTime() > 0 && { createTime: timestampFromDate(record.createdAt) }),
    createdBy: record.createdBy,
    ...(record.revokedAt && { revokeTime: timestampFromDate(record.revokedAt) }),
    revokedBy: record.revokedBy ?? "",
  });
}
