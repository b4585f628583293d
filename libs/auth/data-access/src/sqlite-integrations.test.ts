import { IntegrationType } from "@runframe/contracts";
import { openSqlite } from "@runframe/storage";
import { normalizeOptions } from "@runframe/util";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { describeIntegrationRepositoryContract } from "./integration-repository.contract.js";
import { SqliteIntegrationRepository } from "./sqlite-integrations.js";

describeIntegrationRepositoryContract("SQLite", async () => {
  const dir = await mkdtemp(join(tmpdir(), "runframe-sqlite-"));
  const db = openSqlite(dir);
  return {
    repo: new SqliteIntegrationRepository(db),
    async dispose() {
      db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe("upgrading integrations written by the first release", () => {
  it("keeps every field, then serves them from the new table", async () => {
    const dir = await mkdtemp(join(tmpdir(), "runframe-sqlite-v1-"));
    const db = openSqlite(dir);
    try {
      db.exec(`CREATE TABLE integrations (
        id TEXT PRIMARY KEY, organization_id TEXT NOT NULL, type TEXT NOT NULL, name TEXT NOT NULL,
        default_service_id TEXT NOT NULL, enabled INTEGER NOT NULL, rate_limit_per_minute INTEGER NOT NULL,
        routing_key_hash TEXT NOT NULL UNIQUE, routing_key_hint TEXT NOT NULL, signing_secrets TEXT NOT NULL,
        sns_topic_arns TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`);
      db.prepare(
        "INSERT INTO integrations VALUES ('int-1', 'org-a', 'CLOUDWATCH', 'CW', 'SER-00001', 0, 42, 'hash-1', 'abcd', ?, ?, 1000, 2000)",
      ).run(
        JSON.stringify([{ sealed: "v1.a" }, { sealed: "v1.b", notAfter: 5000 }]),
        JSON.stringify(["arn:aws:sns:us-east-1:123456789012:alarms"]),
      );
      const repo = new SqliteIntegrationRepository(db);
      expect(await repo.findByRoutingKeyHash("hash-1")).toEqual({
        id: "int-1",
        organizationId: "org-a",
        type: IntegrationType.CLOUDWATCH,
        name: "CW",
        defaultServiceId: "SER-00001",
        enabled: false,
        rateLimitPerMinute: 42,
        routingKeyHash: "hash-1",
        routingKeyHint: "abcd",
        signingSecrets: [{ sealed: "v1.a" }, { sealed: "v1.b", notAfter: new Date(5000) }],
        snsTopicArns: ["arn:aws:sns:us-east-1:123456789012:alarms"],
        options: normalizeOptions(IntegrationType.CLOUDWATCH, undefined),
        createdAt: new Date(1000),
        updatedAt: new Date(2000),
      });
      // Opening again finds nothing left to move.
      expect(await new SqliteIntegrationRepository(db).get("org-a", "int-1")).toMatchObject({
        name: "CW",
      });
    } finally {
      db.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("upgrading API keys written by the first release", () => {
  it("keeps them valid, then lets the provisioning file fill in what they lacked", async () => {
    const dir = await mkdtemp(join(tmpdir(), "runframe-sqlite-keys-v1-"));
    const db = openSqlite(dir);
    try {
      db.exec(`CREATE TABLE api_keys (id TEXT PRIMARY KEY, organization_id TEXT NOT NULL,
        secret_hash TEXT NOT NULL UNIQUE, role TEXT NOT NULL)`);
      db.prepare("INSERT INTO api_keys VALUES ('key-old', 'org-a', 'hash-old', 'admin')").run();
      const repo = new SqliteIntegrationRepository(db);
      const old = {
        id: "key-old",
        organizationId: "org-a",
        secretHash: "hash-old",
        role: "admin" as const,
        name: "",
        secretHint: "",
        createdAt: new Date(0),
        createdBy: "",
      };
      expect(await repo.findApiKey("hash-old")).toEqual(old);
      expect((await repo.listApiKeys("org-a", 10, undefined)).items).toEqual([old]);
      const at = new Date(1_800_000_000_000);
      expect(
        await repo.provisionApiKey({
          ...old,
          name: "key-old",
          secretHint: "abcd",
          createdAt: at,
          createdBy: "provisioning",
        }),
      ).toBe(true);
      expect(await new SqliteIntegrationRepository(db).findApiKey("hash-old")).toMatchObject({
        name: "key-old",
        createdAt: at,
        createdBy: "provisioning",
      });
    } finally {
      db.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
