import { toJsonString } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  ApiKeyService,
  IncidentService,
  IntegrationService,
  IntegrationType,
  ListApiKeysResponseSchema,
} from "@runframe/contracts";
import { startStack, teamClient, type Stack } from "@runframe/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const adminKey = "api-keys-test-admin-key-0000000000000000000000";
const loneKey = "api-keys-test-lone-admin-key-000000000000000000";

/** The documented bound: every replica refuses a revoked key within 10 s. */
const REVOCATION_BOUND_MS = 10_000;

/** The Connect code a call ended with, or "ok". */
async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "ok";
  } catch (error) {
    return Code[ConnectError.from(error).code];
  }
}

describe("ApiKeyService, across two auth and two incident replicas", () => {
  let stack: Stack;
  const keys = (key: string, replica = 0) =>
    teamClient(ApiKeyService, stack.auth[replica]!.url, key, "grpc");

  beforeAll(async () => {
    stack = await startStack({
      replicas: { auth: 2, incident: 2 },
      bootstrap: {
        organizations: [
          {
            id: "org-keys",
            name: "Keys",
            apiKeys: [{ id: "key-admin", secret: adminKey, role: "admin" }],
            services: [{ id: "SER-00001", name: "Checkout" }],
          },
          {
            id: "org-lone",
            name: "Lone",
            apiKeys: [{ id: "key-lone", secret: loneKey, role: "admin" }],
          },
        ],
      },
    });
  });
  afterAll(() => stack?.stop());

  it("creates a key whose secret is shown once, works at once, and is listed without it", async () => {
    const { apiKey, secret } = await keys(adminKey).createApiKey({
      name: "CI pipeline",
      role: "viewer",
    });
    expect(secret).toMatch(/^rf_[A-Za-z0-9_-]{43}$/);
    expect(apiKey).toMatchObject({
      organizationId: "org-keys",
      name: "CI pipeline",
      role: "viewer",
      secretHint: secret.slice(-4),
      createdBy: "api-key:key-admin",
    });
    expect(apiKey?.createTime).toBeDefined();
    // Usable on every replica of both services right away.
    for (const incident of stack.incidents) {
      await teamClient(IncidentService, incident.url, secret).listIncidents({});
    }
    expect(
      await outcome(
        teamClient(IntegrationService, stack.auth[1]!.url, secret).createIntegration({
          type: IntegrationType.CUSTOM,
          name: "by a viewer",
        }),
      ),
    ).toBe("PermissionDenied");
    const listed = await keys(adminKey, 1).listApiKeys({});
    expect(listed.apiKeys.map((k) => k.id)).toEqual(["key-admin", apiKey!.id]);
    expect(toJsonString(ListApiKeysResponseSchema, listed)).not.toContain(secret.slice(3));
    expect(listed.apiKeys[0]).toMatchObject({ createdBy: "provisioning", role: "admin" });
  });

  it("refuses a key without a name or with an unknown role, naming the fields", async () => {
    const error = await keys(adminKey)
      .createApiKey({ name: "", role: "owner" })
      .catch((e: unknown) => ConnectError.from(e));
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.InvalidArgument);
    expect((error as ConnectError).rawMessage).toMatch(/name: is required \(and 1 more\)/);
  });

  it(`refuses a revoked key at once on the revoking replica and everywhere within ${REVOCATION_BOUND_MS / 1000} s`, async () => {
    const { apiKey, secret } = await keys(adminKey).createApiKey({ name: "leaked", role: "admin" });
    const endpoints = [
      ...stack.auth.map(
        (app, i) =>
          [
            `auth[${i}]`,
            () => teamClient(IntegrationService, app.url, secret).listIntegrations({}),
          ] as const,
      ),
      ...stack.incidents.map(
        (app, i) =>
          [
            `incident[${i}]`,
            () => teamClient(IncidentService, app.url, secret).listIncidents({}),
          ] as const,
      ),
    ];
    // Every cache on the way holds the key as valid.
    for (let round = 0; round < 3; round++) {
      for (const [name, call] of endpoints) {
        expect(await outcome(call()), name).toBe("ok");
      }
    }
    const revoked = await keys(adminKey).revokeApiKey({ apiKeyId: apiKey!.id });
    const revokedAt = Date.now();
    expect(revoked.apiKey?.revokeTime).toBeDefined();
    expect(revoked.apiKey?.revokedBy).toBe("api-key:key-admin");
    expect(await outcome(endpoints[0]![1]())).toBe("Unauthenticated");

    const refusedAfter = new Map<string, number>();
    while (
      refusedAfter.size < endpoints.length &&
      Date.now() - revokedAt < REVOCATION_BOUND_MS + 2_000
    ) {
      for (const [name, call] of endpoints) {
        if (!refusedAfter.has(name) && (await outcome(call())) === "Unauthenticated") {
          refusedAfter.set(name, Date.now() - revokedAt);
        }
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const [name] of endpoints) {
      expect(refusedAfter.get(name), name).toBeLessThanOrEqual(REVOCATION_BOUND_MS);
    }
    // And it stays refused.
    for (const [name, call] of endpoints) {
      expect(await outcome(call()), name).toBe("Unauthenticated");
    }
    // Revoking again changes nothing.
    const again = await keys(adminKey, 1).revokeApiKey({ apiKeyId: apiKey!.id });
    expect(again.apiKey?.revokeTime).toEqual(revoked.apiKey?.revokeTime);
  });

  it("never revokes an organization's last admin key, but lets a key revoke itself while another admin remains", async () => {
    const lone = keys(loneKey);
    const error = await lone
      .revokeApiKey({ apiKeyId: "key-lone" })
      .catch((e: unknown) => ConnectError.from(e));
    expect((error as ConnectError).code).toBe(Code.FailedPrecondition);
    expect((error as ConnectError).rawMessage).toMatch(/last active admin key/);
    expect(await outcome(keys(loneKey).revokeApiKey({ apiKeyId: "key-admin" }))).toBe("NotFound");
    const { secret } = await lone.createApiKey({ name: "successor", role: "admin" });
    await lone.revokeApiKey({ apiKeyId: "key-lone" });
    expect(await outcome(keys(loneKey).listApiKeys({}))).toBe("Unauthenticated");
    const listed = await keys(secret).listApiKeys({});
    expect(listed.apiKeys.find((k) => k.id === "key-lone")).toMatchObject({
      revokedBy: "api-key:key-lone",
    });
  });
});
