import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  Disposition,
  type AuthenticateRequest,
  type Integration,
  type AuthenticateResponseSchema,
  type IntegrationType,
} from "@runframe/contracts";
import { providerOf } from "@runframe/providers";
import {
  DomainError,
  NotFoundError,
  PermissionDeniedError,
  ResourceExhaustedError,
  TtlCache,
  UnauthenticatedError,
  UnavailableError,
} from "@runframe/util";
import { createHash } from "node:crypto";
import { toIntegration } from "./convert.js";
import { hashSecret } from "./keys.js";
import type { IntegrationRecord, IntegrationRepository } from "./model.js";
import { rateLimitState, type RateLimitDecision, type RateLimiter } from "./rate-limit.js";
import type { SecretBox } from "./secret-box.js";
import { headerValue, verifyCustomSignature, verifySentrySignature } from "./signing.js";
import { isAllowedTopic, parseSnsEnvelope, type SnsVerifier } from "./sns.js";

const MINUTE_MS = 60_000;
/**
 * How long a counted delivery's identity is remembered, so that its repeats
 * are counted apart from the quota: longer than a signature's replay window
 * (5 minutes back, 1 ahead), and long enough for SNS's quick retries.
 */
const SEEN_FOR_MS = 10 * MINUTE_MS;

/** Limits on refused attempts, kept apart from the routing key's quota. */
export interface FailureLimits {
  /** Failed signature checks per routing key per minute. */
  readonly perKey: number;
  /** Failed attempts (bad signature or unknown key) per source address per minute. */
  readonly perSource: number;
}

export const DEFAULT_FAILURE_LIMITS: FailureLimits = { perKey: 30, perSource: 60 };

/** Dry runs per routing key per minute, unless configured. */
export const DEFAULT_DRY_RUN_LIMIT = 10;

export interface AuthenticatorDeps {
  readonly integrations: IntegrationRepository;
  readonly limiter: RateLimiter;
  readonly secrets: SecretBox;
  readonly failureLimits?: FailureLimits;
  /**
   * Dry runs per routing key per minute: counted apart from the key's quota,
   * which they never use, and small, since each costs a normalization and
   * reads of the store.
   */
  readonly dryRunLimitPerMinute?: number;
  /** How long a routing-key lookup is cached; bounds how long a rotated key keeps working on other replicas. */
  readonly cacheTtlMs?: number;
  readonly now?: () => Date;
  /** SNS verification and subscription confirmation, for CloudWatch integrations. */
  readonly sns?: SnsSupport;
  /** Told of refusals and throttles, for metrics. */
  readonly events?: AuthEvents;
}

/** Why a delivery was answered 429. */
export type ThrottleReason =
  /** The routing key's quota (rateLimitPerMinute) is used up. */
  | "quota"
  /** One delivery was sent again too often (repeats have a bucket of their own). */
  | "repeats"
  /** Too many refused attempts from the source address or against the key. */
  | "failed_attempts"
  /** Too many dry runs against the key (they have a limit of their own). */
  | "dry_runs";

/**
 * What the Authenticator tells its owner as it decides, so the app can
 * count it (the domain knows no metrics library). `type` is undefined
 * when the routing key names no integration.
 */
export interface AuthEvents {
  /**
   * A delivery refused for its credentials: an unknown or disabled routing
   * key (`ROUTING_KEY_INVALID`), a bad signature or timestamp, an SNS topic
   * not allowed…; `reason` is the refusal's reason (or its kind).
   */
  refused(type: IntegrationType | undefined, reason: string): void;
  /** A delivery answered 429. */
  throttled(type: IntegrationType | undefined, reason: ThrottleReason): void;
}

/** What auth needs to accept CloudWatch alarms through SNS. */
export interface SnsSupport {
  readonly verifier: SnsVerifier;
  /** Visits a SubscribeURL (HTTPS GET); rejects when AWS does not answer 2xx. */
  confirmSubscription(url: URL): Promise<void>;
}

/** What verification decided for one delivery. */
interface Verified {
  readonly deliveryKey: string;
  readonly disposition: Disposition;
  readonly message: string;
}

const PROCEED: Verified = { deliveryKey: "", disposition: Disposition.PROCEED, message: "" };

type AuthenticateResult = MessageInitShape<typeof AuthenticateResponseSchema>;

/**
 * Decides whether one webhook may proceed. The order matters:
 * 1. Unknown or disabled routing keys are refused (401) and counted per
 *    source address, so keys cannot be enumerated cheaply.
 * 2. Signatures are verified before the key's quota is touched: a request
 *    with a bad signature is refused (401) and counted in separate per-key
 *    and per-source failure limits, so a leaked routing key cannot starve a
 *    signed integration.
 * 3. Only then is the request counted against the key's quota (429 beyond),
 *    or, for a dry run, against the key's dry-run limit instead: a dry run
 *    uses up nothing of the quota and is not remembered as seen, so the
 *    real delivery of the same bytes is counted, and applied, as fresh.
 */
export class Authenticator {
  readonly #deps: AuthenticatorDeps;
  readonly #failureLimits: FailureLimits;
  readonly #dryRunLimit: number;
  readonly #cache: TtlCache<string, { record: IntegrationRecord | null; at: number }>;
  readonly #freshMs: number;
  readonly #now: () => Date;
  readonly #views = new WeakMap<IntegrationRecord, Integration>();
  readonly #reading = new Map<string, Promise<IntegrationRecord | undefined>>();

  constructor(deps: AuthenticatorDeps) {
    this.#deps = deps;
    this.#failureLimits = deps.failureLimits ?? DEFAULT_FAILURE_LIMITS;
    this.#dryRunLimit = deps.dryRunLimitPerMinute ?? DEFAULT_DRY_RUN_LIMIT;
    this.#freshMs = deps.cacheTtlMs ?? 5_000;
    // Entries live twice as long as they are fresh: a stale one is still
    // served while it is read again in the background (below).
    this.#cache = new TtlCache(this.#freshMs * 2, 10_000);
    this.#now = deps.now ?? (() => new Date());
  }

  async authenticate(req: AuthenticateRequest): Promise<AuthenticateResult> {
    const keyHash = hashSecret(req.routingKey);
    const source = req.sourceAddress || "unknown";
    const integration = await this.#known(keyHash, source);
    try {
      return await this.#authenticateKnown(integration, keyHash, source, req);
    } catch (error) {
      throw new RefusedDelivery(error, this.#view(integration));
    }
  }

  /**
   * The integration of a routing key, for a delivery refused before
   * authentication (a body over the size limit): the edge records it in
   * that integration's inbox. Unknown keys count as failed attempts.
   */
  async identify(routingKey: string, sourceAddress: string): Promise<Integration> {
    const integration = await this.#known(hashSecret(routingKey), sourceAddress || "unknown");
    return this.#view(integration);
  }

  /**
   * Counts one delivery against an integration's current routing key's
   * quota, as authenticate does: the redrive of throttled deliveries stays
   * within the key's limit.
   */
  async consumeQuota(organizationId: string, integrationId: string): Promise<RateLimitDecision> {
    const integration = await this.#deps.integrations.get(organizationId, integrationId);
    if (integration === undefined || !integration.enabled) {
      throw new NotFoundError(`integration ${integrationId} not found or disabled`, {
        reason: "INTEGRATION_NOT_FOUND",
      });
    }
    return this.#deps.limiter.consume(
      quotaKey(integration.routingKeyHash),
      integration.rateLimitPerMinute,
      MINUTE_MS,
    );
  }

  /** The enabled integration of a routing key; unknown keys are counted per source and refused. */
  async #known(keyHash: string, source: string): Promise<IntegrationRecord> {
    const integration = await this.#lookup(keyHash);
    if (integration === undefined || !integration.enabled) {
      this.#deps.events?.refused(integration?.type, "ROUTING_KEY_INVALID");
      await this.#countFailure(
        `unknown-key:${source}`,
        this.#failureLimits.perSource,
        integration?.type,
      );
      throw new UnauthenticatedError("unknown or disabled routing key", {
        reason: "ROUTING_KEY_INVALID",
      });
    }
    return integration;
  }

  async #authenticateKnown(
    integration: IntegrationRecord,
    keyHash: string,
    source: string,
    req: AuthenticateRequest,
  ): Promise<AuthenticateResult> {
    const now = req.receiveTime ? timestampDate(req.receiveTime) : this.#now();
    let verified: Verified;
    try {
      verified = await this.#verify(integration, req, now);
    } catch (error) {
      // Every refused delivery counts, including SNS ones that failed on the
      // topic or the certificate host: each may have cost an outbound fetch.
      if (error instanceof DomainError) {
        if (error.kind !== "unavailable") {
          this.#deps.events?.refused(integration.type, error.reason ?? error.kind);
        }
        await this.#countFailure(
          `bad-signature:{${keyHash}}`,
          this.#failureLimits.perKey,
          integration.type,
        );
        await this.#countFailure(
          `bad-signature-source:${source}`,
          this.#failureLimits.perSource,
          integration.type,
        );
      }
      throw error;
    }

    // What the signature covers identifies a signed delivery. The sender's
    // Idempotency-Key can only add a second identity (a retry re-signed with
    // a fresh timestamp is the same delivery), never replace it: otherwise a
    // captured request replayed with new keys would count as new each time.
    const idempotencyKey = headerValue(req.headers, "idempotency-key")?.trim();
    const sentKey = idempotencyKey ? `idempotency-key:${idempotencyKey}` : "";
    const [primary, alias] = verified.deliveryKey ? [verified.deliveryKey, sentKey] : [sentKey, ""];
    const deliveryKey = primary && digest(`${integration.id}\n${primary}`);
    const deliveryAlias = alias && digest(`${integration.id}\n${alias}`);

    const quota = quotaKey(keyHash);
    const limit = integration.rateLimitPerMinute;
    // A dry run counts against a limit of its own, never the key's quota.
    const decision = req.dryRun
      ? {
          ...(await this.#deps.limiter.consume(
            `dry-run:{${keyHash}}`,
            this.#dryRunLimit,
            MINUTE_MS,
          )),
          repeat: false,
        }
      : deliveryKey
        ? await this.#deps.limiter.consumeDelivery({
            key: quota,
            limit,
            repeatKey: `repeats:{${keyHash}}`,
            repeatLimit: limit,
            windowMs: MINUTE_MS,
            deliveryIds: [deliveryKey, deliveryAlias].filter((id) => id !== ""),
            seenForMs: SEEN_FOR_MS,
          })
        : { ...(await this.#deps.limiter.consume(quota, limit, MINUTE_MS)), repeat: false };
    if (!decision.allowed) {
      const why = req.dryRun ? "dry_runs" : decision.repeat ? "repeats" : "quota";
      this.#deps.events?.throttled(integration.type, why);
      throw rateLimited(decision, THROTTLED[why]);
    }
    return {
      integration: this.#view(integration),
      deliveryKey,
      deliveryAlias,
      repeat: decision.repeat,
      disposition: verified.disposition,
      message: verified.message,
      rateLimit: rateLimitState(decision),
    };
  }

  /**
   * The public view of a looked-up integration, built once per record: the
   * cache hands out the same record until it changes, and every webhook
   * answer carries it.
   */
  #view(record: IntegrationRecord) {
    let view = this.#views.get(record);
    if (view === undefined) {
      view = toIntegration(record);
      this.#views.set(record, view);
    }
    return view;
  }

  /** Forgets a cached lookup (after rotate or disable on this replica). */
  invalidate(routingKeyHash: string): void {
    this.#cache.delete(routingKeyHash);
    this.#reading.delete(routingKeyHash);
  }

  /**
   * The integration of a routing key, from the cache or the store. Lookups
   * of one key that miss together share one read: when a hot key's entry
   * expires under load, the store sees one query, not one per webhook.
   */
  async #lookup(keyHash: string): Promise<IntegrationRecord | undefined> {
    const cached = this.#cache.get(keyHash);
    if (cached !== undefined) {
      if (Date.now() - cached.at >= this.#freshMs) {
        // Stale: answer from it while it is read again, so a hot key never
        // waits on the store. A change made elsewhere is seen within about
        // `cacheTtlMs`; a key unused for twice that is read before answering.
        this.#read(keyHash).catch(() => undefined);
      }
      return cached.record ?? undefined;
    }
    return this.#read(keyHash);
  }

  #read(keyHash: string): Promise<IntegrationRecord | undefined> {
    let reading = this.#reading.get(keyHash);
    if (reading === undefined) {
      reading = this.#deps.integrations.findByRoutingKeyHash(keyHash).then(
        (found) => {
          // An invalidation during the read (a rotation here) wins over what was read.
          if (this.#reading.get(keyHash) === reading) {
            this.#reading.delete(keyHash);
            this.#cache.set(keyHash, { record: found ?? null, at: Date.now() });
          }
          return found;
        },
        (error: unknown) => {
          if (this.#reading.get(keyHash) === reading) {
            this.#reading.delete(keyHash);
          }
          throw error;
        },
      );
      this.#reading.set(keyHash, reading);
    }
    return reading;
  }

  /**
   * Verifies what the integration's provider requires (its `verification`
   * in the provider registry) and says what identifies the delivery.
   */
  async #verify(
    integration: IntegrationRecord,
    req: AuthenticateRequest,
    now: Date,
  ): Promise<Verified> {
    switch (providerOf(integration.type)?.verification) {
      case "runframe-hmac": {
        const secrets = this.#secrets(integration, now);
        if (secrets.length === 0) {
          return PROCEED;
        }
        const { timestamp, signature } = verifyCustomSignature({
          headers: req.headers,
          body: req.body,
          secrets,
          now,
        });
        return { ...PROCEED, deliveryKey: `signature:${timestamp}:${signature}` };
      }
      case "sentry-hmac": {
        const secrets = this.#secrets(integration, now);
        if (secrets.length > 0) {
          verifySentrySignature({ headers: req.headers, body: req.body, secrets });
        }
        const requestId = headerValue(req.headers, "request-id")?.trim();
        return { ...PROCEED, deliveryKey: requestId ? `sentry:${requestId}` : "" };
      }
      case "sns":
        return this.#verifySns(integration, req);
      default:
        return PROCEED;
    }
  }

  /**
   * SNS: the topic must be on the integration's allow-list (any AWS account
   * can sign SNS messages), the signature must verify against the AWS
   * certificate, and only then are confirmations acted on. Unsubscribe
   * confirmations are recorded, never visited.
   */
  async #verifySns(integration: IntegrationRecord, req: AuthenticateRequest): Promise<Verified> {
    const sns = this.#deps.sns;
    if (sns === undefined) {
      throw new UnauthenticatedError("SNS verification is not configured", {
        reason: "SNS_UNSUPPORTED",
      });
    }
    const message = parseSnsEnvelope(req.body);
    if (!isAllowedTopic(message.TopicArn ?? "", integration.snsTopicArns)) {
      throw new PermissionDeniedError("this SNS topic is not allowed for the integration", {
        reason: "TOPIC_NOT_ALLOWED",
      });
    }
    await sns.verifier.verify(message);
    switch (message.Type) {
      case "SubscriptionConfirmation": {
        const subscribe = sameHostHttps(message.SubscribeURL ?? "", message.SigningCertURL ?? "");
        if (req.dryRun) {
          return {
            deliveryKey: "",
            disposition: Disposition.HANDLED,
            message: "dry run: the SNS subscription would be confirmed",
          };
        }
        try {
          await sns.confirmSubscription(subscribe);
        } catch (error) {
          // AWS resends the confirmation; a refused or redirected visit is
          // retryable, and it counts in the failure limits like any refusal.
          throw new UnavailableError("could not confirm the SNS subscription; retry later", {
            reason: "SNS_SUBSCRIBE_FAILED",
            cause: error,
          });
        }
        return {
          deliveryKey: "",
          disposition: Disposition.HANDLED,
          message: "SNS subscription confirmed",
        };
      }
      case "UnsubscribeConfirmation":
        return {
          deliveryKey: "",
          disposition: Disposition.HANDLED,
          message: "SNS unsubscribe confirmation recorded",
        };
      default:
        return { ...PROCEED, deliveryKey: `sns:${message.MessageId ?? ""}` };
    }
  }

  #secrets(integration: IntegrationRecord, now: Date): string[] {
    return integration.signingSecrets
      .filter((s) => s.notAfter === undefined || s.notAfter > now)
      .map((s) => this.#deps.secrets.open(s.sealed, integration.id));
  }

  async #countFailure(
    key: string,
    limit: number,
    type: IntegrationType | undefined,
  ): Promise<void> {
    const decision = await this.#deps.limiter.consume(key, limit, MINUTE_MS);
    if (!decision.allowed) {
      this.#deps.events?.throttled(type, "failed_attempts");
      throw rateLimited(decision, THROTTLED.failed_attempts);
    }
  }
}

/**
 * Why a delivery to a known, enabled routing key did not pass (a bad
 * signature, a throttle, a malformed envelope, a store outage…), with the
 * integration it was sent to, so the edge can record the delivery in that
 * integration's inbox. Auth's routes answer `failure` as any error, with the
 * integration as an extra detail.
 */
export class RefusedDelivery extends Error {
  constructor(
    readonly failure: unknown,
    readonly integration: Integration,
  ) {
    super(failure instanceof Error ? failure.message : String(failure), { cause: failure });
    this.name = "RefusedDelivery";
  }
}

/** The rate limiter's key of a routing key's quota (hash-tagged for Redis Cluster). */
function quotaKey(routingKeyHash: string): string {
  return `quota:{${routingKeyHash}}`;
}

/** What a sender is told of each throttle: the message, and the reason in its details. */
const THROTTLED: Record<ThrottleReason, { readonly message: string; readonly reason: string }> = {
  quota: { message: "rate limit exceeded for this routing key", reason: "RATE_LIMITED" },
  repeats: {
    message: "too many repeats of the same delivery for this routing key",
    reason: "RATE_LIMITED",
  },
  dry_runs: { message: "too many dry runs for this routing key", reason: "DRY_RUN_LIMITED" },
  failed_attempts: {
    message: "too many failed attempts; slow down",
    reason: "FAILED_ATTEMPTS_LIMITED",
  },
};

function rateLimited(
  decision: RateLimitDecision,
  { message, reason }: (typeof THROTTLED)[ThrottleReason],
): ResourceExhaustedError {
  return new ResourceExhaustedError(
    message,
    Math.max(1, Math.ceil(decision.retryAfterMs / 1000)),
    { limit: decision.limit, remaining: decision.remaining, resetAt: decision.resetAt },
    { reason },
  );
}

/**
 * The SubscribeURL, accepted only over https on the very host whose
 * certificate signed the message (which itself passed the URL policy).
 */
function sameHostHttps(subscribeUrl: string, certUrl: string): URL {
  let url: URL;
  try {
    url = new URL(subscribeUrl);
  } catch {
    throw new UnauthenticatedError("SubscribeURL is not a URL", {
      reason: "SNS_SUBSCRIBE_URL_REJECTED",
    });
  }
  if (
    url.protocol !== "https:" ||
    url.username !== "" ||
    url.password !== "" ||
    url.host !== new URL(certUrl).host
  ) {
    throw new UnauthenticatedError(
      "SubscribeURL must be https on the SNS host that signed the message",
      {
        reason: "SNS_SUBSCRIBE_URL_REJECTED",
      },
    );
  }
  return url;
}

function digest(text: string): string {
  return createHash("sha256").update(text).digest("base64url");
}
