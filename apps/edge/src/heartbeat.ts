import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Disposition } from "@runframe/contracts";
import type { IncomingMessage } from "node:http";
import { readBody } from "./body.js";
import { httpError, httpErrorFromRpc, rateLimitHeaders } from "./http-errors.js";
import {
  bodyRefusal,
  collectHeaders,
  routingKeyPattern,
  sourceOf,
  type WebhookAnswer,
  type WebhookDeps,
} from "./webhook.js";

/**
 * `POST /webhooks/{routingKey}/heartbeat`: a beat of an integration with
 * the `heartbeat` option, for a source with nothing to report (a cron job,
 * a batch run). It is authenticated exactly like a webhook to the same key
 * — the integration's signature rules over the body as sent (often empty),
 * the replay window, and the key's rate limit, whose quota it uses like any
 * delivery — then handed to the incident service as a delivery without
 * alerts, which stores the beat before the edge answers and resolves the
 * silence incident, if one is open. Its Content-Type and body are not
 * read otherwise. It is not kept in the delivery inbox: a beat every few
 * seconds would push out the deliveries worth inspecting.
 *
 * Answers: `202 {"status":"accepted","heartbeat":{"integrationId",
 * "expectedBy"}}` (the time after which silence opens an incident); `409
 * heartbeat_not_configured` when the integration has no heartbeat option;
 * `200` without counting it when auth recognises a repeat of an earlier
 * signed request (a replayed beat proves nothing); every refusal as a
 * webhook's.
 */
export async function handleHeartbeat(
  deps: WebhookDeps,
  req: IncomingMessage,
  routingKey: string,
  sourceAddress = sourceOf(deps, req),
): Promise<WebhookAnswer> {
  const receivedAt = new Date();
  if (req.method !== "POST") {
    return httpError(405, "method_not_allowed", "heartbeats must be sent with POST", {
      allow: "POST",
    });
  }
  if (!routingKeyPattern.test(routingKey)) {
    return httpError(401, "routing_key_invalid", "unknown or disabled routing key");
  }
  let body: Buffer;
  try {
    body = await readBody(req, deps.maxBodyBytes, deps.bodyTimeoutMs);
  } catch (error) {
    return bodyRefusal(error);
  }
  const deadline = Date.now() + deps.timeoutMs;
  const budget = () => ({ timeoutMs: Math.max(1, deadline - Date.now()) });
  // A beat is not kept in the inbox: only its receive time is needed.
  const receiveTime = timestampFromDate(receivedAt);
  try {
    const auth = await deps.authenticate(
      { routingKey, headers: collectHeaders(req.headers), body, receiveTime, sourceAddress },
      budget(),
    );
    const limit = auth.rateLimit;
    const headers = limit
      ? rateLimitHeaders(limit.limit, limit.remaining, limit.resetTime?.seconds)
      : {};
    const { integration } = auth;
    if (integration === undefined || auth.disposition === Disposition.HANDLED) {
      return {
        status: 200,
        headers,
        body: { status: "accepted", message: auth.message },
        integration,
      };
    }
    const heartbeat = integration.options?.heartbeat;
    if (!heartbeat?.intervalSeconds) {
      return {
        ...httpError(
          409,
          "heartbeat_not_configured",
          "this integration has no heartbeat option (options.heartbeat); deliveries are not watched",
          headers,
        ),
        integration,
      };
    }
    if (auth.repeat) {
      return {
        status: 200,
        headers,
        body: { status: "ignored", message: "a repeat of an earlier heartbeat; not counted" },
        integration,
      };
    }
    await deps.ingest(
      {
        organizationId: integration.organizationId,
        integrationId: integration.id,
        alerts: [],
        receiveTime,
        integration,
      },
      budget(),
    );
    const expectedBy = new Date(
      Date.now() + (heartbeat.intervalSeconds + heartbeat.graceSeconds) * 1000,
    );
    return {
      status: 202,
      headers,
      body: {
        status: "accepted",
        heartbeat: { integrationId: integration.id, expectedBy: expectedBy.toISOString() },
      },
      integration,
    };
  } catch (error) {
    const answer = httpErrorFromRpc(error);
    if (answer.status >= 500) {
      deps.logger.error({ err: error }, "heartbeat failed");
    }
    return answer;
  }
}
