import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { toJsonString } from "@bufbuild/protobuf";
import {
  IntegrationService,
  IntegrationType,
  ListIntegrationsResponseSchema,
} from "@runframe/contracts";
import {
  customSignatureHeaders,
  startStack,
  teamClient,
  type Stack,
} from "@runframe/platform/testing";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const apiKeyA = "integrations-test-key-a-00000000000000000000";
const apiKeyB = "integrations-test-key-b-00000000000000000000";

/** Everything the store holds, as text, to look for what must never be stored. */
async function storedText(stack: Stack): Promise<string> {
  if (stack.dataDir) {
    const files = await readdir(stack.dataDir, { recursive: true, withFileTypes: true });
    const contents = await Promise.all(
      files.filter((f) => f.isFile()).map((f) => readFile(join(f.parentPath, f.name), "latin1")),
    );
    return contents.join("\n");
  }
  const mongo = await MongoClient.connect(stack.mongoUrl);
  try {
    return JSON.stringify(await mongo.db().collection("integrations").find().toArray());
  } finally {
    await mongo.close();
  }
}

describe.each([
  { storage: "MongoDB and Redis", embedded: false },
  { storage: "the embedded SQLite store and in-memory limits", embedded: true },
])("IntegrationService on $storage", ({ embedded }) => {
  let stack: Stack;
  let teamA: Client<typeof IntegrationService>;
  let teamB: Client<typeof IntegrationService>;

  beforeAll(async () => {
    stack = await startStack({
      bootstrap: {
        organizations: [
          {
            id: "org-a",
            name: "A",
            apiKeys: [{ id: "key-a", secret: apiKeyA, role: "admin" }],
            services: [{ id: "SER-00001", name: "Checkout" }],
          },
          { id: "org-b", name: "B", apiKeys: [{ id: "key-b", secret: apiKeyB, role: "admin" }] },
        ],
      },
      embedded,
    });
    const team = (key: string) => teamClient(IntegrationService, stack.auth[0]!.url, key, "grpc");
    teamA = team(apiKeyA);
    teamB = team(apiKeyB);
  });
  afterAll(() => stack?.stop());

  const trigger = (routingKey: string, headers: Record<string, string> = {}) =>
    stack.webhook(routingKey, JSON.stringify({ title: "t", service_id: "SER-00001" }), headers);

  it("creates an integration whose routing key is shown once and stored only hashed", async () => {
    const { integration, routingKey } = await teamA.createIntegration({
      type: IntegrationType.CUSTOM,
      name: "Deploy scripts",
      defaultServiceId: "SER-00001",
    });
    expect(routingKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(integration).toMatchObject({
      organizationId: "org-a",
      enabled: true,
      rateLimitPerMinute: 100,
      routingKeyHint: routingKey.slice(-4),
    });
    expect((await trigger(routingKey)).status).toBe(202);

    const stored = await storedText(stack);
    expect(stored).toContain("Deploy scripts");
    expect(stored).not.toContain(routingKey);

    const listed = await teamA.listIntegrations({});
    expect(listed.integrations.map((i) => i.id)).toContain(integration!.id);
    expect(toJsonString(ListIntegrationsResponseSchema, listed)).not.toContain(routingKey);
  });

  it("rotates the routing key: the old one stops working, the new one works", async () => {
    const created = await teamA.createIntegration({
      type: IntegrationType.CUSTOM,
      name: "Rotating",
    });
    expect((await trigger(created.routingKey)).status).toBe(202);
    const rotated = await teamA.rotateRoutingKey({ integrationId: created.integration!.id });
    expect(rotated.routingKey).not.toBe(created.routingKey);
    expect((await trigger(created.routingKey)).status).toBe(401);
    expect((await trigger(rotated.routingKey)).status).toBe(202);
  });

  it("keeps the previous signing secret verifying during the grace period", async () => {
    const { integration, routingKey } = await teamA.createIntegration({
      type: IntegrationType.CUSTOM,
      name: "Signed",
      signingSecret: "first-secret-0123456789",
    });
    expect(integration?.signingSecretConfigured).toBe(true);
    const signedWith = (secret: string) => {
      const body = JSON.stringify({ title: "signed", service_id: "SER-00001" });
      return stack.webhook(routingKey, body, customSignatureHeaders(body, secret));
    };
    expect((await trigger(routingKey)).status).toBe(401);
    await teamA.setSigningSecret({
      integrationId: integration!.id,
      signingSecret: "second-secret-0123456789",
      gracePeriodSeconds: 3600,
    });
    expect((await signedWith("first-secret-0123456789")).status).toBe(202);
    expect((await signedWith("second-secret-0123456789")).status).toBe(202);
    await teamA.setSigningSecret({
      integrationId: integration!.id,
      signingSecret: "third-secret-0123456789",
    });
    expect((await signedWith("third-secret-0123456789")).status).toBe(202);
    expect((await signedWith("second-secret-0123456789")).status).toBe(401);
    // A grace period of 0 ends every earlier secret, including one still in
    // its own grace period (red-team finding 10: a leaked secret must be
    // revocable at once).
    expect((await signedWith("first-secret-0123456789")).status).toBe(401);
  });

  it("never lets an earlier secret outlive a shorter, later grace period", async () => {
    const { integration, routingKey } = await teamA.createIntegration({
      type: IntegrationType.CUSTOM,
      name: "Signed twice",
      signingSecret: "first-secret-0123456789",
    });
    await teamA.setSigningSecret({
      integrationId: integration!.id,
      signingSecret: "second-secret-0123456789",
      gracePeriodSeconds: 3600,
    });
    await teamA.setSigningSecret({
      integrationId: integration!.id,
      signingSecret: "third-secret-0123456789",
      gracePeriodSeconds: 1,
    });
    const body = JSON.stringify({ title: "signed", service_id: "SER-00001" });
    const headers = customSignatureHeaders(body, "first-secret-0123456789");
    await new Promise((r) => setTimeout(r, 1_100));
    const res = await stack.webhook(routingKey, body, headers);
    expect(res.status).toBe(401);
  });

  it("disables an integration: its key is refused, twice is not an error", async () => {
    const { integration, routingKey } = await teamA.createIntegration({
      type: IntegrationType.CUSTOM,
      name: "Old",
    });
    await teamA.disableIntegration({ integrationId: integration!.id });
    const again = await teamA.disableIntegration({ integrationId: integration!.id });
    expect(again.integration?.enabled).toBe(false);
    expect((await trigger(routingKey)).status).toBe(401);
  });

  it("refuses invalid requests naming every field", async () => {
    const error = await teamA
      .createIntegration({ type: IntegrationType.CLOUDWATCH, name: "", signingSecret: "short" })
      .then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
    expect(error?.code).toBe(Code.InvalidArgument);
    expect(error?.rawMessage).toMatch(/^name: is required \(and 2 more\)$/);
  });

  it("refuses a default service of another organization, or none at all (red-team finding 11)", async () => {
    for (const defaultServiceId of ["SER-00001", "SER-99999"]) {
      const error = await teamB
        .createIntegration({ type: IntegrationType.CUSTOM, name: "B", defaultServiceId })
        .then(
          () => undefined,
          (e: unknown) => ConnectError.from(e),
        );
      expect(error?.code).toBe(Code.InvalidArgument);
      expect(error?.rawMessage).toBe(
        `default_service_id: no service ${defaultServiceId} in this organization`,
      );
    }
    expect((await teamB.listIntegrations({})).integrations).toEqual([]);
    const own = await teamA.createIntegration({
      type: IntegrationType.CUSTOM,
      name: "A",
      defaultServiceId: "SER-00001",
    });
    expect(own.integration?.defaultServiceId).toBe("SER-00001");
  });

  it("never shows one organization's integrations to another", async () => {
    const { integration } = await teamA.createIntegration({
      type: IntegrationType.CUSTOM,
      name: "A only",
    });
    const error = await teamB.getIntegration({ integrationId: integration!.id }).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(error?.code).toBe(Code.NotFound);
    await expect(teamB.disableIntegration({ integrationId: integration!.id })).rejects.toThrow();
    expect((await teamB.listIntegrations({})).integrations).toEqual([]);
  });
});
