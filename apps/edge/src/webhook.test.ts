import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createRouterTransport, type ServiceImpl } from "@connectrpc/connect";
import {
  AlertAction,
  AuthService,
  DeliveryOutcome,
  Disposition,
  IdentifyRoutingKeyResponseSchema,
  IncidentService,
  IncidentStatus,
  IngestAction,
  IntegrationSchema,
  IntegrationType,
  NormalizedAlertSchema,
  NormalizeResponseSchema,
  NormalizerService,
  Severity,
  type ExplainIngestResponseSchema,
} from "@runframe/contracts";
import { createInternalClient, runframeError } from "@runframe/platform";
import type { IncomingMessage } from "node:http";
import { constants, createServer, type Http2Server, type ServerHttp2Stream } from "node:http2";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it, vi } from "vitest";
import { REDACTED, type DeliveryReportInit } from "./inbox.js";
import { memoryDeps } from "./memory-deps.js";
import { handleWebhook, type WebhookDeps } from "./webhook.js";

const integration = create(IntegrationSchema, {
  id: "int-1",
  organizationId: "org-1",
  type: IntegrationType.CUSTOM,
});

/** What the edge sent the inbox, and how. */
interface Recorded {
  readonly now: DeliveryReportInit[];
  readonly later: DeliveryReportInit[];
}

/** The edge's dependencies as in-memory services doing what each test says. */
function deps(
  incident: Partial<ServiceImpl<typeof IncidentService>>,
  timeoutMs = 10_000,
  options: {
    auth?: Partial<ServiceImpl<typeof AuthService>>;
    recorded?: Recorded;
    recordFails?: boolean;
  } = {},
): WebhookDeps {
  const transport = createRouterTransport((router) => {
    router.service(AuthService, {
      authenticate: () => ({ integration, disposition: Disposition.PROCEED }),
      identifyRoutingKey: () => ({ integration }),
      ...options.auth,
    });
    router.service(NormalizerService, { normalize: () => ({ alerts: [] }) });
    router.service(IncidentService, incident);
  });
  return memoryDeps(transport, IntegrationType.CUSTOM, {
    inbox: {
      now: async (report) => {
        if (options.recordFails) {
          throw new ConnectError("incident is away", Code.Unavailable);
        }
        options.recorded?.now.push(report);
      },
      later: (report) => void options.recorded?.later.push(report),
    },
    timeoutMs,
  });
}

function post(body: string, headers: Record<string, string> = {}, url?: string): IncomingMessage {
  return Object.assign(Readable.from([Buffer.from(body)]), {
    method: "POST",
    url,
    headers: { "content-type": "application/json", ...headers },
    socket: { remoteAddress: "127.0.0.1" },
  }) as unknown as IncomingMessage;
}

/** Auth's refusal of a delivery to a known key: its reason, and the integration. */
function refusal(code: Code, reason: string): ConnectError {
  const error = runframeError("refused", code, reason);
  error.details.push({ desc: IntegrationSchema, value: integration });
  return error;
}

const key = "k".repeat(43);

describe("handleWebhook", () => {
  it("answers 504 with Retry-After when the services behind it run out of time", async () => {
    const slow = deps(
      {
        async ingest(_req, context) {
          await sleep(1_000, undefined, { signal: context.signal }).catch(() => undefined);
          return { results: [] };
        },
      },
      100,
    );
    const answer = await handleWebhook(slow, post("{}"), key);
    expect(answer.status).toBe(504);
    expect(answer.headers["retry-after"]).toBeDefined();
  });

  it("answers 413, not 429, when an internal message is too large", async () => {
    const tooBig = deps({
      ingest() {
        throw new ConnectError(
          "message size 4299116 is larger than configured readMaxBytes",
          Code.ResourceExhausted,
        );
      },
    });
    const answer = await handleWebhook(tooBig, post("{}"), key);
    expect(answer.status).toBe(413);
    expect(JSON.stringify(answer.body)).not.toContain("readMaxBytes");
  });
});

/** A request whose body arrives in `chunks`, one every `everyMs`. */
function trickle(chunks: string[], everyMs: number): IncomingMessage {
  async function* slowly() {
    for (const chunk of chunks) {
      await sleep(everyMs);
      yield Buffer.from(chunk);
    }
  }
  return Object.assign(Readable.from(slowly()), {
    method: "POST",
    headers: { "content-type": "application/json" },
    socket: { remoteAddress: "127.0.0.1" },
  }) as unknown as IncomingMessage;
}

describe("handleWebhook with a slow upload", () => {
  it("starts the RPC deadline once the body is in, not when the upload began", async () => {
    let ingested = 0;
    const answer = await handleWebhook(
      deps(
        {
          ingest() {
            ingested++;
            return { results: [] };
          },
        },
        100,
      ),
      trickle(["{", "}"], 120),
      key,
    );
    expect(answer.status).toBe(202);
    expect(ingested).toBe(1);
  });

  it("answers 408 and closes the connection when the body takes longer than allowed", async () => {
    const answer = await handleWebhook(deps({}), trickle(["{", " ", " ", "}"], 150), key);
    expect(answer.status).toBe(408);
    expect(answer.headers["connection"]).toBe("close");
    expect(answer.body).toMatchObject({ error: { code: "request_timeout" } });
  });
});

describe("handleWebhook when a service behind the edge fails mid-call", () => {
  let server: Http2Server | undefined;
  afterEach(async () => {
    const closing = server;
    server = undefined;
    if (closing) {
      await new Promise<void>((resolve) => {
        closing.close(() => resolve());
        closing.emit("shutdown");
      });
    }
  });

  /** An incident client whose server does `misbehave` to every stream. */
  async function brokenIncident(misbehave: (stream: ServerHttp2Stream) => void) {
    server = createServer();
    server.on("stream", (stream) => {
      // The client's side of what this server does is the test; its own
      // stream errors are expected.
      stream.on("error", () => undefined);
      misbehave(stream);
    });
    server.on("session", (session) => server?.once("shutdown", () => session.destroy()));
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return createInternalClient(IncidentService, {
      baseUrl: `http://127.0.0.1:${port}`,
      token: "t".repeat(32),
    });
  }

  const cases: [string, (stream: ServerHttp2Stream) => void][] = [
    ["the connection is reset (a killed process)", (stream) => stream.session?.destroy()],
    [
      "the stream is refused (a graceful shutdown)",
      (stream) => stream.close(constants.NGHTTP2_REFUSED_STREAM),
    ],
    [
      "the stream ends with an internal error",
      (stream) => stream.close(constants.NGHTTP2_INTERNAL_ERROR),
    ],
  ];
  for (const [what, misbehave] of cases) {
    it(`answers 503 with Retry-After and no internal message when ${what}`, async () => {
      const broken = await brokenIncident(misbehave);
      const webhookDeps = { ...deps({}), ingest: broken.ingest.bind(broken) };
      const answer = await handleWebhook(webhookDeps, post("{}"), key);
      expect(answer.status).toBe(503);
      expect(answer.headers["retry-after"]).toBeDefined();
      expect(JSON.stringify(answer.body)).toBe(
        JSON.stringify({
          error: { code: "unavailable", message: "temporarily unavailable; retry later" },
        }),
      );
    });
  }

  for (const code of [Code.Aborted, Code.Internal, Code.Unknown, Code.DataLoss]) {
    it(`answers 503, not 409 or 500, for ${Code[code]} without a reason of ours, and hides its message`, async () => {
      const answer = await handleWebhook(
        deps({
          ingest() {
            throw new ConnectError("read ECONNRESET", code);
          },
        }),
        post("{}"),
        key,
      );
      expect(answer.status).toBe(503);
      expect(answer.headers["retry-after"]).toBeDefined();
      expect(JSON.stringify(answer.body)).not.toContain("ECONNRESET");
    });
  }
});

describe("handleWebhook and the delivery inbox", () => {
  const recording = (): Recorded => ({ now: [], later: [] });
  const body = '{"title":"Disk full — é"}';
  const refusingAuth = (code: Code, reason: string) => ({
    authenticate: () => {
      throw refusal(code, reason);
    },
  });

  it("records a throttled delivery before answering 429, byte-exact, secrets redacted", async () => {
    const recorded = recording();
    const answer = await handleWebhook(
      deps({}, 10_000, {
        recorded,
        auth: refusingAuth(Code.ResourceExhausted, "RATE_LIMITED"),
      }),
      post(body, { authorization: "Bearer secret-token", "x-runframe-signature": "sha256=abc" }),
      key,
    );
    expect(answer.status).toBe(429);
    expect(recorded.later).toEqual([]);
    const [report] = recorded.now;
    expect(report).toMatchObject({
      outcome: DeliveryOutcome.THROTTLED,
      status: 429,
      reason: "rate_limited",
      envelope: { verified: true, integration: { id: "int-1" }, sourceAddress: "127.0.0.1" },
    });
    expect(Buffer.from(report!.envelope!.body!).toString()).toBe(body);
    expect(report!.envelope!.headers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "authorization", value: REDACTED }),
        expect.objectContaining({ name: "x-runframe-signature", value: REDACTED }),
        expect.objectContaining({ name: "content-type", value: "application/json" }),
      ]),
    );
  });

  it("answers 503 rather than 429 when a throttled delivery cannot be recorded", async () => {
    const answer = await handleWebhook(
      deps({}, 10_000, {
        recordFails: true,
        auth: refusingAuth(Code.ResourceExhausted, "RATE_LIMITED"),
      }),
      post(body),
      key,
    );
    expect(answer.status).toBe(503);
    expect(answer.headers["retry-after"]).toBeDefined();
  });

  it.each([
    [Code.Unauthenticated, "SIGNATURE_INVALID", DeliveryOutcome.REFUSED_SIGNATURE],
    [Code.ResourceExhausted, "FAILED_ATTEMPTS_LIMITED", DeliveryOutcome.REFUSED_SIGNATURE],
    [Code.InvalidArgument, "INVALID_REQUEST", DeliveryOutcome.REFUSED_PAYLOAD],
  ])("records auth's %s %s as %s, not replayable", async (code, reason, outcome) => {
    const recorded = recording();
    await handleWebhook(
      deps({}, 10_000, {
        recorded,
        auth: refusingAuth(code, reason),
      }),
      post(body),
      key,
    );
    expect(recorded.later).toEqual([
      expect.objectContaining({ outcome, envelope: expect.objectContaining({ verified: false }) }),
    ]);
  });

  it("records nothing for an unknown routing key", async () => {
    const recorded = recording();
    const answer = await handleWebhook(
      deps({}, 10_000, {
        recorded,
        auth: {
          authenticate: () => {
            throw runframeError("unknown", Code.Unauthenticated, "ROUTING_KEY_INVALID");
          },
          identifyRoutingKey: () => {
            throw runframeError("unknown", Code.Unauthenticated, "ROUTING_KEY_INVALID");
          },
        },
      }),
      post(body),
      key,
    );
    expect(answer.status).toBe(401);
    const tooLarge = await handleWebhook(
      deps({}, 10_000, { recorded }),
      post("x".repeat(2000)),
      key,
    );
    expect(tooLarge.status).toBe(413);
    expect(recorded).toEqual({ now: [], later: [] });
  });

  it("records a failure behind auth as failed and replayable, with the delivery key", async () => {
    const recorded = recording();
    const answer = await handleWebhook(
      deps(
        {
          ingest() {
            throw new ConnectError("connection reset", Code.Unavailable);
          },
        },
        10_000,
        {
          recorded,
          auth: {
            authenticate: () => ({
              integration,
              disposition: Disposition.PROCEED,
              deliveryKey: "d-1",
            }),
          },
        },
      ),
      post(body),
      key,
    );
    expect(answer.status).toBe(503);
    expect(recorded.later).toEqual([
      expect.objectContaining({
        outcome: DeliveryOutcome.FAILED,
        status: 503,
        envelope: expect.objectContaining({ verified: true, deliveryKey: "d-1" }),
      }),
    ]);
  });

  it("records a payload the normalizer refused with its field errors", async () => {
    const recorded = recording();
    const transportDeps = deps({}, 10_000, { recorded });
    const refusing: WebhookDeps = {
      ...transportDeps,
      normalizers: new Map([
        [
          IntegrationType.CUSTOM,
          () =>
            Promise.reject(
              runframeError("title: is required", Code.InvalidArgument, "INVALID_REQUEST", {
                violations: [{ field: "title", description: "is required" }],
              }),
            ),
        ],
      ]),
    };
    const answer = await handleWebhook(refusing, post("{}"), key);
    expect(answer.status).toBe(400);
    expect(recorded.later).toEqual([
      expect.objectContaining({
        outcome: DeliveryOutcome.REFUSED_PAYLOAD,
        fieldErrors: [{ field: "title", description: "is required" }],
      }),
    ]);
  });

  it("keeps the first bytes and the size of a body refused as too large", async () => {
    const recorded = recording();
    const answer = await handleWebhook(deps({}, 10_000, { recorded }), post("y".repeat(3000)), key);
    expect(answer.status).toBe(413);
    await vi.waitFor(() => expect(recorded.later).toHaveLength(1));
    const [report] = recorded.later;
    expect(report).toMatchObject({ outcome: DeliveryOutcome.TOO_LARGE, status: 413 });
    expect(report!.envelope!.bodySize).toBe(3000n);
    expect(Buffer.from(report!.envelope!.body!).toString()).toBe("y".repeat(1024));
  });

  it("sends the envelope with an accepted delivery, for the same commit as its incidents", async () => {
    let sent: { envelope?: unknown; integration?: unknown } = {};
    const answer = await handleWebhook(
      deps({
        ingest(req) {
          sent = req;
          return { results: [] };
        },
      }),
      post(body),
      key,
    );
    expect(answer.status).toBe(202);
    expect(sent.envelope).toMatchObject({ verified: true, integration: { id: "int-1" } });
    // Once: an unset IngestRequest.integration means the envelope's.
    expect(sent.integration).toBeUndefined();
  });
});

describe("handleWebhook with ?dry_run=true", () => {
  const dryRunUrl = `/webhooks/${key}?dry_run=true`;
  const alerts = [
    create(NormalizedAlertSchema, {
      action: AlertAction.TRIGGER,
      title: "Disk full",
      severity: Severity.SEV2,
      status: IncidentStatus.NEW,
      serviceId: "SER-00001",
      dedupKey: "disk",
      metadata: { host: "db-1" },
      occurTime: timestampFromDate(new Date("2026-12-01T10:00:00Z")),
    }),
    create(NormalizedAlertSchema, { action: AlertAction.UNSPECIFIED, title: "not for ingest" }),
    create(NormalizedAlertSchema, {
      action: AlertAction.RESOLVE,
      serviceId: "SER-00001",
      dedupKey: "disk",
    }),
  ];
  /** In-memory services that note what they were asked; ingest must never be called. */
  function dryDeps(
    explained: MessageInitShape<typeof ExplainIngestResponseSchema>,
    recorded: Recorded,
  ) {
    const asked: { dryRun?: boolean; explained?: number | undefined } = {};
    const d = deps(
      {
        ingest: () => {
          throw new Error("a dry run must not ingest");
        },
        explainIngest: (req) => {
          asked.explained = req.ingest?.alerts.length;
          expect(req.ingest?.envelope).toBeUndefined();
          return explained;
        },
      },
      10_000,
      {
        recorded,
        auth: {
          authenticate: (req) => {
            asked.dryRun = req.dryRun;
            return {
              integration,
              disposition: Disposition.PROCEED,
              rateLimit: { limit: 10, remaining: 9 },
            };
          },
        },
      },
    );
    return {
      asked,
      deps: {
        ...d,
        normalizers: new Map([
          [IntegrationType.CUSTOM, async () => create(NormalizeResponseSchema, { alerts })],
        ]),
      } as WebhookDeps,
    };
  }

  it("authenticates as a dry run, explains instead of ingesting and answers the prediction", async () => {
    const recorded: Recorded = { now: [], later: [] };
    const { asked, deps: d } = dryDeps(
      {
        explanations: [
          { result: { action: IngestAction.CREATED, dedupKey: "disk" }, newIncidentAlert: 0 },
          { result: { action: IngestAction.RESOLVED, dedupKey: "disk" }, newIncidentAlert: 0 },
        ],
      },
      recorded,
    );
    const answer = await handleWebhook(d, post("{}", {}, dryRunUrl), key);
    expect(asked).toEqual({ dryRun: true, explained: 2 });
    expect(answer.status).toBe(200);
    expect(answer.headers["x-ratelimit-limit"]).toBe("10");
    expect(answer.body).toEqual({
      status: "dry_run",
      incidents: [
        { id: null, action: "would_create", dedupKey: "disk", createdByAlert: 0 },
        { id: null, action: "would_resolve", dedupKey: "disk", createdByAlert: 0 },
      ],
      alerts: [
        {
          action: "trigger",
          title: "Disk full",
          description: "",
          severity: "SEV2",
          status: "new",
          serviceId: "SER-00001",
          sourceUrl: null,
          dedupKey: "disk",
          metadata: { host: "db-1" },
          occurredAt: "2026-12-01T10:00:00.000Z",
          truncatedAlerts: 0,
        },
        expect.objectContaining({ action: "resolve", severity: null, status: null, title: "" }),
      ],
    });
    expect(recorded).toEqual({ now: [], later: [] });
  });

  it("answers a redelivery's first answer as would_replay", async () => {
    const { deps: d } = dryDeps(
      {
        replayed: true,
        explanations: [
          { result: { action: IngestAction.CREATED, dedupKey: "disk", incidentId: "INC-00004" } },
          { result: { action: IngestAction.IGNORED, dedupKey: "disk" } },
        ],
      },
      { now: [], later: [] },
    );
    const answer = await handleWebhook(d, post("{}", {}, dryRunUrl), key);
    expect(answer.body).toMatchObject({
      status: "dry_run",
      redelivery: true,
      incidents: [
        { id: "INC-00004", action: "would_replay", replayedAction: "created", dedupKey: "disk" },
        { id: null, action: "would_replay", replayedAction: "ignored", dedupKey: "disk" },
      ],
    });
  });

  it("records nothing of a dry run auth refuses, or one over the size limit", async () => {
    const recorded: Recorded = { now: [], later: [] };
    for (const [code, reason] of [
      [Code.Unauthenticated, "SIGNATURE_INVALID"],
      [Code.ResourceExhausted, "DRY_RUN_LIMITED"],
    ] as const) {
      const answer = await handleWebhook(
        deps({}, 10_000, {
          recorded,
          auth: {
            authenticate: () => {
              throw refusal(code, reason);
            },
          },
        }),
        post("{}", {}, dryRunUrl),
        key,
      );
      expect(answer.status).toBe(code === Code.Unauthenticated ? 401 : 429);
    }
    let identified = false;
    const tooLarge = await handleWebhook(
      {
        ...deps({}, 10_000, { recorded }),
        identify: async () => {
          identified = true;
          return create(IdentifyRoutingKeyResponseSchema, { integration });
        },
      },
      post("x".repeat(2048), {}, dryRunUrl),
      key,
    );
    expect(tooLarge.status).toBe(413);
    await sleep(20);
    expect(identified).toBe(false);
    expect(recorded).toEqual({ now: [], later: [] });
  });

  it.each(["yes", "1", "", "TRUE"])(
    "refuses dry_run=%s with 400 naming the field",
    async (value) => {
      const answer = await handleWebhook(
        deps({}),
        post("{}", {}, `/webhooks/${key}?dry_run=${value}`),
        key,
      );
      expect(answer).toMatchObject({
        status: 400,
        body: { error: { code: "invalid_request", fields: [{ field: "dry_run" }] } },
      });
    },
  );

  it("takes dry_run=false, or its absence, as a real delivery", async () => {
    let ingested = 0;
    const real = deps({
      ingest: () => {
        ingested++;
        return { results: [] };
      },
    });
    for (const url of [`/webhooks/${key}?dry_run=false`, `/webhooks/${key}?other=1`]) {
      expect((await handleWebhook(real, post("{}", {}, url), key)).status).toBe(202);
    }
    expect(ingested).toBe(2);
  });
});
