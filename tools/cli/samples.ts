import { createHmac, randomUUID } from "node:crypto";

/** The integration types send-test has a sample for. */
export const SAMPLE_TYPES = ["custom", "datadog", "sentry", "prometheus", "cloudwatch"] as const;
export type SampleType = (typeof SAMPLE_TYPES)[number];

export interface SampleOptions {
  /** The sender's dedup key (custom), or what the native key is derived from. */
  readonly dedupKey: string;
  /** Send the sample's resolve instead of its trigger. */
  readonly resolve: boolean;
  /** Route to this service where the payload can name one (custom, Datadog, Alertmanager). */
  readonly serviceId: string | undefined;
  readonly signingSecret: string | undefined;
  readonly now: Date;
}

/** A webhook request: the exact body bytes and the headers to send with them. */
export interface SampleRequest {
  readonly body: string;
  readonly headers: Record<string, string>;
}

/**
 * A realistic payload of each provider, as it arrives at the webhook (the
 * same shapes as the normalizers' fixtures), signed where the integration
 * is. CloudWatch has none: SNS messages carry AWS's signature, which only
 * AWS can make.
 */
export function sample(type: SampleType, o: SampleOptions): SampleRequest {
  switch (type) {
    case "custom":
      return custom(o);
    case "datadog":
      return plain(datadog(o));
    case "sentry":
      return sentry(o);
    case "prometheus":
      return plain(alertmanager(o));
    case "cloudwatch":
      throw new Error(
        "CloudWatch deliveries are SNS messages signed by AWS, which the CLI cannot sign; send a test notification from the SNS console (Publish message) or the CloudWatch alarm instead",
      );
  }
}

function plain(payload: unknown): SampleRequest {
  return { body: JSON.stringify(payload), headers: { "content-type": "application/json" } };
}

function custom(o: SampleOptions): SampleRequest {
  const body = JSON.stringify({
    title: "Test alert from the runframe CLI",
    service_id: o.serviceId ?? "SER-00001",
    description: "Sent by `runframe send-test` to check the webhook path end to end.",
    severity: "SEV3",
    status: o.resolve ? "resolved" : "new",
    dedup_key: o.dedupKey,
    source_url: "https://runframe.example/cli/send-test",
    // Distinct bytes per send: a signed repeat within the same second would
    // otherwise be the same delivery, answered as the first (idempotency).
    metadata: { sent_by: "runframe send-test", sent_at: o.now.toISOString() },
  });
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (o.signingSecret !== undefined) {
    // The published scheme: hex HMAC-SHA256 over "<timestamp>.<raw body>".
    const timestamp = String(Math.floor(o.now.getTime() / 1000));
    const signature = createHmac("sha256", o.signingSecret)
      .update(`${timestamp}.${body}`)
      .digest("hex");
    headers["x-runframe-signature"] = `sha256=${signature}`;
    headers["x-runframe-timestamp"] = timestamp;
  }
  return { body, headers };
}

function datadog(o: SampleOptions) {
  const transition = o.resolve ? "Recovered" : "Triggered";
  const scope = `host:cli-test,${o.serviceId ? `service_id:${o.serviceId},` : ""}env:test`;
  const ms = String(o.now.getTime());
  return {
    id: String(o.now.getTime()),
    alert_id: o.dedupKey,
    aggreg_key: o.dedupKey,
    alert_transition: transition,
    alert_type: o.resolve ? "success" : "error",
    alert_priority: "P3",
    alert_scope: scope,
    alert_title: `[${transition} on {${scope}}] Test monitor from the runframe CLI`,
    title: `[P3] [${transition} on {${scope}}] Test monitor from the runframe CLI`,
    body: "%%%\nSent by `runframe send-test`.\n%%%",
    link: "https://app.datadoghq.com/monitors/0",
    tags: "env:test,host:cli-test,monitor",
    hostname: "cli-test",
    date: ms,
    last_updated: ms,
    event_type: "query_alert_monitor",
    org: { id: "0", name: "runframe CLI" },
    alert_metric: "system.cpu.user",
    alert_query: "avg(last_5m):avg:system.cpu.user{env:test} by {host} > 90",
    alert_status: "system.cpu.user was > 90.0 on average during the last 5m.",
    alert_cycle_key: randomUUID(),
  };
}

function sentry(o: SampleOptions): SampleRequest {
  const at = o.now.toISOString();
  const body = JSON.stringify({
    action: o.resolve ? "resolved" : "created",
    installation: { uuid: randomUUID() },
    data: {
      issue: {
        id: o.dedupKey,
        shortId: "CLI-TEST-1",
        title: "RuntimeError: test issue from the runframe CLI",
        culprit: "runframe send-test",
        level: "error",
        status: o.resolve ? "resolved" : "unresolved",
        substatus: o.resolve ? null : "new",
        platform: "node",
        project: { id: "1", name: "CLI test", slug: "cli-test", platform: "node" },
        type: "error",
        metadata: { type: "RuntimeError", value: "test issue from the runframe CLI" },
        count: "1",
        userCount: 0,
        firstSeen: at,
        lastSeen: at,
        web_url: `https://sentry.example/issues/${o.dedupKey}/`,
      },
    },
    actor: { type: "application", id: "sentry", name: "Sentry" },
  });
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "sentry-hook-resource": "issue",
    "sentry-hook-timestamp": String(Math.floor(o.now.getTime() / 1000)),
    "request-id": randomUUID(),
  };
  if (o.signingSecret !== undefined) {
    headers["sentry-hook-signature"] = createHmac("sha256", o.signingSecret)
      .update(body)
      .digest("hex");
  }
  return { body, headers };
}

function alertmanager(o: SampleOptions) {
  const status = o.resolve ? "resolved" : "firing";
  const labels = {
    alertname: "RunframeCliTest",
    instance: "cli-test:9100",
    job: "node",
    severity: "warning",
    ...(o.serviceId && { service_id: o.serviceId }),
  };
  return {
    version: "4",
    groupKey: '{}:{alertname="RunframeCliTest"}',
    truncatedAlerts: 0,
    status,
    receiver: "runframe",
    groupLabels: { alertname: "RunframeCliTest" },
    commonLabels: labels,
    commonAnnotations: {},
    externalURL: "http://alertmanager.example:9093",
    alerts: [
      {
        status,
        labels,
        annotations: {
          summary: "Test alert from the runframe CLI",
          description: "Sent by `runframe send-test` to check the webhook path end to end.",
        },
        startsAt: o.now.toISOString(),
        endsAt: o.resolve ? o.now.toISOString() : "0001-01-01T00:00:00Z",
        generatorURL: "http://prometheus.example:9090/graph",
        fingerprint: o.dedupKey,
      },
    ],
  };
}
