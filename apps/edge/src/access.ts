import { LabelCache, type Logger, type Span } from "@runframe/platform";
import { providerOf } from "@runframe/providers";
import { Counter, type Registry } from "prom-client";
import { actionNames, type WebhookAnswer } from "./webhook.js";

/**
 * What the edge records of every webhook once it is answered: one access-log
 * line at `info`, the webhook counter, and the end of the webhook's span.
 * docs/operations/observability.md lists the fields and labels.
 */
export type WebhookRecorder = (
  answer: WebhookAnswer,
  seconds: number,
  source: string,
  span: Span | undefined,
) => void;

/**
 * A webhook's outcome, from its status: the delivery outcomes of DESIGN
 * §12 (accepted, throttled, refused for payload or signature, too large,
 * failed), plus `handled` (an SNS confirmation auth answered itself) and
 * `refused` (a request that is not a webhook at all: method, content type,
 * upload timeout).
 */
export function outcomeOf(status: number): string {
  if (status === 202) {
    return "accepted";
  }
  if (status < 300) {
    return "handled";
  }
  switch (status) {
    case 400:
      return "refused_payload";
    case 401:
    case 403:
      return "refused_auth";
    case 413:
      return "too_large";
    case 429:
      return "throttled";
    default:
      return status < 500 ? "refused" : "failed";
  }
}

/** The error code of an answer (`routing_key_invalid`, `rate_limited`, …); undefined for a success. */
export function reasonOf(answer: WebhookAnswer): string | undefined {
  if (answer.reason !== undefined) {
    return answer.reason;
  }
  const body = answer.body as { error?: { code?: unknown } } | undefined;
  const code = body?.error?.code;
  return typeof code === "string" ? code : undefined;
}

export function createWebhookRecorder(logger: Logger, registry: Registry): WebhookRecorder {
  const webhooks = new Counter({
    name: "runframe_webhooks_total",
    help: "Webhooks answered, by integration type (unknown before auth has named it), outcome and reason (the error code of the answer; empty when accepted).",
    labelNames: ["integration_type", "outcome", "reason"] as const,
    registers: [registry],
  });
  const webhooksOf = new LabelCache((type, outcome, reason) =>
    webhooks.labels(type, outcome, reason),
  );
  return (answer, seconds, source, span) => {
    const { integration, status } = answer;
    const type = integration && providerOf(integration.type)?.name;
    const reason = reasonOf(answer);
    // Dry runs stored nothing: counted apart, so no delivery outcome moves.
    const outcome = answer.dryRun ? "dry_run" : outcomeOf(status);
    webhooksOf.get(type ?? "unknown", outcome, reason ?? "").inc();
    logger.info(
      {
        integrationId: integration?.id,
        integrationType: type,
        status,
        reason,
        dryRun: answer.dryRun,
        alerts: answer.alerts,
        actions: actionCounts(answer),
        durationMs: Math.round(seconds * 1e6) / 1e3,
        source,
      },
      "webhook",
    );
    if (span !== undefined) {
      span.setAttributes({
        "http.response.status_code": status,
        "runframe.integration.id": integration?.id,
        "runframe.integration.type": type,
        "runframe.alerts": answer.alerts,
        "error.type": status >= 500 ? String(status) : undefined,
      });
      if (status >= 500) {
        span.fail(reason ?? String(status));
      }
      span.end();
    }
  };
}

/** How many alerts each ingest action applied to, e.g. `{created: 2, updated: 1}`. */
function actionCounts(answer: WebhookAnswer): Record<string, number> | undefined {
  if (answer.results === undefined || answer.results.length === 0) {
    return undefined;
  }
  const counts: Record<string, number> = {};
  for (const result of answer.results) {
    const name = actionNames[result.action];
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}
