import type { ApiKeyRole, Page } from "@runframe/util";
import type { IntegrationType } from "@runframe/contracts";

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
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** An organization API key as stored. */
export interface ApiKeyRecord {
  readonly id: string;
  readonly organizationId: string;
  /** SHA-256 (hex) of the secret. */
  readonly secretHash: string;
  readonly role: ApiKeyRole;
}

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
  findApiKey(secretHash: string): Promise<ApiKeyRecord | undefined>;
  putApiKey(record: ApiKeyRecord): Promise<void>;
}

/** The published default rate limit. */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 100;
