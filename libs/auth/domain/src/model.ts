import type { ApiKeyRole, Page } from "@runframe/util";
import type { IntegrationOptions, IntegrationType } from "@runframe/contracts";

/** A signing secret as stored: sealed, and when it stops verifying. */
export interface StoredSecret {
  readonly sealed: string;
  /** Unset for the current secret; set for a previous one in its grace period. */
  readonly notAfter?: Date;
}

/** An integration as the auth service stores it. */
export interface IntegrationRecord {
  readonly id: string;
  readonly organizationId: string;
  readonly type: IntegrationType;
  readonly name: string;
  readonly defaultServiceId: string;
  readonly enabled: boolean;
  readonly rateLimitPerMinute: number;
  /** SHA-256 (hex) of the routing key; the key itself is never stored. */
  readonly routingKeyHash: string;
  readonly routingKeyHint: string;
  /** Current secret first, then previous ones still in their grace period. */
  readonly signingSecrets: readonly StoredSecret[];
  readonly snsTopicArns: readonly string[];
  /** Valid for its type and normalized (`normalizeOptions` of @runframe/util). */
  readonly options: IntegrationOptions;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** An organization API key as stored. */
export interface ApiKeyRecord {
  readonly id: string;
  readonly organizationId: string;
  /** SHA-256 (hex) of the secret; the secret itself is never stored. */
  readonly secretHash: string;
  readonly role: ApiKeyRole;
  readonly name: string;
  /** The last four characters of the secret. */
  readonly secretHint: string;
  /** When it was created; the epoch for keys stored before this was recorded. */
  readonly createdAt: Date;
  /** `api-key:<id>` or `provisioning`. */
  readonly createdBy: string;
  /** Set once revoked; a revoked key is never valid again. */
  readonly revokedAt?: Date;
  readonly revokedBy?: string;
}

/** What became of a request to revoke an API key. */
export type RevokeOutcome =
  | { readonly state: "revoked" | "already-revoked"; readonly key: ApiKeyRecord }
  /** Refused: it is the organization's last active admin key. */
  | { readonly state: "last-admin" }
  | { readonly state: "not-found" };

/** One page of a listing (shared with every store). */
export type { Page };

/** Persistence of integrations and API keys. */
export interface IntegrationRepository {
  findByRoutingKeyHash(hash: string): Promise<IntegrationRecord | undefined>;
  get(organizationId: string, id: string): Promise<IntegrationRecord | undefined>;
  list(
    organizationId: string,
    pageSize: number,
    after: string | undefined,
  ): Promise<Page<IntegrationRecord>>;
  /** Inserts; throws AlreadyExistsError when the id or key hash is taken. */
  insert(record: IntegrationRecord): Promise<void>;
  /**
   * Replaces the integration only if it is still as last read (its
   * `updatedAt` equals `expectedUpdatedAt`); false when another change came
   * first. Throws AlreadyExistsError when the new routing key is taken.
   */
  replace(record: IntegrationRecord, expectedUpdatedAt: Date): Promise<boolean>;
  /** The key with this secret hash, revoked or not. */
  findApiKey(secretHash: string): Promise<ApiKeyRecord | undefined>;
  getApiKey(organizationId: string, id: string): Promise<ApiKeyRecord | undefined>;
  /** An organization's keys, oldest first (creation time, then id). */
  listApiKeys(
    organizationId: string,
    pageSize: number,
    after: string | undefined,
  ): Promise<Page<ApiKeyRecord>>;
  /** Inserts; throws AlreadyExistsError when the id or secret hash is taken. */
  insertApiKey(record: ApiKeyRecord): Promise<void>;
  /**
   * A key of the provisioning file: inserted when its id is new; when it
   * exists and is not revoked, its secret, role and name are replaced (the
   * file keeps managing its own keys); a revoked key stays revoked, so a
   * restart never revives a key revoked through the team API. False then.
   */
  provisionApiKey(record: ApiKeyRecord): Promise<boolean>;
  /**
   * Revokes a key unless it is the organization's last active admin key.
   * Where the store has transactions (SQLite) the check and the revocation
   * are one; on MongoDB the revocation is undone when a concurrent one left
   * no admin key, so one of two racing revocations may be refused too.
   */
  revokeApiKey(organizationId: string, id: string, at: Date, by: string): Promise<RevokeOutcome>;
}

/** The published default rate limit. */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 100;
