import type {
  ApiKeyRecord,
  IntegrationRecord,
  IntegrationRepository,
  Page,
  RevokeOutcome,
} from "@runframe/auth-domain";
import { AlreadyExistsError, decodePageToken, pageOf } from "@runframe/util";
import { MongoServerError, type Collection, type Db } from "mongodb";
import {
  apiKeyPosition,
  decodeApiKey,
  decodeIntegration,
  encodeApiKey,
  encodeIntegration,
  isListPosition,
  listPosition,
  reprovisioned,
  type StoredApiKey,
  type StoredIntegration,
} from "./codec.js";

type IntegrationDoc = StoredIntegration & { _id: string };
type ApiKeyDoc = StoredApiKey & { _id: string };

/** A routing key's lookup entry: `_id` is its SHA-256, pointing at the integration. */
interface RoutingKeyDoc {
  _id: string;
  integration: string;
}

/**
 * Integrations and API keys in MongoDB. Routing keys and API keys are found
 * by the SHA-256 of the secret through unique indexes, so two integrations
 * can never share a key. The webhook path finds a routing key through its
 * `routing_keys` entry, by `_id` (FerretDB v1 pushes no other filter down,
 * and would scan every integration per lookup); the entry is written before
 * the integration and checked against it, so a stale one leads nowhere.
 */
export class MongoIntegrationRepository implements IntegrationRepository {
  readonly #integrations: Collection<IntegrationDoc>;
  readonly #apiKeys: Collection<ApiKeyDoc>;
  readonly #routingKeys: Collection<RoutingKeyDoc>;

  constructor(db: Db) {
    this.#integrations = db.collection("integrations");
    this.#apiKeys = db.collection("api_keys");
    this.#routingKeys = db.collection("routing_keys");
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
    await this.#apiKeys.createIndex(
      { organizationId: 1, createdAt: 1, _id: 1 },
      { name: "org_created" },
    );
    // Integrations written before the lookup entries existed get theirs (once; cheap after).
    const all = await this.#integrations
      .find({}, { projection: { _id: 1, routingKeyHash: 1 } })
      .toArray();
    if (all.length > 0) {
      await this.#routingKeys
        .insertMany(
          all.map((d) => ({ _id: d.routingKeyHash, integration: d._id })),
          { ordered: false },
        )
        .catch((error: unknown) => {
          if (!(error instanceof MongoServerError && error.code === 11000)) {
            throw error;
          }
        });
    }
  }

  async findByRoutingKeyHash(hash: string): Promise<IntegrationRecord | undefined> {
    const entry = await this.#routingKeys.findOne({ _id: hash });
    const doc = entry && (await this.#integrations.findOne({ _id: entry.integration }));
    return doc && doc.routingKeyHash === hash ? decodeIntegration(doc._id, doc) : undefined;
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
    const docs = await this.#integrations
      .find(creationOrderAfter(organizationId, after))
      .sort({ createdAt: 1, _id: 1 })
      .limit(pageSize + 1)
      .toArray();
    return pageOf(docs, pageSize, (d) => decodeIntegration(d._id, d), listPosition);
  }

  async insert(record: IntegrationRecord): Promise<void> {
    await this.#claimKey(record);
    try {
      await this.#integrations.insertOne({ _id: record.id, ...encodeIntegration(record) });
    } catch (error) {
      await this.#routingKeys.deleteOne({ _id: record.routingKeyHash, integration: record.id });
      throw duplicate(error, `integration ${record.id} already exists`);
    }
  }

  async replace(record: IntegrationRecord, expectedUpdatedAt: Date): Promise<boolean> {
    const before = await this.#integrations.findOne({ _id: record.id });
    const rotated = before !== null && before.routingKeyHash !== record.routingKeyHash;
    if (rotated) {
      await this.#claimKey(record);
    }
    let replaced = false;
    try {
      const result = await this.#integrations.replaceOne(
        { _id: record.id, updatedAt: expectedUpdatedAt },
        encodeIntegration(record),
      );
      replaced = result.matchedCount === 1;
    } catch (error) {
      throw duplicate(error, "another integration already uses this routing key");
    } finally {
      if (rotated) {
        // The key that lost stops leading anywhere at once.
        const stale = replaced ? before.routingKeyHash : record.routingKeyHash;
        await this.#routingKeys.deleteOne({ _id: stale, integration: record.id });
      }
    }
    return replaced;
  }

  /** Claims the routing key's lookup entry; refused when another integration has it. */
  async #claimKey(record: IntegrationRecord): Promise<void> {
    try {
      await this.#routingKeys.insertOne({ _id: record.routingKeyHash, integration: record.id });
    } catch (error) {
      const entry = await this.#routingKeys.findOne({ _id: record.routingKeyHash });
      const holder = entry && (await this.#integrations.findOne({ _id: entry.integration }));
      if (holder && holder._id !== record.id && holder.routingKeyHash === record.routingKeyHash) {
        throw duplicate(error, "another integration already uses this routing key");
      }
      // A stale entry (a rotation or creation that did not finish): take it over.
      await this.#routingKeys.replaceOne(
        { _id: record.routingKeyHash },
        { integration: record.id },
      );
    }
  }

  async findApiKey(secretHash: string): Promise<ApiKeyRecord | undefined> {
    const doc = await this.#apiKeys.findOne({ secretHash });
    return doc ? decodeApiKey(doc._id, doc) : undefined;
  }

  async getApiKey(organizationId: string, id: string): Promise<ApiKeyRecord | undefined> {
    const doc = await this.#apiKeys.findOne({ _id: id });
    return doc && doc.organizationId === organizationId ? decodeApiKey(doc._id, doc) : undefined;
  }

  async listApiKeys(
    organizationId: string,
    pageSize: number,
    after: string | undefined,
  ): Promise<Page<ApiKeyRecord>> {
    const docs = await this.#apiKeys
      .find(creationOrderAfter(organizationId, after))
      .sort({ createdAt: 1, _id: 1 })
      .limit(pageSize + 1)
      .toArray();
    return pageOf(docs, pageSize, (d) => decodeApiKey(d._id, d), apiKeyPosition);
  }

  async insertApiKey(record: ApiKeyRecord): Promise<void> {
    try {
      await this.#apiKeys.insertOne({ _id: record.id, ...encodeApiKey(record) });
    } catch (error) {
      throw duplicate(error, `API key ${record.id} already exists`);
    }
  }

  async provisionApiKey(record: ApiKeyRecord): Promise<boolean> {
    const existing = await this.#apiKeys.findOne({ _id: record.id });
    if (existing?.revokedAt !== undefined) {
      return false;
    }
    try {
      if (existing === null) {
        await this.#apiKeys.insertOne({ _id: record.id, ...encodeApiKey(record) });
        return true;
      }
      const result = await this.#apiKeys.replaceOne(
        { _id: record.id, revokedAt: { $exists: false } },
        encodeApiKey(reprovisioned(decodeApiKey(existing._id, existing), record)),
      );
      return result.matchedCount === 1;
    } catch (error) {
      throw duplicate(error, "another API key already uses this secret");
    }
  }

  async revokeApiKey(
    organizationId: string,
    id: string,
    at: Date,
    by: string,
  ): Promise<RevokeOutcome> {
    const key = await this.getApiKey(organizationId, id);
    if (key === undefined) {
      return { state: "not-found" };
    }
    if (key.revokedAt !== undefined) {
      return { state: "already-revoked", key };
    }
    const otherAdmins = () =>
      this.#apiKeys.countDocuments({
        organizationId,
        role: "admin",
        revokedAt: { $exists: false },
        _id: { $ne: id },
      });
    if (key.role === "admin" && (await otherAdmins()) === 0) {
      return { state: "last-admin" };
    }
    const result = await this.#apiKeys.updateOne(
      { _id: id, revokedAt: { $exists: false } },
      { $set: { revokedAt: at, revokedBy: by } },
    );
    if (result.modifiedCount === 0) {
      const now = await this.getApiKey(organizationId, id);
      return now ? { state: "already-revoked", key: now } : { state: "not-found" };
    }
    // Without transactions, two admins revoking each other at once could
    // both pass the check above: whoever finds no admin left undoes theirs.
    if (key.role === "admin" && (await otherAdmins()) === 0) {
      await this.#apiKeys.updateOne(
        { _id: id, revokedAt: at },
        { $unset: { revokedAt: "", revokedBy: "" } },
      );
      return { state: "last-admin" };
    }
    return { state: "revoked", key: { ...key, revokedAt: at, revokedBy: by } };
  }
}

/**
 * The organization's records after a page token's position in creation
 * order. Keys stored by the first release have no createdAt: they sort
 * first, as the epoch.
 */
function creationOrderAfter(organizationId: string, after: string | undefined) {
  if (after === undefined) {
    return { organizationId };
  }
  const [createdAt, id] = decodePageToken(after, isListPosition);
  return {
    organizationId,
    $or: [
      { createdAt: { $gt: new Date(createdAt) } },
      { createdAt: new Date(createdAt), _id: { $gt: id } },
      ...(createdAt === 0 ? [{ createdAt: { $exists: false }, _id: { $gt: id } }] : []),
    ],
  };
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
