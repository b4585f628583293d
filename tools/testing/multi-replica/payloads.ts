/**
 * Webhooks of every provider for the multi-replica test, made from the
 * providers' own fixtures with the field that makes their dedup key varied,
 * each with an Idempotency-Key of its own (SNS messages also carry a
 * MessageId, signed with the test PKI).
 */
import { snsStringToSign, type SnsMessage } from "@runframe/auth-domain";
import { signSnsString, type SnsTestPki } from "@runframe/auth-domain/testing";
import { repoRoot } from "@runframe/platform/testing";
import type { ProviderName } from "@runframe/providers";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Delivery } from "./senders.js";

function fixture(
  provider: string,
  name: string,
): { body: unknown; headers: Record<string, string> } {
  const path = join(repoRoot, "libs/normalizers", provider, "src/fixtures", `${name}.json`);
  const f = JSON.parse(readFileSync(path, "utf8")) as {
    body: unknown;
    headers?: Record<string, string>;
  };
  return { body: f.body, headers: f.headers ?? {} };
}

/** Where SNS messages say their signing certificate is, and the key that signs them. */
export interface SnsSigner {
  readonly pki: SnsTestPki;
  readonly certUrl: string;
  readonly topicArn: string;
}

/** Makes deliveries for the integrations of one organization, by routing key. */
export class Payloads {
  readonly #datadog = fixture("datadog", "recommended-template-triggered-web-1");
  readonly #prometheus = fixture("prometheus", "two-firing-alerts");
  readonly #sentry = fixture("sentry", "issue-created");
  readonly #cloudwatch = fixture("cloudwatch", "metric-alarm");
  readonly #pagerduty = fixture("pagerduty", "documented-trigger");

  constructor(
    readonly routingKeys: Readonly<Record<ProviderName, string>>,
    readonly sns: SnsSigner,
  ) {}

  /** A custom webhook with `dedupKey`, to `routingKey` (the custom integration's by default). */
  custom(dedupKey: string, kind = "custom", routingKey = this.routingKeys.custom): Delivery {
    return delivery(kind, routingKey, {
      title: `load on ${dedupKey}`,
      service_id: "SER-00001",
      severity: "SEV2",
      dedup_key: dedupKey,
    });
  }

  /** A native webhook of `provider` whose alerts fall in one of a few dedup keys by `variant`. */
  native(provider: Exclude<ProviderName, "custom">, variant: number): Delivery {
    const key = this.routingKeys[provider];
    switch (provider) {
      case "datadog": {
        const body = structuredClone(this.#datadog.body) as { alert_id: string };
        body.alert_id = `4242${variant}`;
        return delivery(provider, key, body, this.#datadog.headers);
      }
      case "prometheus": {
        const body = structuredClone(this.#prometheus.body) as {
          alerts: { fingerprint: string }[];
        };
        for (const alert of body.alerts) {
          alert.fingerprint = `${alert.fingerprint}${variant}`;
        }
        return delivery(provider, key, body, this.#prometheus.headers);
      }
      case "sentry": {
        const body = structuredClone(this.#sentry.body) as { data: { issue: { id: string } } };
        body.data.issue.id = `1170820242${variant}`;
        return delivery(provider, key, body, this.#sentry.headers);
      }
      case "cloudwatch":
        return this.#snsAlarm(variant);
      case "pagerduty": {
        const body = structuredClone(this.#pagerduty.body) as {
          routing_key: string;
          dedup_key: string;
        };
        body.routing_key = key;
        body.dedup_key = `${body.dedup_key}-${variant}`;
        return delivery(provider, key, body, this.#pagerduty.headers);
      }
    }
  }

  #snsAlarm(variant: number): Delivery {
    const template = this.#cloudwatch.body as SnsMessage & { Message: string };
    const alarm = JSON.parse(template.Message) as { AlarmArn: string };
    alarm.AlarmArn = `${alarm.AlarmArn}-${variant}`;
    const unsigned: SnsMessage = {
      ...template,
      Message: JSON.stringify(alarm),
      MessageId: randomUUID(),
      TopicArn: this.sns.topicArn,
      SigningCertURL: this.sns.certUrl,
      SignatureVersion: "2",
    };
    const message = {
      ...unsigned,
      Signature: signSnsString(snsStringToSign(unsigned), this.sns.pki.leafKeyPem, "2"),
    };
    return delivery("cloudwatch", this.routingKeys.cloudwatch, message, {
      "content-type": "text/plain; charset=UTF-8",
      "x-amz-sns-message-type": "Notification",
    });
  }
}

function delivery(
  kind: string,
  routingKey: string,
  body: unknown,
  headers: Record<string, string> = {},
): Delivery {
  return new Delivery(kind, routingKey, JSON.stringify(body), {
    ...headers,
    "idempotency-key": randomUUID(),
  });
}
