import type {
  ApiKeyRecord,
  IntegrationRecord,
  IntegrationRepository,
  Page,
  RevokeOutcome,
} from "@runframe/auth-domain";
import { IntegrationType } from "@runframe/contracts";
import { AlreadyExistsError, decodePageToken, normalizeOptions, pageOf } from "@runframe/util";
import type { Database } from "better-sqlite3";
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

/**
 * Integrations as the codec stores them (JSON), with the columns lookups
 * and the unique routing key need beside it.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS integrations_v2 (
  id TEXT PRIMARY KEY,
  organization_id TEXT NOT NULL,
  routing_key_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS integrations_v2_by_org ON integrations_v2 (organization_id, created_at, id);
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY,
  organization_id TEXT NOT NULL,
  secret_hash TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL
);
`;

interface IntegrationRow {
  id: string;
  data: string;
}

/** Integrations and API keys in the embedded SQLite file; same contract as the MongoDB repository. */
export class SqliteIntegrationRepository implements IntegrationRepository {
  constructor(private readonly db: Database) {
    db.exec(SCHEMA);
    migrateV1(db);
    upgradeApiKeys(db);
  }

  async findByRoutingKeyHash(hash: string): Promise<IntegrationRecord | undefined> {
    const row = this.db
      .prepare<[string], IntegrationRow>(
        "SELECT id, data FROM integrations_v2 WHERE routing_key_hash = ?",
      )
      .get(hash);
    return row && fromRow(row);
  }

  async get(organizationId: string, id: string): Promise<IntegrationRecord | undefined> {
    const row = this.db
      .prepare<[string, string], IntegrationRow>(
        "SELECT id, data FROM integrations_v2 WHERE id = ? AND organization_id = ?",
      )
      .get(id, organizationId);
    return row && fromRow(row);
  }

  async list(
    organizationId: string,
    pageSize: number,
    after: string | undefined,
  ): Promise<Page<IntegrationRecord>> {
    const [createdAt, id] = after === undefined ? [-1, ""] : decodePageToken(after, isListPosition);
    const rows = this.db
      .prepare<[string, number, number, string, number], IntegrationRow>(
        `SELECT id, data FROM integrations_v2
         WHERE organization_id = ? AND (created_at > ? OR (created_at = ? AND id > ?))
         ORDER BY created_at, id LIMIT ?`,
      )
      .all(organizationId, createdAt, createdAt, id, pageSize + 1);
    return pageOf(rows, pageSize, fromRow, listPosition);
  }

  async insert(record: IntegrationRecord): Promise<void> {
    try {
      this.db
        .prepare(
          `INSERT INTO integrations_v2 (id, organization_id, routing_key_hash, created_at, updated_at, data)
           VALUES (@id, @organizationId, @routingKeyHash, @createdAt, @updatedAt, @data)`,
        )
        .run(toRow(record));
    } catch (error) {
      throw duplicate(error, `integration ${record.id} already exists`);
    }
  }

  async replace(record: IntegrationRecord, expectedUpdatedAt: Date): Promise<boolean> {
    try {
      const changes = this.db
        .prepare(
          `UPDATE integrations_v2 SET routing_key_hash = @routingKeyHash, updated_at = @updatedAt, data = @data
           WHERE id = @id AND updated_at = @expected`,
        )
        .run({ ...toRow(record), expected: expectedUpdatedAt.getTime() }).changes;
      return changes === 1;
    } catch (error) {
      throw duplicate(error, "another integration already uses this routing key");
    }
  }

  async findApiKey(secretHash: string): Promise<ApiKeyRecord | undefined> {
    const row = this.db
      .prepare<[string], ApiKeyRow>("SELECT * FROM api_keys WHERE secret_hash = ?")
      .get(secretHash);
    return row && fromApiKeyRow(row);
  }

  async getApiKey(organizationId: string, id: string): Promise<ApiKeyRecord | undefined> {
    const row = this.db
      .prepare<[string, string], ApiKeyRow>(
        "SELECT * FROM api_keys WHERE id = ? AND organization_id = ?",
      )
      .get(id, organizationId);
    return row && fromApiKeyRow(row);
  }

  async listApiKeys(
    organizationId: string,
    pageSize: number,
    after: string | undefined,
  ): Promise<Page<ApiKeyRecord>> {
    const [createdAt, id] = after === undefined ? [-1, ""] : decodePageToken(after, isListPosition);
    const rows = this.db
      .prepare<[string, number, number, string, number], ApiKeyRow>(
        `SELECT * FROM api_keys
         WHERE organization_id = ? AND (created_at > ? OR (created_at = ? AND id > ?))
         ORDER BY created_at, id LIMIT ?`,
      )
      .all(organizationId, createdAt, createdAt, id, pageSize + 1);
    return pageOf(rows, pageSize, fromApiKeyRow, apiKeyPosition);
  }

  async insertApiKey(record: ApiKeyRecord): Promise<void> {
    try {
      this.db
        .prepare(
          `INSERT INTO api_keys (id, organization_id, secret_hash, role, created_at, revoked_at, data)
           VALUES (@id, @organizationId, @secretHash, @role, @createdAt, @revokedAt, @data)`,
        )
        .run(apiKeyRow(record));
    } catch (error) {
      throw duplicate(error, `API key ${record.id} already exists`);
    }
  }

  async provisionApiKey(record: ApiKeyRecord): Promise<boolean> {
    try {
      return this.db
        .transaction(() => {
          const row = this.db
            .prepare<[string], ApiKeyRow>("SELECT * FROM api_keys WHERE id = ?")
            .get(record.id);
          const existing = row && fromApiKeyRow(row);
          if (existing?.revokedAt !== undefined) {
            return false;
          }
          this.db
            .prepare(
              `INSERT INTO api_keys (id, organization_id, secret_hash, role, created_at, revoked_at, data)
               VALUES (@id, @organizationId, @secretHash, @role, @createdAt, @revokedAt, @data)
               ON CONFLICT (id) DO UPDATE SET organization_id = excluded.organization_id,
                 secret_hash = excluded.secret_hash, role = excluded.role,
                 created_at = excluded.created_at, data = excluded.data`,
            )
            .run(apiKeyRow(existing === undefined ? record : reprovisioned(existing, record)));
          return true;
        })
        .immediate();
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
    // One transaction: the last-admin check and the revocation cannot interleave.
    return this.db
      .transaction((): RevokeOutcome => {
        const row = this.db
          .prepare<[string, string], ApiKeyRow>(
            "SELECT * FROM api_keys WHERE id = ? AND organization_id = ?",
          )
          .get(id, organizationId);
        if (row === undefined) {
          return { state: "not-found" };
        }
        const key = fromApiKeyRow(row);
        if (key.revokedAt !== undefined) {
          return { state: "already-revoked", key };
        }
        if (key.role === "admin") {
          const others = this.db
            .prepare<[string, string], { n: number }>(
              `SELECT count(*) AS n FROM api_keys
               WHERE organization_id = ? AND role = 'admin' AND revoked_at IS NULL AND id != ?`,
            )
            .get(organizationId, id);
          if ((others?.n ?? 0) === 0) {
            return { state: "last-admin" };
          }
        }
        const revoked: ApiKeyRecord = { ...key, revokedAt: at, revokedBy: by };
        this.db
          .prepare("UPDATE api_keys SET revoked_at = @revokedAt, data = @data WHERE id = @id")
          .run(apiKeyRow(revoked));
        return { state: "revoked", key: revoked };
      })
      .immediate();
  }
}

interface ApiKeyRow {
  id: string;
  organization_id: string;
  secret_hash: string;
  role: string;
  data: string | null;
}

/** Lookup columns beside the codec's JSON. */
function apiKeyRow(record: ApiKeyRecord) {
  return {
    id: record.id,
    organizationId: record.organizationId,
    secretHash: record.secretHash,
    role: record.role,
    createdAt: record.createdAt.getTime(),
    revokedAt: record.revokedAt?.getTime() ?? null,
    data: JSON.stringify(encodeApiKey(record)),
  };
}

/** A key as the codec stored it, or (written by the first release) from its columns alone. */
function fromApiKeyRow(row: ApiKeyRow): ApiKeyRecord {
  return decodeApiKey(
    row.id,
    row.data === null
      ? { organizationId: row.organization_id, secretHash: row.secret_hash, role: row.role }
      : (JSON.parse(row.data) as StoredApiKey),
  );
}

/**
 * Gives the first release's api_keys table the columns listings and
 * revocation need, once. Its rows keep working: they read from their
 * columns until the provisioning file rewrites them.
 */
function upgradeApiKeys(db: Database): void {
  const columns = new Set(
    db
      .prepare<[], { name: string }>("SELECT name FROM pragma_table_info('api_keys')")
      .all()
      .map((c) => c.name),
  );
  db.transaction(() => {
    if (!columns.has("created_at")) {
      db.exec("ALTER TABLE api_keys ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0");
    }
    if (!columns.has("revoked_at")) {
      db.exec("ALTER TABLE api_keys ADD COLUMN revoked_at INTEGER");
    }
    if (!columns.has("data")) {
      db.exec("ALTER TABLE api_keys ADD COLUMN data TEXT");
    }
    db.exec(
      "CREATE INDEX IF NOT EXISTS api_keys_by_org ON api_keys (organization_id, created_at, id)",
    );
  }).immediate();
}

function toRow(record: IntegrationRecord) {
  return {
    id: record.id,
    organizationId: record.organizationId,
    routingKeyHash: record.routingKeyHash,
    createdAt: record.createdAt.getTime(),
    updatedAt: record.updatedAt.getTime(),
    data: JSON.stringify(encodeIntegration(record)),
  };
}

function fromRow(row: IntegrationRow): IntegrationRecord {
  return decodeIntegration(row.id, JSON.parse(row.data) as StoredIntegration);
}

function duplicate(error: unknown, message: string): unknown {
  return error instanceof Error &&
    "code" in error &&
    String(error.code).startsWith("SQLITE_CONSTRAINT")
    ? new AlreadyExistsError(message, { cause: error })
    : error;
}

/** Moves integrations written by the first release (one column per field) to this table, once. */
function migrateV1(db: Database): void {
  const old = db
    .prepare<[], { n: number }>(
      "SELECT count(*) AS n FROM pragma_table_info('integrations') WHERE name = 'signing_secrets'",
    )
    .get();
  if (!old || old.n === 0) {
    return;
  }
  const rows = db.prepare<[], V1IntegrationRow>("SELECT * FROM integrations").all();
  const insert = db.prepare(
    `INSERT INTO integrations_v2 (id, organization_id, routing_key_hash, created_at, updated_at, data)
     VALUES (@id, @organizationId, @routingKeyHash, @createdAt, @updatedAt, @data)`,
  );
  db.transaction(() => {
    for (const row of rows) {
      const secrets = JSON.parse(row.signing_secrets) as { sealed: string; notAfter?: number }[];
      const named = IntegrationType[row.type as keyof typeof IntegrationType];
      const type = typeof named === "number" ? named : IntegrationType.UNSPECIFIED;
      insert.run(
        toRow({
          id: row.id,
          organizationId: row.organization_id,
          type,
          name: row.name,
          defaultServiceId: row.default_service_id,
          enabled: row.enabled === 1,
          rateLimitPerMinute: row.rate_limit_per_minute,
          routingKeyHash: row.routing_key_hash,
          routingKeyHint: row.routing_key_hint,
          signingSecrets: secrets.map((s) =>
            s.notAfter === undefined
              ? { sealed: s.sealed }
              : { sealed: s.sealed, notAfter: new Date(s.notAfter) },
          ),
          snsTopicArns: JSON.parse(row.sns_topic_arns) as string[],
          options: normalizeOptions(type, undefined),
          createdAt: new Date(row.created_at),
          updatedAt: new Date(row.updated_at),
        }),
      );
    }
    db.exec("DROP TABLE integrations");
  }).immediate();
}

interface V1IntegrationRow {
  id: string;
  organization_id: string;
  type: string;
  name: string;
  default_service_id: string;
  enabled: number;
  rate_limit_per_minute: number;
  routing_key_hash: string;
  routing_key_hint: string;
  signing_secrets: string;
  sns_topic_arns: string;
  created_at: number;
  updated_at: number;
}
