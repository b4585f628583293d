import { IntegrationType } from "@runframe/contracts";
import { parseBootstrap } from "@runframe/util";
import { describe, expect, it } from "vitest";
import { hashSecret } from "./keys.js";
import type { ApiKeyRecord, IntegrationRecord, IntegrationRepository } from "./model.js";
import { applyProvisioning } from "./provisioning.js";
import { SecretBox } from "./secret-box.js";

/** The smallest repository that behaves like the real ones for these calls. */
function memoryRepo(): IntegrationRepository & { records: Map<string, IntegrationRecord> } {
  const records = new Map<string, IntegrationRecord>();
  const keys = new Map<string, ApiKeyRecord>();
  return {
    records,
    findByRoutingKeyHash: async (hash) =>
      [...records.values()].find((r) => r.routingKeyHash === hash),
    get: async (org, id) => (records.get(id)?.organizationId === org ? records.get(id) : undefined),
    list: async () => ({ items: [...records.values()], next: undefined }),
    insert: async (r) => void records.set(r.id, r),
    replace: async (r, expected) => {
      const ok = records.get(r.id)?.updatedAt.getTime() === expected.getTime();
      if (ok) {
        records.set(r.id, r);
      }
      return ok;
    },
    findApiKey: async (hash) => [...keys.values()].find((k) => k.secretHash === hash),
    getApiKey: async (org, id) => (keys.get(id)?.organizationId === org ? keys.get(id) : undefined),
    listApiKeys: async () => ({ items: [...keys.values()], next: undefined }),
    insertApiKey: async (k) => void keys.set(k.id, k),
    provisionApiKey: async (k) => {
      const existing = keys.get(k.id);
      if (existing?.revokedAt) {
        return false;
      }
      keys.set(k.id, existing ? { ...existing, secretHash: k.secretHash, role: k.role } : k);
      return true;
    },
    revokeApiKey: async (org, id, at, by) => {
      const key = keys.get(id);
      if (key?.organizationId !== org) {
        return { state: "not-found" };
      }
      const revoked = { ...key, revokedAt: at, revokedBy: by };
      keys.set(id, revoked);
      return { state: "revoked", key: revoked };
    },
  };
}

const file = parseBootstrap(
  JSON.stringify({
    organizations: [
      {
        id: "org-a",
        name: "A",
        apiKeys: [{ id: "key-a", secret: "k".repeat(40), role: "admin" }],
        integrations: [{ id: "int-a", type: "custom", name: "A", routingKey: "r".repeat(40) }],
      },
    ],
  }),
);

describe("applyProvisioning", () => {
  const box = new SecretBox(new Uint8Array(32).fill(1));

  it("creates what is missing and never undoes what the team API changed", async () => {
    const repo = memoryRepo();
    expect(await applyProvisioning(file, repo, box)).toEqual({
      integrations: 1,
      apiKeys: 1,
      revokedApiKeys: 0,
    });
    const created = repo.records.get("int-a")!;
    expect(created).toMatchObject({
      type: IntegrationType.CUSTOM,
      enabled: true,
      routingKeyHash: hashSecret("r".repeat(40)),
      options: expect.objectContaining({ redriveThrottled: false }),
    });

    // An admin rotates the leaked key, adds a secret and disables it.
    const changed = {
      ...created,
      enabled: false,
      routingKeyHash: "rotated",
      signingSecrets: [{ sealed: "v1.x.y.z" }],
    };
    repo.records.set(changed.id, changed);
    expect(await applyProvisioning(file, repo, box)).toEqual({
      integrations: 0,
      apiKeys: 1,
      revokedApiKeys: 0,
    });
    expect(repo.records.get("int-a")).toEqual(changed);

    // A key revoked through the team API stays revoked across restarts.
    await repo.revokeApiKey("org-a", "key-a", new Date(), "api-key:key-b");
    expect(await applyProvisioning(file, repo, box)).toEqual({
      integrations: 0,
      apiKeys: 0,
      revokedApiKeys: 1,
    });
    expect(await repo.findApiKey(hashSecret("k".repeat(40)))).toMatchObject({
      revokedBy: "api-key:key-b",
    });
  });
});
