/**
 * `POST /v2/enqueue` in memory: the route, the real PagerDuty normalizer
 * and in-memory auth and incident services, so PagerDuty's answer shapes
 * are checked for every way an event ends. The whole path over processes,
 * on both stores, is pagerduty.e2e.test.ts.
 */
import { create } from "@bufbuild/protobuf";
import { createRouterTransport } from "@connectrpc/connect";
import {
  AuthService,
  Disposition,
  IncidentService,
  IngestAction,
  IntegrationSchema,
  IntegrationType,
  NormalizerService,
} from "@runframe/contracts";
import { normalizePagerDuty } from "@runframe/normalizers-pagerduty";
import { toConnectError } from "@runframe/platform";
import {
  DomainError,
  ResourceExhaustedError,
  UnauthenticatedError,
  type Normalize,
} from "@runframe/util";
import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { handleEnqueue } from "./pagerduty.js";
import { memoryDeps } from "./memory-deps.js";
import type { WebhookDeps } from "./webhook.js";

const PD_KEY = "pagerduty-routing-key-00000000000";
const CUSTOM_KEY = "custom-routing-key-0000000000000";
const LIMITED_KEY = "limited-routing-key-000000000000";

/** Domain errors as the services' interceptor sends them. */
function rethrow(error: unknown): never {
  throw error instanceof DomainError ? toConnectError(error) : error;
}

/** The inbox envelopes' bodies the fake incident service was sent. */
const kept: string[] = [];

const deps = ((): WebhookDeps => {
  const normalize: Normalize = normalizePagerDuty;
  const transport = createRouterTransport((router) => {
    router.service(AuthService, {
      authenticate(req) {
        if (req.routingKey === LIMITED_KEY) {
          rethrow(
            new ResourceExhaustedError("rate limit of 100 per minute reached", 42, {
              limit: 100,
              remaining: 0,
              resetAt: new Date(1_800_000_000_000),
            }),
          );
        }
        const type = { [PD_KEY]: IntegrationType.PAGERDUTY, [CUSTOM_KEY]: IntegrationType.CUSTOM }[
          req.routingKey
        ];
        if (type === undefined) {
          rethrow(new UnauthenticatedError("unknown or disabled routing key"));
        }
        return {
          integration: create(IntegrationSchema, { id: "int-pd", type, defaultServiceId: "S" }),
          disposition: Disposition.PROCEED,
        };
      },
    });
    router.service(NormalizerService, {
      normalize(req) {
        try {
          return {
            alerts: normalize({
              integration: req.integration!,
              headers: req.headers,
              body: req.body,
              receiveTime: new Date(),
            }),
          };
        } catch (error) {
          rethrow(error);
        }
      },
    });
    router.service(IncidentService, {
      ingest: (req) => {
        kept.push(Buffer.from(req.envelope?.body ?? []).toString());
        return {
          results: req.alerts.map((a) => ({
            incidentId: "INC-00001",
            action: IngestAction.CREATED,
            dedupKey: a.dedupKey,
          })),
        };
      },
      explainIngest: (req) => ({
        explanations: (req.ingest?.alerts ?? []).map((a) => ({
          result: { incidentId: "INC-00001", action: IngestAction.UPDATED, dedupKey: a.dedupKey },
        })),
      }),
    });
  });
  return memoryDeps(transport, IntegrationType.PAGERDUTY);
})();

function request(
  body: unknown,
  { method = "POST", contentType = "application/json", url = "/v2/enqueue" } = {},
): IncomingMessage {
  const bytes = Buffer.from(typeof body === "string" ? body : JSON.stringify(body));
  return Object.assign(Readable.from([bytes]), {
    method,
    url,
    headers: { "content-type": contentType },
    socket: { remoteAddress: "127.0.0.1" },
  }) as unknown as IncomingMessage;
}

/** What the sender sees of an answer: its status, headers and body. */
const enqueue = async (body: unknown, options?: Parameters<typeof request>[1]) => {
  const { status, headers, body: answer } = await handleEnqueue(deps, request(body, options));
  return { status, headers, body: answer };
};

const trigger = {
  routing_key: PD_KEY,
  event_action: "trigger",
  payload: { summary: "Disk full on db-1", source: "db-1", severity: "critical" },
};

describe("POST /v2/enqueue", () => {
  it("answers 202 success with the dedup key the event was applied under", async () => {
    expect(await enqueue({ ...trigger, dedup_key: "db-1/disk" })).toEqual({
      status: 202,
      headers: {},
      body: { status: "success", message: "Event processed", dedup_key: "db-1/disk" },
    });
    const generated = await enqueue(trigger);
    expect(generated.body).toMatchObject({ dedup_key: expect.stringMatching(/^[0-9a-f]{32}$/) });
  });

  it("answers a dry run with the prediction in PagerDuty's words, keeping nothing", async () => {
    kept.length = 0;
    const answer = await enqueue(
      { ...trigger, dedup_key: "db-1/disk" },
      { url: "/v2/enqueue?dry_run=true" },
    );
    expect(answer).toEqual({
      status: 200,
      headers: {},
      body: {
        status: "dry_run",
        message: "Event not processed: dry run",
        dedup_key: "db-1/disk",
        incidents: [{ id: "INC-00001", action: "would_update", dedupKey: "db-1/disk" }],
        alerts: [
          expect.objectContaining({
            action: "trigger",
            title: "Disk full on db-1",
            severity: "SEV1",
            dedupKey: "db-1/disk",
          }),
        ],
      },
    });
    expect(kept).toEqual([]);
    expect(await enqueue(trigger, { url: "/v2/enqueue?dry_run=maybe" })).toMatchObject({
      status: 400,
      body: { status: "invalid event", errors: ["dry_run must be true or false, given once"] },
    });
  });

  it("keeps the event in the delivery inbox with its routing key redacted", async () => {
    kept.length = 0;
    const event = { ...trigger, payload: { ...trigger.payload, custom_details: { key: PD_KEY } } };
    expect((await enqueue(event)).status).toBe(202);
    expect(kept).toHaveLength(1);
    expect(kept[0]).not.toContain(PD_KEY);
    expect(JSON.parse(kept[0]!)).toEqual({
      ...event,
      routing_key: "[redacted]",
      payload: { ...event.payload, custom_details: { key: "[redacted]" } },
    });
  });

  it("tells the access log the integration, alert count and error code behind PagerDuty's shape", async () => {
    const refused = await handleEnqueue(
      deps,
      request({ ...trigger, payload: { ...trigger.payload, severity: "fatal" } }),
    );
    expect(refused).toMatchObject({ status: 400, reason: "invalid_request" });
    expect(refused.integration?.id).toBe("int-pd");
    const accepted = await handleEnqueue(deps, request(trigger));
    expect(accepted).toMatchObject({
      status: 202,
      alerts: 1,
      results: [{ incidentId: "INC-00001" }],
    });
    expect(accepted.reason).toBeUndefined();
  });

  it("answers PagerDuty's 400 naming every refused field", async () => {
    const answer = await enqueue({
      routing_key: PD_KEY,
      event_action: "trigger",
      payload: { summary: "s", severity: "fatal" },
    });
    expect(answer).toEqual({
      status: 400,
      headers: {},
      body: {
        status: "invalid event",
        message: "Event object is invalid",
        errors: [
          "payload.source is required",
          "payload.severity must be one of critical, error, warning, info",
        ],
      },
    });
  });

  it("refuses an unknown key, or one of another integration type, as an invalid routing key", async () => {
    for (const routing_key of ["unknown-routing-key-0000000000000", CUSTOM_KEY]) {
      expect((await enqueue({ ...trigger, routing_key })).body).toEqual({
        status: "invalid event",
        message: "Event object is invalid",
        errors: ["Invalid routing key"],
      });
    }
    expect((await enqueue({ ...trigger, routing_key: undefined })).body).toMatchObject({
      status: "invalid event",
      errors: ["routing_key is required: the routing key of a pagerduty integration"],
    });
  });

  it("answers a body that is not a JSON object as an unrecognized object", async () => {
    for (const body of ["{not json", "[1]"]) {
      const answer = await enqueue(body);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({
        status: "Unrecognized object",
        message: "Event object format is unrecognized",
      });
    }
  });

  it("answers 429 with Retry-After and the window, so senders retry", async () => {
    const answer = await enqueue({ ...trigger, routing_key: LIMITED_KEY });
    expect(answer.status).toBe(429);
    expect(answer.headers).toMatchObject({ "retry-after": "42", "x-ratelimit-limit": "100" });
    expect(answer.body).toMatchObject({ status: "throttle event" });
  });

  it("refuses other methods, content types and oversized bodies in PagerDuty's error shape", async () => {
    expect(await enqueue(trigger, { method: "GET" })).toMatchObject({
      status: 405,
      headers: { allow: "POST" },
      body: { status: "method not allowed" },
    });
    expect((await enqueue(trigger, { contentType: "text/plain" })).status).toBe(415);
    const big = await enqueue({ ...trigger, padding: "x".repeat(2048) });
    expect(big).toMatchObject({ status: 413, body: { status: "payload too large" } });
  });
});
