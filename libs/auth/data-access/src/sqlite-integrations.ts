import type {
  ApiKeyRecord,
  IntegrationRecord,
  IntegrationRepository,
  Page,
} from "@runframe/auth-domain";
import { IntegrationType } from "@runframe/contracts";
import { AlreadyExistsError, decodePageToken, pageOf, apiKeyRoleOf } from "@runframe/util";
import type { Database } from "better-sqlite3";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS integrations (
  id TEXT PRIMARY KEY,
  organization_id TEXT NOT NULL,
  type TEXT NOT NULL,
  name TEXT NOT NULL,
  default_service_id TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  rate_limit_per_minute INTEGER NOT NULL,
  routing_key_hash TEXT NOT NULL UNIQUE,
  routing_key_hint TEXT NOT NULL,
  signing_secrets TEXT NOT NULL,
  sns_topic_arns TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS integrations_by_org ON integrations (organization_id, created_at, id);
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY,
  organization_id TEXT NOT NULL,
  secret_hash TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL
);
`;

interface IntegrationRow {
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

/** Integrations and API keys in the embedded SQLite file; same contract as the MongoDB repository. */
export class SqliteIntegrationRepository implements IntegrationRepository {
  constructor(private readonly db: Database) {
    db.exec(SCHEMA);
  }

  async findByRoutingKeyHash(hash: string): Promise<IntegrationRecord | undefined> {
    const row = this.db
      .prepare<[string], IntegrationRow>("SELECT * FROM integrations WHERE routing_key_hash = ?")
      .get(hash);
    return row ? fromRow(row) : undefined;
  }

  async get(organizationId: string, id: string): Promise<IntegrationRecord | undefined> {
    const row = this.db
      .prepare<[string, string], IntegrationRow>(
        "SELECT * FROM integrations WHERE id = ? AND organization_id = ?",
      )
      .get(id, organizationId);
    return row ? fromRow(row) : undefined;
  }

  async list(
    organizationId: string,
    pageSize: number,
    after: string | undefined,
  ): Promise<Page<IntegrationRecord>> {
    const [createdAt, id] = after === undefined ? [-1, ""] : decodePageToken(after, isCursor);
    const rows = this.db
      .prepare<[string, number, number, string, number], IntegrationRow>(
        `SELECT * FROM integrations WHERE organization_id = ? AND (created_at > ? OR (created_at = ? AND id > ?))
         ORDER BY created_at, id LIMIT ?`,
      )
      .all(organizationId, createdAt, createdAt, id, pageSize + 1);
    return pageOf(rows, pageSize, fromRow, (last) => [last.createdAt.getTime(), last.id]);
  }

  async insert(record: IntegrationRecord): Promise<void> {
    try {
      this.db.prepare(`INSERT INTO integrations VALUES (${PLACEHOLDERS})`).run(toRow(record));
    } catch (error) {
      throw duplicate(error, `integration ${record.id} already exists`);
    }
  }

  async put(record: IntegrationRecord): Promise<void> {
    try {
      // Not INSERT OR REPLACE: that would silently delete another integration
      // holding the same routing key instead of refusing.
      this.db
        .prepare(
          `INSERT INTO integrations VALUES (${PLACEHOLDERS})
           ON CONFLICT (id) DO UPDATE SET ${COLUMNS.map((c) => `${c} = excluded.${c}`).join(", ")}`,
        )
        .run(toRow(record));
    } catch (error) {
      throw duplicate(error, "another integration already uses this routing key");
    }
  }

  async replace(record: IntegrationRecord, expectedUpdatedAt: Date): Promise<boolean> {
    try {
      const changes = this.db
        .prepare(
          `UPDATE integrations SET ${COLUMNS.map((c) => `${c} = @${c}`).join(", ")}
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
      .prepare<
        [string],
        { id: string; organization_id: string; secret_hash: string; role: string }
      >("SELECT * FROM api_keys WHERE secret_hash = ?")
      .get(secretHash);
    return row
      ? {
          id: row.id,
          organizationId: row.organization_id,
          secretHash: row.secret_hash,
          role: apiKeyRoleOf(row.role),
        }
      : undefined;
  }

  async putApiKey(record: ApiKeyRecord): Promise<void> {
    try {
      this.db
        .prepare(
          `INSERT INTO api_keys (id, organization_id, secret_hash, role) VALUES (?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET organization_id = excluded.organization_id,
             secret_hash = excluded.secret_hash, role = excluded.role`,
        )
        .run(record.id, record.organizationId, record.secretHash, record.role);
    } catch (error) {
      throw duplicate(error, "another API key already uses this secret");
    }
  }
}

const COLUMNS = [
  "organization_id",
  "type",
  "name",
  "default_service_id",
  "enabled",
  "rate_limit_per_minute",
  "routing_key_hash",
  "routing_key_hint",
  "signing_secrets",
  "sns_topic_arns",
  "created_at",
  "updated_at",
];
const PLACEHOLDERS = ["id", ...COLUMNS].map((c) => `@${c}`).join(", ");

function duplicate(error: unknown, message: string): unknown {
  return error instanceof Error &&
    "code" in error &&
    String(error.code).startsWith("SQLITE_CONSTRAINT")
    ? new AlreadyExistsError(message, { cause: error })
    : error;
}

function toRow(r: IntegrationRecord): IntegrationRow {
  return {
    id: r.id,
    organization_id: r.organizationId,
    type: IntegrationType[r.type],
    name: r.name,
    default_service_id: r.defaultServiceId,
    enabled: r.enabled ? 1 : 0,
    rate_limit_per_minute: r.rateLimitPerMinute,
    routing_key_hash: r.routingKeyHash,
    routing_key_hint: r.routingKeyHint,
    signing_secrets: JSON.stringify(
      r.signingSecrets.map((s) => ({
        sealed: s.sealed,
        ...(s.notAfter && { notAfter: s.notAfter.getTime() }),
      })),
    ),
    sns_topic_arns: JSON.stringify(r.snsTopicArns),
    created_at: r.createdAt.getTime(),
    updated_at: r.updatedAt.getTime(),
  };
}

function fromRow(row: IntegrationRow): IntegrationRecord {
  const secrets = JSON.parse(row.signing_secrets) as { sealed: string; notAfter?: number }[];
  return {
    id: row.id,
    organizationId: row.organization_id,
    type: IntegrationType[row.type as keyof typeof IntegrationType] ?? IntegrationType.UNSPECIFIED,
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
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
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
