import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type {
  AuthenticateRequestSchema,
  AuthenticateResponse,
  IngestRequestSchema,
  IngestResponse,
  IngestResult,
  Integration,
  IntegrationType,
  NormalizeRequestSchema,
  NormalizeResponse,
} from "@runframe/contracts";
import {
  AlertAction,
  Disposition,
  HeaderSchema,
  IngestAction,
  type Header,
} from "@runframe/contracts";
import type { Logger } from "@runframe/platform";
import { FORWARDED_HEADERS } from "@runframe/providers";
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import type { BlockList } from "node:net";
import { clientAddress } from "./client-address.js";
import { BodyIncompleteError, BodyTimeoutError, BodyTooLargeError, readBody } from "./body.js";
import { httpError, httpErrorFromRpc, rateLimitHeaders } from "./http-errors.js";

/** One call to a service behind the edge, with its deadline. */
export type Call<Req, Res> = (request: Req, options: { timeoutMs: number }) => Promise<Res>;

export interface WebhookDeps {
  readonly authenticate: Call<
    MessageInitShape<typeof AuthenticateRequestSchema>,
    AuthenticateResponse
  >;
  readonly normalizers: ReadonlyMap<
    IntegrationType,
    Call<MessageInitShape<typeof NormalizeRequestSchema>, NormalizeResponse>
  >;
  readonly ingest: Call<MessageInitShape<typeof IngestRequestSchema>, IngestResponse>;
  readonly logger: Logger;
  readonly maxBodyBytes: number;
  /** How long the sender may take to upload the body. */
  readonly bodyTimeoutMs: number;
  /** Deadline for the whole chain of RPCs behind one webhook, from the moment its body is in. */
  readonly timeoutMs: number;
  /** Proxies whose X-Forwarded-For names the client. */
  readonly trustedProxies?: BlockList | undefined;
}

/** What the edge answers one webhook with. */
export interface WebhookAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: unknown;
  /**
   * What the access log and metrics say beside the status: the integration
   * auth found, how many alerts the normalizer made of the payload and what
   * became of each. Absent where the webhook did not get that far.
   */
  readonly integration?: Integration | undefined;
  readonly alerts?: number | undefined;
  readonly results?: readonly IngestResult[];
}

/**
 * Content types senders use: JSON from most tools, `text/plain` from AWS SNS.
 * A request without a Content-Type is read as-is; the normalizer decides.
 */
const acceptedContentTypes = new Set(["application/json", "text/plain"]);

/** Routing keys are URL-safe tokens; anything else cannot be one. */
const routingKeyPattern = /^[A-Za-z0-9_-]{8,128}$/;

/** What the webhook answer (and the access log) calls each ingest action. */
export const actionNames: Record<IngestAction, string> = {
  [IngestAction.UNSPECIFIED]: "ignored",
  [IngestAction.CREATED]: "created",
  [IngestAction.UPDATED]: "updated",
  [IngestAction.RESOLVED]: "resolved",
  [IngestAction.IGNORED]: "ignored",
};

/**
 * Handles `POST /webhooks/{routingKey}`: reads the raw body within its
 * limit, then authenticates, normalizes and ingests through the internal
 * services, answering only once the incident writes are durable.
 * `sourceAddress` is the sender's (see clientAddress), when the caller has
 * worked it out already.
 */
export async function handleWebhook(
  deps: WebhookDeps,
  req: IncomingMessage,
  routingKey: string,
  sourceAddress?: string,
): Promise<WebhookAnswer> {
  const receivedAt = new Date();
  if (req.method !== "POST") {
    return httpError(405, "method_not_allowed", "webhooks must be sent with POST", {
      allow: "POST",
    });
  }
  const contentType = mediaType(req.headers["content-type"]);
  if (contentType !== undefined && !acceptedContentTypes.has(contentType)) {
    return httpError(
      415,
      "unsupported_media_type",
      "Content-Type must be application/json (or text/plain for AWS SNS)",
    );
  }
  if (!routingKeyPattern.test(routingKey)) {
    return httpError(401, "routing_key_invalid", "unknown or disabled routing key");
  }
  let body: Buffer;
  try {
    body = await readBody(req, deps.maxBodyBytes, deps.bodyTimeoutMs);
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      return httpError(
        413,
        "payload_too_large",
        `request body must be at most ${error.limit} bytes`,
        {
          connection: "close",
        },
      );
    }
    if (error instanceof BodyTimeoutError) {
      return httpError(
        408,
        "request_timeout",
        `the request body must arrive within ${error.timeoutMs / 1000} s`,
        { connection: "close" },
      );
    }
    if (error instanceof BodyIncompleteError) {
      return httpError(400, "incomplete_body", error.message);
    }
    throw error;
  }

  const headers = collectHeaders(req.headers);
  const receiveTime = timestampFromDate(receivedAt);
  // One budget for the whole chain, starting once the body is in (a slow
  // upload has its own limit above); each call gets what is left of it as
  // its deadline, which Connect sends downstream and turns into a 504 here.
  const deadline = Date.now() + deps.timeoutMs;
  const budget = () => ({ timeoutMs: Math.max(1, deadline - Date.now()) });
  let integration: Integration | undefined;
  let alertCount: number | undefined;
  try {
    const auth = await deps.authenticate(
      {
        routingKey,
        headers,
        body,
        receiveTime,
        sourceAddress:
          sourceAddress ??
          clientAddress(
            req.socket.remoteAddress ?? "",
            headerText(req.headers["x-forwarded-for"]),
            deps.trustedProxies,
          ),
      },
      budget(),
    );
    const limit = auth.rateLimit;
    const limitHeaders = limit
      ? rateLimitHeaders(limit.limit, limit.remaining, limit.resetTime?.seconds)
      : {};
    integration = auth.integration;
    if (auth.disposition === Disposition.HANDLED || integration === undefined) {
      return {
        status: 200,
        headers: limitHeaders,
        body: { status: "accepted", message: auth.message, incidents: [] },
        integration,
      };
    }
    const normalizer = deps.normalizers.get(integration.type);
    if (normalizer === undefined) {
      return {
        ...httpError(501, "not_implemented", "this integration type is not available"),
        integration,
      };
    }
    const { alerts } = await normalizer({ integration, headers, body, receiveTime }, budget());
    alertCount = alerts.length;
    const { results } = await deps.ingest(
      {
        organizationId: integration.organizationId,
        integrationId: integration.id,
        deliveryKey: auth.deliveryKey,
        deliveryAlias: auth.deliveryAlias,
        alerts: alerts.filter((a) => a.action !== AlertAction.UNSPECIFIED),
        receiveTime,
      },
      budget(),
    );
    return {
      status: 202,
      headers: limitHeaders,
      body: {
        status: "accepted",
        incidents: results.map((r) => ({
          id: r.incidentId || null,
          action: actionNames[r.action],
          dedupKey: r.dedupKey || null,
        })),
      },
      integration,
      alerts: alertCount,
      results,
    };
  } catch (error) {
    const answer = httpErrorFromRpc(error);
    if (answer.status >= 500) {
      deps.logger.error({ err: error }, "webhook failed");
    }
    return integration === undefined ? answer : { ...answer, integration, alerts: alertCount };
  }
}

/** A header's value, its occurrences joined as HTTP allows for lists. */
function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(",") : value;
}

function mediaType(header: string | undefined): string | undefined {
  if (header === undefined || header.trim() === "") {
    return undefined;
  }
  return header.split(";")[0]?.trim().toLowerCase();
}

/**
 * The headers that can matter to verification or normalization: those the
 * provider registry lists (libs/providers). Every other header is dropped.
 */
function collectHeaders(incoming: IncomingHttpHeaders): Header[] {
  const headers: Header[] = [];
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || !FORWARDED_HEADERS.has(name)) {
      continue;
    }
    for (const v of Array.isArray(value) ? value : [value]) {
      headers.push(create(HeaderSchema, { name, value: v }));
    }
  }
  return headers;
}
