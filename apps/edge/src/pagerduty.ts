import { IntegrationType } from "@runframe/contracts";
import { decodeJsonObject, ValidationError } from "@runframe/util";
import type { IncomingMessage } from "node:http";
import { BodyIncompleteError, BodyTimeoutError, BodyTooLargeError, readBody } from "./body.js";
import { dryRunOf } from "./dry-run.js";
import type { HttpError } from "./http-errors.js";
import { reasonOf } from "./access.js";
import { REDACTED } from "./inbox.js";
import { deliver, receiver, sourceOf, type WebhookAnswer, type WebhookDeps } from "./webhook.js";

/**
 * `POST /v2/enqueue`: PagerDuty's Events API v2 endpoint, for `pagerduty`
 * integrations, so a tool that pages PagerDuty sends here by changing its
 * URL. The routing key travels in the body (`routing_key`); once it is
 * read, the event takes the webhook path (`deliver`: the same key hashing,
 * limits and delivery handling as every webhook) and the answer is
 * reshaped into PagerDuty's:
 *
 * - `202 {"status":"success","message":"Event processed","dedup_key":…}`,
 *   the key the event was applied under (the sender's, or the one made for
 *   a trigger without one);
 * - `400 {"status":"invalid event","message":"Event object is invalid",
 *   "errors":[…]}`, one error per refused field, and `Invalid routing key`
 *   for an unknown or disabled key or one of another integration type (as
 *   PagerDuty answers an unknown key with 400, not 401);
 * - `400 {"status":"Unrecognized object",…}` for a body that is not a JSON
 *   object;
 * - 429 with `Retry-After` (PagerDuty's senders retry it) and every other
 *   refusal in PagerDuty's error shape, `{"status","message"}`, keeping the
 *   webhook API's status and headers.
 *
 * With `?dry_run=true` the event is authenticated and normalized as a
 * webhook's dry run (./dry-run.ts) and answered `200
 * {"status":"dry_run","message":"Event not processed: dry run",
 * "dedup_key":…,"incidents":[…],"alerts":[…]}`, storing nothing: PagerDuty
 * has no dry run, so only a sender that asks for one gets this shape. A
 * trigger without a `dedup_key` is given a fresh one each time, so its dry
 * run names a key the real event will not get.
 *
 * Unlike a webhook's, this body holds its routing key in clear, so the
 * delivery inbox keeps it re-serialized with every occurrence of the key
 * replaced by `[redacted]` (PagerDuty's normalizer does not need it, so a
 * replay reads the same event).
 */
export async function handleEnqueue(
  deps: WebhookDeps,
  req: IncomingMessage,
  sourceAddress = sourceOf(deps, req),
): Promise<WebhookAnswer> {
  const receivedAt = new Date();
  if (req.method !== "POST") {
    return failure(405, "method not allowed", "events must be sent with POST", { allow: "POST" });
  }
  const dryRun = dryRunOf(req.url);
  if (typeof dryRun !== "boolean") {
    return pagerDutyAnswer(dryRun);
  }
  const contentType = req.headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
  if (contentType !== undefined && contentType !== "" && contentType !== "application/json") {
    return failure(415, "unsupported media type", "Content-Type must be application/json");
  }
  let body: Buffer;
  try {
    body = await readBody(req, deps.maxBodyBytes, deps.bodyTimeoutMs);
  } catch (error) {
    return bodyFailure(error);
  }
  let event: Record<string, unknown>;
  try {
    event = decodeJsonObject(body);
  } catch (error) {
    if (!(error instanceof ValidationError)) {
      throw error;
    }
    return failure(400, "Unrecognized object", "Event object format is unrecognized", {}, [
      "JSON parse error",
      ...error.violations.map((v) => v.description),
    ]);
  }
  const routingKey = event["routing_key"];
  if (typeof routingKey !== "string" || routingKey.trim() === "") {
    return invalidEvent(["routing_key is required: the routing key of a pagerduty integration"]);
  }
  const kept = JSON.stringify({ ...event, routing_key: REDACTED }).replaceAll(routingKey, REDACTED);
  const answer = await deliver(deps, req, {
    routingKey,
    body,
    received: receiver(req, receivedAt, sourceAddress)(Buffer.from(kept)),
    only: IntegrationType.PAGERDUTY,
    dryRun,
  });
  return pagerDutyAnswer(answer);
}

/**
 * The webhook API's answer as PagerDuty's, with the same headers and what
 * the access log says of it (integration, alerts, results, the error code).
 */
function pagerDutyAnswer(answer: WebhookAnswer): WebhookAnswer {
  const { integration, alerts, results, dryRun } = answer;
  return {
    ...pagerDutyShape(answer),
    integration,
    alerts,
    ...(results !== undefined && { results }),
    reason: reasonOf(answer),
    ...(dryRun && { dryRun }),
  };
}

function pagerDutyShape(answer: WebhookAnswer): WebhookAnswer {
  if (answer.status < 300) {
    const { status, incidents, alerts } = answer.body as {
      status: string;
      incidents: { dedupKey: string | null }[];
      alerts?: unknown[];
    };
    if (answer.dryRun) {
      return {
        status: 200,
        headers: answer.headers,
        body: {
          status,
          message: "Event not processed: dry run",
          dedup_key: incidents[0]?.dedupKey ?? null,
          incidents,
          alerts,
        },
      };
    }
    return {
      status: 202,
      headers: answer.headers,
      body: {
        status: "success",
        message: "Event processed",
        dedup_key: incidents[0]?.dedupKey ?? null,
      },
    };
  }
  const { error } = (answer as HttpError).body;
  switch (answer.status) {
    case 400:
      return invalidEvent(
        error.fields?.map((f) => `${f.field} ${f.description}`) ?? [error.message],
        answer.headers,
      );
    case 401:
      return invalidEvent(["Invalid routing key"], answer.headers);
    case 429:
      return failure(
        429,
        "throttle event",
        "Requests for this integration are arriving too quickly. Please retry later.",
        answer.headers,
      );
    default:
      return failure(answer.status, error.code.replaceAll("_", " "), error.message, answer.headers);
  }
}

function bodyFailure(error: unknown): WebhookAnswer {
  if (error instanceof BodyTooLargeError) {
    return failure(413, "payload too large", `events must be at most ${error.limit} bytes`, {
      connection: "close",
    });
  }
  if (error instanceof BodyTimeoutError) {
    return failure(
      408,
      "request timeout",
      `the event must arrive within ${error.timeoutMs / 1000} s`,
      { connection: "close" },
    );
  }
  if (error instanceof BodyIncompleteError) {
    return failure(400, "Unrecognized object", error.message);
  }
  throw error;
}

function invalidEvent(errors: readonly string[], headers: Record<string, string> = {}) {
  return failure(400, "invalid event", "Event object is invalid", headers, errors);
}

/** PagerDuty's error shape: a short `status`, a `message` and, where useful, `errors`. */
function failure(
  status: number,
  name: string,
  message: string,
  headers: Record<string, string> = {},
  errors?: readonly string[],
): WebhookAnswer {
  return {
    status,
    headers,
    body: { status: name, message, ...(errors !== undefined && { errors }) },
  };
}
