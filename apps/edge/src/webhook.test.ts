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
import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
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
  return {
    auth: createClient(AuthService, transport),
    normalizers: new Map([[IntegrationType.CUSTOM, createClient(NormalizerService, transport)]]),
    incident: createClient(IncidentService, transport),
    logger: pino({ level: "silent" }),
    maxBodyBytes: 1024,
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
