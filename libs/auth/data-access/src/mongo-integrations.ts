import type {
  ApiKeyRecord,
  IntegrationRecord,
  IntegrationRepository,
  Page,
} from "@runframe/auth-domain";
import { IntegrationType } from "@runframe/contracts";
import { AlreadyExistsError, decodePageToken, pageOf, apiKeyRoleOf } from "@runframe/util";
import { MongoServerError, type Collection, type Db } from "mongodb";

interface IntegrationDoc {
  _id: string;
  organizationId: string;
  type: string;
  name: string;
  defaultServiceId: string;
  enabled: boolean;
  rateLimitPerMinute: number;
  routingKeyHash: string;
  routingKeyHint: string;
  signingSecrets: { sealed: string; notAfter?: Date }[];
  snsTopicArns: string[];
  createdAt: Date;
  updatedAt: Date;
}

interface ApiKeyDoc {
  _id: string;
  organizationId: string;
  secretHash: string;
  role: string;
}

/**
 * Integrations and API keys in MongoDB. Routing keys and API keys are found
 * by the SHA-256 of the secret through unique indexes, so two integrations
 * can never share a key. Types are stored by name for readable documents.
 */
export class MongoIntegrationRepository implements IntegrationRepository {
  readonly #integrations: Collection<IntegrationDoc>;
  readonly #apiKeys: Collection<ApiKeyDoc>;

  constructor(db: Db) {
    this.#integrations = db.collection("integrations");
    this.#apiKeys = db.collection("api_keys");
  }

  /** Creates the indexes; safe to run on every start. */
  async init(): Promise<void> {
    await this.#integrations.createIndex(
      { routingKeyHash: 1 },
      { unique: true, name: "routing_key_hash" },
    );
    await this.#integrations.createIndex(
      { organizationId: 1, createdAt: 1, _id: 1 },
      { name: "org_created" },
    );
    await this.#apiKeys.createIndex({ secretHash: 1 }, { unique: true, name: "secret_hash" });
  }

  async findByRoutingKeyHash(hash: string): Promise<IntegrationRecord | undefined> {
    const doc = await this.#integrations.findOne({ routingKeyHash: hash });
    return doc ? fromDoc(doc) : undefined;
  }

  async get(organizationId: string, id: string): Promise<IntegrationRecord | undefined> {
    const doc = await this.#integrations.findOne({ _id: id, organizationId });
    return doc ? fromDoc(doc) : undefined;
  }

  async list(
    organizationId: string,
    pageSize: number,
    after: string | undefined,
  ): Promise<Page<IntegrationRecord>> {
    const cursor = after === undefined ? undefined : decodePageToken(after, isCursor);
    const filter = cursor
      ? {
          organizationId,
          $or: [
            { createdAt: { $gt: new Date(cursor[0]) } },
            { createdAt: new Date(cursor[0]), _id: { $gt: cursor[1] } },
          ],
        }
      : { organizationId };
    const docs = await this.#integrations
      .find(filter)
      .sort({ createdAt: 1, _id: 1 })
      .limit(pageSize + 1)
      .toArray();
    return pageOf(docs, pageSize, fromDoc, (last) => [last.createdAt.getTime(), last.id]);
  }

  async insert(record: IntegrationRecord): Promise<void> {
    try {
      await this.#integrations.insertOne(toDoc(record));
    } catch (error) {
      throw duplicate(error, `integration ${record.id} already exists`);
    }
  }

  async put(record: IntegrationRecord): Promise<void> {
    try {
      await this.#integrations.replaceOne({ _id: record.id }, toDoc(record), { upsert: true });
    } catch (error) {
      throw duplicate(error, `another integration already uses this routing key`);
    }
  }

  async replace(record: IntegrationRecord, expectedUpdatedAt: Date): Promise<boolean> {
    try {
      const result = await this.#integrations.replaceOne(
        { _id: record.id, updatedAt: expectedUpdatedAt },
        toDoc(record),
      );
      return result.matchedCount === 1;
    } catch (error) {
      throw duplicate(error, "another integration already uses this routing key");
    }
  }

  async findApiKey(secretHash: string): Promise<ApiKeyRecord | undefined> {
    const doc = await this.#apiKeys.findOne({ secretHash });
    return doc
      ? {
          id: doc._id,
          organizationId: doc.organizationId,
          secretHash: doc.secretHash,
          role: apiKeyRoleOf(doc.role),
        }
      : undefined;
  }

  async putApiKey(record: ApiKeyRecord): Promise<void> {
    const { id, ...rest } = record;
    try {
      await this.#apiKeys.replaceOne({ _id: id }, rest, { upsert: true });
    } catch (error) {
      throw duplicate(error, `another API key already uses this secret`);
    }
  }
}

function duplicate(error: unknown, message: string): unknown {
  return error instanceof MongoServerError && error.code === 11000
    ? new AlreadyExistsError(message, { cause: error })
    : error;
}

function toDoc(r: IntegrationRecord): IntegrationDoc {
  return {
    _id: r.id,
    organizationId: r.organizationId,
    type: IntegrationType[r.type],
    name: r.name,
    defaultServiceId: r.defaultServiceId,
    enabled: r.enabled,
    rateLimitPerMinute: r.rateLimitPerMinute,
    routingKeyHash: r.routingKeyHash,
    routingKeyHint: r.routingKeyHint,
    signingSecrets: r.signingSecrets.map((s) => ({
      sealed: s.sealed,
      ...(s.notAfter && { notAfter: s.notAfter }),
    })),
    snsTopicArns: [...r.snsTopicArns],
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

function fromDoc(d: IntegrationDoc): IntegrationRecord {
  return {
    id: d._id,
    organizationId: d.organizationId,
    type: IntegrationType[d.type as keyof typeof IntegrationType] ?? IntegrationType.UNSPECIFIED,
    name: d.name,
    defaultServiceId: d.defaultServiceId,
    enabled: d.enabled,
    rateLimitPerMinute: d.rateLimitPerMinute,
    routingKeyHash: d.routingKeyHash,
    routingKeyHint: d.routingKeyHint,
    signingSecrets: d.signingSecrets.map((s) =>
      s.notAfter ? { sealed: s.sealed, notAfter: s.notAfter } : { sealed: s.sealed },
    ),
    snsTopicArns: d.snsTopicArns,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

function isCursor(value: unknown): value is [number, string] {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    typeof value[0] === "number" &&
    typeof value[1] === "string"
  );
}
