import { create } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createClient,
  createRouterTransport,
  type ServiceImpl,
} from "@connectrpc/connect";
import {
  AuthService,
  Disposition,
  IncidentService,
  IntegrationSchema,
  IntegrationType,
  NormalizerService,
} from "@runframe/contracts";
import { createInternalClient } from "@runframe/platform";
import type { IncomingMessage } from "node:http";
import { constants, createServer, type Http2Server, type ServerHttp2Stream } from "node:http2";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { handleWebhook, type WebhookDeps } from "./webhook.js";

/** The edge's dependencies as in-memory services doing what each test says. */
function deps(
  incident: Partial<ServiceImpl<typeof IncidentService>>,
  timeoutMs = 10_000,
): WebhookDeps {
  const transport = createRouterTransport((router) => {
    router.service(AuthService, {
      authenticate: () => ({
        integration: create(IntegrationSchema, { id: "int-1", type: IntegrationType.CUSTOM }),
        disposition: Disposition.PROCEED,
      }),
    });
    router.service(NormalizerService, { normalize: () => ({ alerts: [] }) });
    router.service(IncidentService, incident);
  });
  const auth = createClient(AuthService, transport);
  const normalizer = createClient(NormalizerService, transport);
  const incidentClient = createClient(IncidentService, transport);
  return {
    authenticate: (req, options) => auth.authenticate(req, options),
    normalizers: new Map([
      [IntegrationType.CUSTOM, (req, options) => normalizer.normalize(req, options)],
    ]),
    ingest: (req, options) => incidentClient.ingest(req, options),
    logger: pino({ level: "silent" }),
    maxBodyBytes: 1024,
    bodyTimeoutMs: 300,
    timeoutMs,
  };
}

function post(body: string): IncomingMessage {
  return Object.assign(Readable.from([Buffer.from(body)]), {
    method: "POST",
    headers: { "content-type": "application/json" },
    socket: { remoteAddress: "127.0.0.1" },
  }) as unknown as IncomingMessage;
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
