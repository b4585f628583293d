/**
 * auth's routes in memory (connect's createRouterTransport): the real
 * domain (Authenticator, Integrations, ApiKeys) over the SQLite repository
 * in a temporary directory and the in-memory limiter, behind the
 * interceptors that shape answers in production (errors, the service
 * credential, team API keys). Only incident's service catalog is faked.
 */
import { createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, type DescService } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, type Client } from "@connectrpc/connect";
import { InMemoryRateLimiter, SqliteIntegrationRepository } from "@runframe/auth-data";
import {
  ApiKeys,
  applyProvisioning,
  Authenticator,
  Integrations,
  SecretBox,
} from "@runframe/auth-domain";
import {
  AlertGrouping,
  AuthService,
  BadRequestSchema,
  Disposition,
  HeaderSchema,
  InsufficientDataAction,
  IntegrationSchema,
  IntegrationService,
  IntegrationType,
  Severity,
} from "@runframe/contracts";
import type { ConnectError } from "@connectrpc/connect";
import { createLogger, createMetrics } from "@runframe/platform";
import { inMemoryClient, refusal, type InMemoryApp } from "@runframe/platform/testing";
import { openSqlite } from "@runframe/storage";
import { parseBootstrap } from "@runframe/util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUTH_INTERNAL, authRoutes, authTeamApiKeys } from "./routes.js";

const TOKEN = "service-token-".padEnd(40, "0");
const ADMIN = "rf_admin_a_".padEnd(40, "0");
const VIEWER = "rf_viewer_a_".padEnd(40, "0");
const ADMIN_B = "rf_admin_b_".padEnd(40, "0");
const CUSTOM_KEY = "routing_custom_a_".padEnd(40, "0");
const SIGNED_KEY = "routing_signed_a_".padEnd(40, "0");
const SIGNING_SECRET = "a-signing-secret-of-some-length";

const provisioning = parseBootstrap(
  JSON.stringify({
    organizations: [
      {
        id: "org-a",
        name: "A",
        apiKeys: [
          { id: "key-admin", secret: ADMIN, role: "admin" },
          { id: "key-viewer", secret: VIEWER, role: "viewer" },
        ],
        services: [{ id: "SER-00001", name: "Checkout" }],
        integrations: [
          { id: "int-custom", type: "custom", name: "Scripts", routingKey: CUSTOM_KEY },
          {
            id: "int-signed",
            type: "custom",
            name: "Signed scripts",
            routingKey: SIGNED_KEY,
            signingSecret: SIGNING_SECRET,
          },
        ],
      },
      {
        id: "org-b",
        name: "B",
        apiKeys: [{ id: "key-b", secret: ADMIN_B, role: "admin" }],
        services: [{ id: "SER-00002", name: "Billing" }],
        integrations: [],
      },
    ],
  }),
);

let dir: string;
let closeDb: () => void;
let app: InMemoryApp;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "runframe-auth-routes-"));
  const db = openSqlite(dir);
  closeDb = () => db.close();
  const repo = new SqliteIntegrationRepository(db);
  const secrets = new SecretBox(randomBytes(32));
  await applyProvisioning(provisioning, repo, secrets);
  const authenticator = new Authenticator({
    integrations: repo,
    limiter: new InMemoryRateLimiter(),
    secrets,
  });
  const catalog = {
    exists: async (organizationId: string, serviceId: string) =>
      provisioning.organizations.some(
        (o) => o.id === organizationId && o.services.some((s) => s.id === serviceId),
      ),
  };
  const integrations = new Integrations(repo, secrets, catalog, (hash) =>
    authenticator.invalidate(hash),
  );
  const apiKeys = new ApiKeys(repo);
  const logger = createLogger("auth-routes-test", "silent");
  app = {
    token: TOKEN,
    internal: AUTH_INTERNAL,
    interceptors: [authTeamApiKeys(apiKeys)],
    routes: authRoutes({
      authenticator,
      integrations,
      apiKeys,
      logger,
      metrics: createMetrics("auth-routes-test"),
    }),
  };
});

afterAll(() => {
  closeDb();
  rmSync(dir, { recursive: true, force: true });
});

/** A client of the routes in memory, presenting `bearer` (if any) as its credential. */
function client<S extends DescService>(service: S, bearer?: string): Client<S> {
  return inMemoryClient(service, app, bearer);
}

const body = new TextEncoder().encode('{"title":"Deploy failed","service_id":"SER-00001"}');

function signature(secret: string, at: Date) {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const digest = createHmac("sha256", secret).update(`${timestamp}.`).update(body).digest("hex");
  return [
    create(HeaderSchema, { name: "x-runframe-signature", value: `sha256=${digest}` }),
    create(HeaderSchema, { name: "x-runframe-timestamp", value: timestamp }),
  ];
}

describe("AuthService in memory", () => {
  it("resolves a routing key to its integration and lets the delivery proceed", async () => {
    const res = await client(AuthService, TOKEN).authenticate({
      routingKey: CUSTOM_KEY,
      body,
      receiveTime: timestampFromDate(new Date()),
    });
    expect(res.disposition).toBe(Disposition.PROCEED);
    expect(res.integration).toMatchObject({
      id: "int-custom",
      organizationId: "org-a",
      type: IntegrationType.CUSTOM,
    });
    expect(res.rateLimit?.limit).toBe(100);
  });

  it("requires the service credential", async () => {
    for (const bearer of [undefined, ADMIN, "x".repeat(40)]) {
      const error = await refusal(
        client(AuthService, bearer).authenticate({ routingKey: CUSTOM_KEY, body }),
      );
      expect(error.code, String(bearer)).toBe(Code.Unauthenticated);
    }
  });

  it("refuses an unknown routing key", async () => {
    const error = await refusal(
      client(AuthService, TOKEN).authenticate({ routingKey: "unknown_".padEnd(40, "0"), body }),
    );
    expect(error.code).toBe(Code.Unauthenticated);
    expect(error.findDetails(IntegrationSchema)).toEqual([]);
  });

  it("identifies a routing key's integration and consumes its quota", async () => {
    const auth = client(AuthService, TOKEN);
    const { integration } = await auth.identifyRoutingKey({ routingKey: CUSTOM_KEY });
    expect(integration).toMatchObject({ id: "int-custom", organizationId: "org-a" });
    const unknown = await refusal(
      auth.identifyRoutingKey({ routingKey: "unknown_".padEnd(40, "0") }),
    );
    expect(unknown.code).toBe(Code.Unauthenticated);
    const quota = await auth.consumeQuota({ organizationId: "org-a", integrationId: "int-custom" });
    expect(quota.allowed).toBe(true);
    expect(quota.rateLimit?.limit).toBe(100);
    const missing = await refusal(
      auth.consumeQuota({ organizationId: "org-b", integrationId: "int-custom" }),
    );
    expect(missing.code).toBe(Code.NotFound);
  });

  it("verifies a signed integration's signature and identifies the delivery by it", async () => {
    const now = new Date();
    const auth = client(AuthService, TOKEN);
    const request = {
      routingKey: SIGNED_KEY,
      body,
      headers: signature(SIGNING_SECRET, now),
      receiveTime: timestampFromDate(now),
    };
    const ok = await auth.authenticate(request);
    expect(ok.deliveryKey).not.toBe("");
    expect(ok.repeat).toBe(false);
    const again = await auth.authenticate(request);
    expect(again.deliveryKey).toBe(ok.deliveryKey);
    expect(again.repeat).toBe(true);
    const forged = await refusal(
      auth.authenticate({
        routingKey: SIGNED_KEY,
        body,
        headers: signature("not-the-secret-at-all", now),
        receiveTime: timestampFromDate(now),
      }),
    );
    expect(forged.code).toBe(Code.Unauthenticated);
    // A refusal of a known key names the integration, for its inbox.
    expect(forged.findDetails(IntegrationSchema).map((i) => i.id)).toEqual(["int-signed"]);
    const unsigned = await refusal(
      auth.authenticate({ routingKey: SIGNED_KEY, body, receiveTime: timestampFromDate(now) }),
    );
    expect(unsigned.code).toBe(Code.Unauthenticated);
  });

  it("answers each item of a batch as the single call would", async () => {
    const { results } = await client(AuthService, TOKEN).authenticateBatch({
      requests: [
        { routingKey: CUSTOM_KEY, body },
        { routingKey: "unknown_".padEnd(40, "1"), body },
      ],
      requestIds: ["req-1", "req-2"],
    });
    expect(results.map((r) => r.outcome.case)).toEqual(["response", "error"]);
    const [ok, refused] = results.map((r) => r.outcome);
    expect(ok?.case === "response" && ok.value.integration?.id).toBe("int-custom");
    expect(refused?.case === "error" && refused.value.code).toBe(Code.Unauthenticated);
  });

  it("resolves API keys to their organization and role, and refuses others", async () => {
    const auth = client(AuthService, TOKEN);
    expect(await auth.verifyApiKey({ secret: VIEWER })).toMatchObject({
      organizationId: "org-a",
      keyId: "key-viewer",
      role: "viewer",
    });
    expect((await refusal(auth.verifyApiKey({ secret: "rf_".padEnd(40, "9") }))).code).toBe(
      Code.Unauthenticated,
    );
  });
});

describe("IntegrationService in memory", () => {
  it("requires an organization API key, and an admin one to change anything", async () => {
    expect((await refusal(client(IntegrationService).listIntegrations({}))).code).toBe(
      Code.Unauthenticated,
    );
    expect((await refusal(client(IntegrationService, TOKEN).listIntegrations({}))).code).toBe(
      Code.Unauthenticated,
    );
    const viewer = client(IntegrationService, VIEWER);
    expect((await viewer.listIntegrations({})).integrations.length).toBe(2);
    const denied = await refusal(
      viewer.createIntegration({ type: IntegrationType.DATADOG, name: "Datadog" }),
    );
    expect(denied.code).toBe(Code.PermissionDenied);
  });

  it("creates an integration whose routing key authenticates at once", async () => {
    const created = await client(IntegrationService, ADMIN).createIntegration({
      type: IntegrationType.DATADOG,
      name: "Datadog",
      defaultServiceId: "SER-00001",
    });
    expect(created.routingKey.length).toBeGreaterThanOrEqual(43);
    expect(created.integration).toMatchObject({
      organizationId: "org-a",
      type: IntegrationType.DATADOG,
      enabled: true,
    });
    const res = await client(AuthService, TOKEN).authenticate({
      routingKey: created.routingKey,
      body,
    });
    expect(res.integration?.id).toBe(created.integration?.id);
  });

  it("takes a signing secret or SNS topics only where the provider uses them", async () => {
    const admin = client(IntegrationService, ADMIN);
    const secret = await refusal(
      admin.createIntegration({
        type: IntegrationType.DATADOG,
        name: "Datadog",
        signingSecret: SIGNING_SECRET,
      }),
    );
    expect(secret.code).toBe(Code.InvalidArgument);
    expect(secret.rawMessage).toContain("signing_secret");
    const topics = await refusal(
      admin.createIntegration({ type: IntegrationType.CLOUDWATCH, name: "Alarms" }),
    );
    expect(topics.code).toBe(Code.InvalidArgument);
    expect(topics.rawMessage).toContain("sns_topic_arns");
    const sentry = await admin.createIntegration({
      type: IntegrationType.SENTRY,
      name: "Sentry",
      signingSecret: SIGNING_SECRET,
    });
    expect(sentry.integration?.signingSecretConfigured).toBe(true);
  });

  it("refuses a default service of another organization", async () => {
    const error = await refusal(
      client(IntegrationService, ADMIN).createIntegration({
        type: IntegrationType.CUSTOM,
        name: "Scripts",
        defaultServiceId: "SER-00002",
      }),
    );
    expect(error.code).toBe(Code.InvalidArgument);
  });

  it("shows an organization only its own integrations", async () => {
    const other = client(IntegrationService, ADMIN_B);
    expect((await other.listIntegrations({})).integrations).toEqual([]);
    const error = await refusal(other.getIntegration({ integrationId: "int-custom" }));
    expect(error.code).toBe(Code.NotFound);
  });

  it("stops a rotated routing key at once and accepts the new one", async () => {
    const admin = client(IntegrationService, ADMIN);
    const auth = client(AuthService, TOKEN);
    const { integration, routingKey } = await admin.createIntegration({
      type: IntegrationType.PROMETHEUS,
      name: "Alertmanager",
    });
    await auth.authenticate({ routingKey, body });
    const rotated = await admin.rotateRoutingKey({ integrationId: integration!.id });
    expect(rotated.routingKey).not.toBe(routingKey);
    expect((await refusal(auth.authenticate({ routingKey, body }))).code).toBe(
      Code.Unauthenticated,
    );
    expect(
      (await auth.authenticate({ routingKey: rotated.routingKey, body })).integration?.id,
    ).toBe(integration!.id);
  });

  it("refuses a disabled integration's routing key", async () => {
    const admin = client(IntegrationService, ADMIN);
    const { integration, routingKey } = await admin.createIntegration({
      type: IntegrationType.CUSTOM,
      name: "Temporary",
    });
    const disabled = await admin.disableIntegration({ integrationId: integration!.id });
    expect(disabled.integration?.enabled).toBe(false);
    const error = await refusal(client(AuthService, TOKEN).authenticate({ routingKey, body }));
    expect(error.code).toBe(Code.Unauthenticated);
  });
});

/** The fields an INVALID_ARGUMENT names, in order. */
function refusedFields(error: ConnectError): string[] {
  expect(error.code).toBe(Code.InvalidArgument);
  return error.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((v) => v.field));
}

describe("IntegrationService options", () => {
  const admin = () => client(IntegrationService, ADMIN);

  it("creates an integration with options, normalized, and the provider's redrive default", async () => {
    const { integration } = await admin().createIntegration({
      type: IntegrationType.PROMETHEUS,
      name: "Alertmanager",
      options: {
        alertGrouping: AlertGrouping.GROUP,
        severityOverrides: { " Critical ": Severity.SEV0 },
      },
    });
    expect(integration?.options).toMatchObject({
      alertGrouping: AlertGrouping.GROUP,
      severityOverrides: { critical: Severity.SEV0 },
      redriveThrottled: true,
    });
    const custom = await admin().createIntegration({ type: IntegrationType.CUSTOM, name: "c" });
    expect(custom.integration?.options?.redriveThrottled).toBe(false);
  });

  it("names every refused option by its path", async () => {
    const error = await refusal(
      admin().createIntegration({
        type: IntegrationType.DATADOG,
        name: "Datadog",
        options: {
          alertGrouping: AlertGrouping.GROUP,
          cloudwatchInsufficientData: InsufficientDataAction.RESOLVE,
          severityOverrides: { P1: Severity.SEV0, p1: Severity.SEV1, p2: Severity.UNSPECIFIED },
          autoResolve: { afterMinutes: 0 },
          flapping: { threshold: 1, windowMinutes: 2000 },
          heartbeat: { intervalSeconds: 5, graceSeconds: 90_000 },
        },
      }),
    );
    expect(refusedFields(error)).toEqual([
      "options.cloudwatch_insufficient_data",
      "options.alert_grouping",
      "options.severity_overrides.p1",
      "options.severity_overrides.p2",
      "options.auto_resolve.after_minutes",
      "options.flapping.threshold",
      "options.flapping.window_minutes",
      "options.heartbeat.interval_seconds",
      "options.heartbeat.grace_seconds",
    ]);
    const custom = await refusal(
      admin().createIntegration({
        type: IntegrationType.CUSTOM,
        name: "c",
        options: { severityOverrides: { sev1: Severity.SEV0 } },
      }),
    );
    expect(refusedFields(custom)).toEqual(["options.severity_overrides"]);
  });

  it("updates only what the mask names, as an admin", async () => {
    const { integration } = await admin().createIntegration({
      type: IntegrationType.CLOUDWATCH,
      name: "Alarms",
      snsTopicArns: ["arn:aws:sns:us-east-1:123456789012:alarms"],
      options: { severityOverrides: { alarm: Severity.SEV1 } },
    });
    const id = integration!.id;
    const denied = await refusal(
      client(IntegrationService, VIEWER).updateIntegration({
        integration: { id, name: "x" },
        updateMask: { paths: ["name"] },
      }),
    );
    expect(denied.code).toBe(Code.PermissionDenied);

    const updated = await admin().updateIntegration({
      integration: {
        id,
        name: "ignored: not in the mask",
        rateLimitPerMinute: 500,
        options: { cloudwatchInsufficientData: InsufficientDataAction.RESOLVE },
      },
      updateMask: { paths: ["rate_limit_per_minute", "options.cloudwatch_insufficient_data"] },
    });
    expect(updated.integration).toMatchObject({
      name: "Alarms",
      rateLimitPerMinute: 500,
      options: {
        cloudwatchInsufficientData: InsufficientDataAction.RESOLVE,
        severityOverrides: { alarm: Severity.SEV1 },
        redriveThrottled: false,
      },
    });
    const auth = await client(IntegrationService, ADMIN).getIntegration({ integrationId: id });
    expect(auth.integration?.options).toEqual(updated.integration?.options);

    const reset = await admin().updateIntegration({
      integration: { id, defaultServiceId: "SER-00001" },
      updateMask: { paths: ["options", "default_service_id"] },
    });
    expect(reset.integration).toMatchObject({
      defaultServiceId: "SER-00001",
      options: {
        cloudwatchInsufficientData: InsufficientDataAction.UNSPECIFIED,
        severityOverrides: {},
        redriveThrottled: false,
      },
    });
    const implied = await admin().updateIntegration({
      integration: { id, options: { redriveThrottled: true } },
    });
    expect(implied.integration).toMatchObject({
      defaultServiceId: "SER-00001",
      options: { redriveThrottled: true },
    });
  });

  it("refuses paths it cannot update, options of another provider and bad values", async () => {
    const { integration } = await admin().createIntegration({
      type: IntegrationType.SENTRY,
      name: "Sentry",
    });
    const id = integration!.id;
    const paths = await refusal(
      admin().updateIntegration({
        integration: { id },
        updateMask: { paths: ["enabled", "options.heartbeat.interval_seconds"] },
      }),
    );
    expect(refusedFields(paths)).toEqual(["update_mask", "update_mask"]);
    const values = await refusal(
      admin().updateIntegration({
        integration: {
          id,
          name: " ",
          rateLimitPerMinute: 0,
          defaultServiceId: "SER-00002",
          options: { alertGrouping: AlertGrouping.GROUP },
        },
        updateMask: { paths: ["*"] },
      }),
    );
    expect(refusedFields(values)).toEqual([
      "name",
      "rate_limit_per_minute",
      "default_service_id",
      "options.alert_grouping",
    ]);
    const option = await refusal(
      admin().updateIntegration({
        integration: { id, options: { alertGrouping: AlertGrouping.GROUP } },
        updateMask: { paths: ["options.alert_grouping"] },
      }),
    );
    expect(refusedFields(option)).toEqual(["options.alert_grouping"]);
    expect((await refusal(admin().updateIntegration({}))).code).toBe(Code.InvalidArgument);
    const other = await refusal(
      client(IntegrationService, ADMIN_B).updateIntegration({
        integration: { id, name: "mine" },
        updateMask: { paths: ["name"] },
      }),
    );
    expect(other.code).toBe(Code.NotFound);
  });

  it("hands the options to the normalizers through Authenticate", async () => {
    const { integration, routingKey } = await admin().createIntegration({
      type: IntegrationType.PROMETHEUS,
      name: "Grouped",
    });
    await admin().updateIntegration({
      integration: { id: integration!.id, options: { alertGrouping: AlertGrouping.GROUP } },
      updateMask: { paths: ["options.alert_grouping"] },
    });
    const res = await client(AuthService, TOKEN).authenticate({ routingKey, body });
    expect(res.integration?.options?.alertGrouping).toBe(AlertGrouping.GROUP);
  });
});
