import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type {
  AuthenticateRequestSchema,
  AuthenticateResponse,
  ExplainIngestRequestSchema,
  ExplainIngestResponse,
  IdentifyRoutingKeyRequestSchema,
  IdentifyRoutingKeyResponse,
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
  DeliveryOutcome,
  Disposition,
  HeaderSchema,
  IngestAction,
  type Header,
} from "@runframe/contracts";
import { currentRequest, UNAVAILABLE_RETRY_SECONDS, type Logger } from "@runframe/platform";
import { FORWARDED_HEADERS } from "@runframe/providers";
import { TOO_LARGE_KEPT_BYTES } from "@runframe/util";
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import type { BlockList } from "node:net";
import { clientAddress, headerText } from "./client-address.js";
import { BodyIncompleteError, BodyTimeoutError, BodyTooLargeError, readBody } from "./body.js";
import { dryRunBody, dryRunOf } from "./dry-run.js";
import { httpError, httpErrorFromRpc, rateLimitHeaders, type HttpError } from "./http-errors.js";
import {
  envelopeOf,
  inboxHeaders,
  outcomeOf,
  refusedIntegration,
  reportOf,
  type InboxRecorder,
  type Received,
  type Stage,
} from "./inbox.js";

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
  /** What ingesting would do, for a dry run: stores nothing. */
  readonly explain: Call<
    MessageInitShape<typeof ExplainIngestRequestSchema>,
    ExplainIngestResponse
  >;
  /** The integration of a routing key, for a delivery refused before auth (413). */
  readonly identify: Call<
    MessageInitShape<typeof IdentifyRoutingKeyRequestSchema>,
    IdentifyRoutingKeyResponse
  >;
  /** Where deliveries that were not ingested are recorded. */
  readonly inbox: Pick<InboxRecorder, "now" | "later">;
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
  /** The error code, where the body does not carry it as `error.code` (PagerDuty's shape). */
  readonly reason?: string | undefined;
  /** The answer of a dry run (`?dry_run=true`), which stored nothing, whatever its status. */
  readonly dryRun?: true;
}

/**
 * Content types senders use: JSON from most tools, `text/plain` from AWS SNS.
 * A request without a Content-Type is read as-is; the normalizer decides.
 */
const acceptedContentTypes = new Set(["application/json", "text/plain"]);

/** Routing keys are URL-safe tokens; anything else cannot be one. */
export const routingKeyPattern = /^[A-Za-z0-9_-]{8,128}$/;

/** What the webhook answer (and the access log) calls each ingest action. */
export const actionNames: Record<IngestAction, string> = {
  [IngestAction.UNSPECIFIED]: "ignored",
  [IngestAction.CREATED]: "created",
  [IngestAction.UPDATED]: "updated",
  [IngestAction.RESOLVED]: "resolved",
  [IngestAction.IGNORED]: "ignored",
  [IngestAction.ACKNOWLEDGED]: "acknowledged",
};

/**
 * Handles `POST /webhooks/{routingKey}`: reads the raw body within its
 * limit, then authenticates, normalizes and ingests through the internal
 * services, answering only once the incident writes are durable. With
 * `?dry_run=true` it answers what ingesting would do instead (./dry-run.ts).
 * `sourceAddress` is the sender's (see clientAddress), when the caller has
 * worked it out already.
 */
export async function handleWebhook(
  deps: WebhookDeps,
  req: IncomingMessage,
  routingKey: string,
  sourceAddress = sourceOf(deps, req),
): Promise<WebhookAnswer> {
  const receivedAt = new Date();
  if (req.method !== "POST") {
    return httpError(405, "method_not_allowed", "webhooks must be sent with POST", {
      allow: "POST",
    });
  }
  const dryRun = dryRunOf(req.url);
  if (typeof dryRun !== "boolean") {
    return dryRun;
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
  const received = receiver(req, receivedAt, sourceAddress);
  let body: Buffer;
  try {
    body = await readBody(req, deps.maxBodyBytes, deps.bodyTimeoutMs, TOO_LARGE_KEPT_BYTES);
  } catch (error) {
    const answer = bodyRefusal(error);
    if (dryRun) {
      // A dry run is recorded nowhere.
      return { ...answer, dryRun };
    }
    if (error instanceof BodyTooLargeError) {
      recordTooLarge(deps, routingKey, received(error.prefix, error.size), answer);
    }
    return answer;
  }
  return deliver(deps, req, { routingKey, body, received: received(body), dryRun });
}

/** The answer to a request body that could not be read; anything else is rethrown. */
export function bodyRefusal(error: unknown): HttpError {
  if (error instanceof BodyTooLargeError) {
    return httpError(
      413,
      "payload_too_large",
      `request body must be at most ${error.limit} bytes`,
      { connection: "close" },
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

/** The sender's address: the socket's, or a trusted proxy's X-Forwarded-For client. */
export function sourceOf(deps: Pick<WebhookDeps, "trustedProxies">, req: IncomingMessage): string {
  return clientAddress(
    req.socket.remoteAddress ?? "",
    headerText(req.headers["x-forwarded-for"]),
    deps.trustedProxies,
  );
}

/**
 * The delivery of a request as the inbox keeps it, once its body (or, of a
 * body too large, its first bytes) is in.
 */
export function receiver(
  req: IncomingMessage,
  receivedAt: Date,
  sourceAddress: string,
): (body: Uint8Array, bodySize?: number) => Received {
  const headers = inboxHeaders(req.headers);
  const receiveTime = timestampFromDate(receivedAt);
  return (body, bodySize = body.length) => ({
    requestId: currentRequest()?.requestId ?? "",
    sourceAddress,
    headers,
    body,
    bodySize,
    receiveTime,
  });
}

/** A delivery whose body is in, and what it must be sent to. */
export interface Delivery {
  readonly routingKey: string;
  /** The body as sent, for auth and the normalizer. */
  readonly body: Buffer;
  /** The delivery as the inbox keeps it (its body may be redacted). */
  readonly received: Received;
  /** Refuse the routing key (401) unless its integration is of this type. */
  readonly only?: IntegrationType;
  /** Answer what ingesting would do, storing nothing (./dry-run.ts). */
  readonly dryRun?: boolean;
}

/**
 * Authenticates, normalizes and ingests one delivery whose body is in; the
 * answer is the webhook API's (`POST /v2/enqueue` reshapes it as PagerDuty's).
 */
export async function deliver(
  deps: WebhookDeps,
  req: IncomingMessage,
  { routingKey, body, received: delivery, only, dryRun = false }: Delivery,
): Promise<WebhookAnswer> {
  const headers = collectHeaders(req.headers);
  const { receiveTime, sourceAddress } = delivery;
  // One budget for the whole chain, starting once the body is in (a slow
  // upload has its own limit above); each call gets what is left of it as
  // its deadline, which Connect sends downstream and turns into a 504 here.
  const deadline = Date.now() + deps.timeoutMs;
  const budget = () => ({ timeoutMs: Math.max(1, deadline - Date.now()) });
  let stage: Stage = "auth";
  let auth: AuthenticateResponse | undefined;
  let alertCount: number | undefined;
  try {
    auth = await deps.authenticate(
      { routingKey, headers, body, receiveTime, sourceAddress, dryRun },
      budget(),
    );
    const limit = auth.rateLimit;
    const limitHeaders = limit
      ? rateLimitHeaders(limit.limit, limit.remaining, limit.resetTime?.seconds)
      : {};
    const integration = auth.integration;
    if (only !== undefined && integration?.type !== only) {
      return httpError(401, "routing_key_invalid", "unknown or disabled routing key");
    }
    if (auth.disposition === Disposition.HANDLED || integration === undefined) {
      return {
        status: 200,
        headers: limitHeaders,
        body: dryRun
          ? { status: "dry_run", message: auth.message, incidents: [], alerts: [] }
          : { status: "accepted", message: auth.message, incidents: [] },
        integration,
        ...(dryRun && { dryRun }),
      };
    }
    const normalizer = deps.normalizers.get(integration.type);
    if (normalizer === undefined) {
      stage = "normalize";
      const answer = httpError(501, "not_implemented", "this integration type is not available");
      if (dryRun) {
        return { ...answer, integration, dryRun };
      }
      deps.inbox.later(
        reportOf(
          envelopeOf(delivery, integration, true, auth.deliveryKey),
          DeliveryOutcome.FAILED,
          answer,
        ),
      );
      return { ...answer, integration };
    }
    stage = "normalize";
    const { alerts } = await normalizer({ integration, headers, body, receiveTime }, budget());
    alertCount = alerts.length;
    stage = "ingest";
    const ingest = {
      organizationId: integration.organizationId,
      integrationId: integration.id,
      deliveryKey: auth.deliveryKey,
      deliveryAlias: auth.deliveryAlias,
      alerts: alerts.filter((a) => a.action !== AlertAction.UNSPECIFIED),
      receiveTime,
    };
    if (dryRun) {
      // Its options (heartbeat, auto-resolve, flapping) apply.
      const explained = await deps.explain({ ingest: { ...ingest, integration } }, budget());
      return {
        status: 200,
        headers: limitHeaders,
        body: dryRunBody(ingest.alerts, explained, actionNames),
        integration,
        alerts: alertCount,
        dryRun,
      };
    }
    const { results } = await deps.ingest(
      {
        ...ingest,
        // Recorded in the inbox in the same commit as the incidents. It
        // carries the integration, whose options apply (an unset
        // IngestRequest.integration means the envelope's).
        envelope: envelopeOf(delivery, integration, true, auth.deliveryKey),
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
      deps.logger.error({ err: error, stage }, "webhook failed");
    }
    const integration = auth?.integration ?? refusedIntegration(error);
    if (dryRun) {
      return { ...answer, integration, alerts: alertCount, dryRun };
    }
    if (integration === undefined) {
      // An unknown routing key, or auth could not tell: nothing is stored.
      return answer;
    }
    const told = { integration, alerts: alertCount };
    const { outcome, verified } = outcomeOf(stage, answer, error);
    const report = reportOf(
      envelopeOf(delivery, integration, verified, auth?.deliveryKey),
      outcome,
      answer,
    );
    if (outcome !== DeliveryOutcome.THROTTLED) {
      deps.inbox.later(report);
      return { ...answer, ...told };
    }
    // The sender will not retry a 429 (Alertmanager, Datadog): answer it
    // only once the delivery is kept, else ask for a retry.
    try {
      await deps.inbox.now(report);
      return { ...answer, ...told };
    } catch (recordError) {
      deps.logger.error({ err: recordError }, "could not record a throttled delivery");
      return {
        ...httpError(503, "unavailable", "temporarily unavailable; retry later", {
          "retry-after": String(UNAVAILABLE_RETRY_SECONDS),
        }),
        ...told,
      };
    }
  }
}

/** Records a body refused as too large, if its routing key names an integration. */
function recordTooLarge(
  deps: WebhookDeps,
  routingKey: string,
  delivery: Received,
  answer: HttpError,
): void {
  deps
    .identify({ routingKey, sourceAddress: delivery.sourceAddress }, { timeoutMs: 5_000 })
    .then(({ integration }) => {
      if (integration !== undefined) {
        deps.inbox.later(
          reportOf(envelopeOf(delivery, integration, false), DeliveryOutcome.TOO_LARGE, answer),
        );
      }
    })
    .catch(() => {
      // An unknown routing key (or auth away): nothing to record it under.
    });
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
export function collectHeaders(incoming: IncomingHttpHeaders): Header[] {
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
