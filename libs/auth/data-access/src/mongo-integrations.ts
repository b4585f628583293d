import type {
  ApiKeyRecord,
  IntegrationRecord,
  IntegrationRepository,
  Page,
} from "@runframe/auth-domain";
import { AlreadyExistsError, decodePageToken, pageOf } from "@runframe/util";
import { MongoServerError, type Collection, type Db } from "mongodb";
import {
  decodeApiKey,
  decodeIntegration,
  encodeApiKey,
  encodeIntegration,
  isListPosition,
  listPosition,
  type StoredApiKey,
  type StoredIntegration,
} from "./codec.js";

type IntegrationDoc = StoredIntegration & { _id: string };
type ApiKeyDoc = StoredApiKey & { _id: string };

/**
 * Integrations and API keys in MongoDB. Routing keys and API keys are found
 * by the SHA-256 of the secret through unique indexes, so two integrations
 * can never share a key.
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
    return doc ? decodeIntegration(doc._id, doc) : undefined;
  }

  async get(organizationId: string, id: string): Promise<IntegrationRecord | undefined> {
    const doc = await this.#integrations.findOne({ _id: id });
    return doc && doc.organizationId === organizationId
      ? decodeIntegration(doc._id, doc)
      : undefined;
  }

  async list(
    organizationId: string,
    pageSize: number,
    after: string | undefined,
  ): Promise<Page<IntegrationRecord>> {
    const cursor = after === undefined ? undefined : decodePageToken(after, isListPosition);
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
    return pageOf(docs, pageSize, (d) => decodeIntegration(d._id, d), listPosition);
  }

  async insert(record: IntegrationRecord): Promise<void> {
    try {
      await this.#integrations.insertOne({ _id: record.id, ...encodeIntegration(record) });
    } catch (error) {
      throw duplicate(error, `integration ${record.id} already exists`);
    }
  }

  async replace(record: IntegrationRecord, expectedUpdatedAt: Date): Promise<boolean> {
    try {
      const result = await this.#integrations.replaceOne(
        { _id: record.id, updatedAt: expectedUpdatedAt },
        encodeIntegration(record),
      );
      return result.matchedCount === 1;
    } catch (error) {
      throw duplicate(error, "another integration already uses this routing key");
    }
  }

  async findApiKey(secretHash: string): Promise<ApiKeyRecord | undefined> {
    const doc = await this.#apiKeys.findOne({ secretHash });
    return doc ? decodeApiKey(doc._id, doc) : undefined;
  }

  async putApiKey(record: ApiKeyRecord): Promise<void> {
    try {
      await this.#apiKeys.replaceOne({ _id: record.id }, encodeApiKey(record), { upsert: true });
    } catch (error) {
      throw duplicate(error, `another API key already uses this secret`);
    }
  }
}

/**
 * A unique index refused the write: E11000, or, for a replacement on
 * FerretDB, whose update path reports the SQLite constraint as an internal
 * error.
 */
function duplicate(error: unknown, message: string): unknown {
  return error instanceof MongoServerError &&
    (error.code === 11000 || /UNIQUE constraint failed/.test(error.message))
    ? new AlreadyExistsError(message, { cause: error })
    : error;
}
