import { IntegrationType } from "@runframe/contracts";

/**
 * What auth checks, beyond the routing key, before a provider's delivery may
 * proceed (libs/auth/domain: `Authenticator`).
 *
 * - `runframe-hmac`: `X-Runframe-Signature` / `X-Runframe-Timestamp`, an
 *   HMAC-SHA256 of `${timestamp}.${body}` inside the replay window, when the
 *   integration has a signing secret.
 * - `sentry-hmac`: `sentry-hook-signature`, an HMAC-SHA256 of the body, when
 *   the integration has a signing secret.
 * - `sns`: an AWS SNS message signature, from a topic on the integration's
 *   allow-list (`snsTopicArns`, required); auth answers subscription
 *   confirmations itself.
 * - `routing-key`: nothing more; the routing key alone authenticates.
 */
export type Verification = "runframe-hmac" | "sentry-hmac" | "sns" | "routing-key";

/** The facts of one provider that are not derived from its name. */
interface ProviderFacts<N extends string> {
  /**
   * The provider's one name, lower case: the proto value
   * `INTEGRATION_TYPE_<NAME>`, `type` in provisioning files, and the
   * `<name>` in libs/normalizers/<name>, apps/normalizer-<name>,
   * RUNFRAME_NORMALIZER_<NAME>_URL and docs/providers/<name>.md.
   */
  readonly name: N;
  /** The integration type on the wire. */
  readonly type: IntegrationType;
  /** How people call the sender, for docs and logs. */
  readonly title: string;
  /** The normalizer app's default RPC port (its admin port is this + 1000). */
  readonly defaultPort: number;
  /**
   * Request headers this provider's verification or normalization reads;
   * the edge forwards these (and {@link COMMON_FORWARDED_HEADERS}) to auth
   * and the normalizer, and drops every other header. Lower case.
   */
  readonly forwardedHeaders: readonly string[];
  readonly verification: Verification;
  /**
   * The prefix (`<namespace>:`) of the dedup keys the normalizer derives,
   * or undefined when the sender's own key is used as is (custom). Dedup
   * keys are stored on open incidents: changing a namespace splits every
   * open incident from the alerts that should update it, so it never
   * changes without a migration of the stored keys.
   */
  readonly dedupNamespace: string | undefined;
  /**
   * Whether deliveries throttled with 429 are redriven by default
   * (IntegrationOptions.redrive_throttled): true for senders that never
   * retry a 429 (Alertmanager's webhook and Datadog, DESIGN §10), so a
   * throttled alert is not lost; false where the sender retries or its
   * behaviour is unknown.
   */
  readonly redriveThrottledByDefault: boolean;
}

/** One provider: its facts and what follows from its name. */
export interface Provider<N extends string = string> extends ProviderFacts<N> {
  /** The app under apps/ that serves its `NormalizerService`. */
  readonly app: `normalizer-${N}`;
  /** The setting that tells callers (the edge) where that app is. */
  readonly urlSetting: `RUNFRAME_NORMALIZER_${Uppercase<N>}_URL`;
  /** The page that tells users how to configure the sender, from the repository root. */
  readonly docs: `docs/providers/${N}.md`;
}

function row<const N extends string>(facts: ProviderFacts<N>): Provider<N> {
  return {
    ...facts,
    app: `normalizer-${facts.name}`,
    urlSetting: `RUNFRAME_NORMALIZER_${upperCase(facts.name)}_URL`,
    docs: `docs/providers/${facts.name}.md`,
  };
}

function upperCase<S extends string>(text: S): Uppercase<S> {
  // toUpperCase is what Uppercase<S> describes; TypeScript cannot see it.
  return text.toUpperCase() as Uppercase<S>;
}

/**
 * Every provider Runframe accepts webhooks from, in the order of their
 * proto values. The edge (normalizer clients, URL settings, forwarded
 * headers), auth (verification), provisioning files, `npm start`, the app
 * and port table, the test stack and the fixture suite read this table;
 * tests check that the proto enum, the normalizer apps, docker-compose.yml
 * and the Helm chart agree with it. docs/providers/README.md says how to
 * add a row.
 */
export const PROVIDERS = [
  row({
    name: "custom",
    type: IntegrationType.CUSTOM,
    title: "Custom webhook",
    defaultPort: 7101,
    forwardedHeaders: ["x-runframe-signature", "x-runframe-timestamp"],
    verification: "runframe-hmac",
    dedupNamespace: undefined,
    redriveThrottledByDefault: false,
  }),
  row({
    name: "datadog",
    type: IntegrationType.DATADOG,
    title: "Datadog",
    defaultPort: 7102,
    forwardedHeaders: [],
    verification: "routing-key",
    dedupNamespace: "datadog",
    redriveThrottledByDefault: true,
  }),
  row({
    name: "sentry",
    type: IntegrationType.SENTRY,
    title: "Sentry",
    defaultPort: 7103,
    forwardedHeaders: [
      "sentry-hook-resource",
      "sentry-hook-signature",
      "sentry-hook-timestamp",
      "request-id",
    ],
    verification: "sentry-hmac",
    dedupNamespace: "sentry",
    redriveThrottledByDefault: false,
  }),
  row({
    // Named after the project, as the published API and the proto name it;
    // the software that posts is Alertmanager, whose name the dedup keys of
    // the first release carry and keep (see dedupNamespace).
    name: "prometheus",
    type: IntegrationType.PROMETHEUS,
    title: "Prometheus Alertmanager",
    defaultPort: 7104,
    forwardedHeaders: [],
    verification: "routing-key",
    dedupNamespace: "alertmanager",
    redriveThrottledByDefault: true,
  }),
  row({
    name: "cloudwatch",
    type: IntegrationType.CLOUDWATCH,
    title: "AWS CloudWatch (through SNS)",
    defaultPort: 7105,
    forwardedHeaders: [
      "x-amz-sns-message-type",
      "x-amz-sns-message-id",
      "x-amz-sns-topic-arn",
      "x-amz-sns-subscription-arn",
    ],
    verification: "sns",
    dedupNamespace: "cloudwatch",
    redriveThrottledByDefault: false,
  }),
  row({
    // Not a monitoring tool but an API that almost every tool can call
    // (Alertmanager's pagerduty_configs, Grafana, Zabbix, CI systems): the
    // edge also serves it as PagerDuty does, on POST /v2/enqueue.
    name: "pagerduty",
    type: IntegrationType.PAGERDUTY,
    title: "PagerDuty Events API v2",
    defaultPort: 7106,
    forwardedHeaders: [],
    verification: "routing-key",
    // The sender's dedup_key is used as sent, as PagerDuty does: a sender
    // resolves with the key it triggered with, or that it was answered.
    dedupNamespace: undefined,
    // PagerDuty tells its senders to retry a 429, and they do.
    redriveThrottledByDefault: false,
  }),
] as const;

/** The name of a provider in {@link PROVIDERS}. */
export type ProviderName = (typeof PROVIDERS)[number]["name"];
/** The normalizer app of a provider in {@link PROVIDERS}. */
export type NormalizerAppName = (typeof PROVIDERS)[number]["app"];

/**
 * Headers the edge forwards whatever the provider: the content type and
 * user agent, and `Idempotency-Key`, which identifies a redelivery of any
 * unsigned request.
 */
export const COMMON_FORWARDED_HEADERS: readonly string[] = [
  "content-type",
  "user-agent",
  "idempotency-key",
];

/**
 * Every header the edge forwards. The edge cannot know the provider before
 * auth has resolved the routing key, so it forwards what any provider reads.
 */
export const FORWARDED_HEADERS: ReadonlySet<string> = new Set([
  ...COMMON_FORWARDED_HEADERS,
  ...PROVIDERS.flatMap((p) => p.forwardedHeaders),
]);

const byType = new Map<IntegrationType, Provider>(PROVIDERS.map((p) => [p.type, p]));
const byName = new Map<string, Provider>(PROVIDERS.map((p) => [p.name, p]));

/** The provider of an integration type; undefined for UNSPECIFIED or a value newer than this build. */
export function providerOf(type: IntegrationType): Provider | undefined {
  return byType.get(type);
}

/** The row of a provider named in code. */
export function provider(name: ProviderName): Provider {
  const found = byName.get(name);
  if (found === undefined) {
    // Unreachable while ProviderName is derived from PROVIDERS.
    throw new Error(`no provider ${name} in PROVIDERS`);
  }
  return found;
}

/** The provider called `name` (as in provisioning files), if any. */
export function providerNamed(name: string): Provider | undefined {
  return byName.get(name);
}

/** Whether integrations of this provider may have a signing secret. */
export function takesSigningSecret(type: IntegrationType): boolean {
  const verification = providerOf(type)?.verification;
  return verification === "runframe-hmac" || verification === "sentry-hmac";
}

/** Whether integrations of this provider name the SNS topics they accept (and must). */
export function takesSnsTopics(type: IntegrationType): boolean {
  return providerOf(type)?.verification === "sns";
}
