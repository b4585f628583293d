import { hashSecret, Integrations, SecretBox } from "@runframe/auth-domain";
import { create } from "@bufbuild/protobuf";
import {
  CreateIntegrationRequestSchema,
  IntegrationType,
  SetSigningSecretRequestSchema,
  UpdateIntegrationRequestSchema,
} from "@runframe/contracts";
import { openSqlite } from "@runframe/storage";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqliteIntegrationRepository } from "./sqlite-integrations.js";

describe("concurrent changes to one integration", () => {
  let dir: string;
  let repo: SqliteIntegrationRepository;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "runframe-changes-"));
    repo = new SqliteIntegrationRepository(openSqlite(dir));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("keeps a key rotation, a secret change, an update and a disable made at the same time", async () => {
    const integrations = new Integrations(
      repo,
      new SecretBox(new Uint8Array(32).fill(3)),
      { exists: async () => true },
      () => undefined,
    );
    const caller = { organizationId: "org", keyId: "key" };
    const created = await integrations.create(
      caller,
      create(CreateIntegrationRequestSchema, { type: IntegrationType.CUSTOM, name: "c" }),
    );
    const id = created.integration?.id ?? "";
    expect(id).toMatch(/^int-/);
    const [rotated] = await Promise.all([
      integrations.rotateRoutingKey(caller, id),
      integrations.setSigningSecret(
        caller,
        create(SetSigningSecretRequestSchema, {
          integrationId: id,
          signingSecret: "a-new-signing-secret",
        }),
      ),
      integrations.disable(caller, id),
      integrations.update(
        caller,
        create(UpdateIntegrationRequestSchema, {
          integration: { id, name: "renamed", options: { autoResolve: { afterMinutes: 60 } } },
          updateMask: { paths: ["name", "options.auto_resolve"] },
        }),
      ),
    ]);
    const stored = await repo.get("org", id);
    expect(stored?.routingKeyHash).toBe(hashSecret(rotated.routingKey));
    expect(stored?.signingSecrets).toHaveLength(1);
    expect(stored?.enabled).toBe(false);
    expect(stored?.name).toBe("renamed");
    expect(stored?.options.autoResolve?.afterMinutes).toBe(60);
  });
});
