import { timestampFromDate, timestampDate } from "@bufbuild/protobuf/wkt";
import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  Disposition,
  IntegrationType,
  type AuthenticateRequest,
  type AuthenticateResponseSchema,
} from "@runframe/contracts";
import { ResourceExhaustedError, TtlCache, UnauthenticatedError } from "@runframe/util";
import { createHash } from "node:crypto";
import { toIntegration } from "./convert.js";
import { hashSecret } from "./keys.js";
import type { IntegrationRecord, IntegrationRepository } from "./model.js";
import type { RateLimitDecision, RateLimiter } from "./rate-limit.js";
import type { SecretBox } from "./secret-box.js";
import { headerValue, verifyCustomSignature } from "./signing.js";

const MINUTE_MS = 60_000;

/** Limits on refused attempts, kept apart from the routing key's quota. */
export interface FailureLimits {
  /** Failed signature checks per routing key per minute. */
  readonly perKey: number;
  /** Failed attempts (bad signature or unknown key) per source address per minute. */
  readonly perSource: number;
}

export const DEFAULT_FAILURE_LIMITS: FailureLimits = { perKey: 30, perSource: 60 };

export interface AuthenticatorDeps {
  readonly integrations: IntegrationRepository;
  readonly limiter: RateLimiter;
  readonly secrets: SecretBox;
  readonly failureLimits?: FailureLimits;
  /** How long a routing-key lookup is cached; bounds how long a rotated key keeps working on other replicas. */
  readonly cacheTtlMs?: number;
  readonly now?: () => Date;
}

type AuthenticateResult = MessageInitShape<typeof AuthenticateResponseSchema>;

/**
 * Decides whether one webhook may proceed. The order matters:
 * 1. Unknown or disabled routing keys are refused (401) and counted per
 *    source address, so keys cannot be enumerated cheaply.
 * 2. Signatures are verified before the key's quota is touched: a request
 *    with a bad signature is refused (401) and counted in separate per-key
 *    and per-source failure limits, so a leaked routing key cannot starve a
 *    signed integration.
 * 3. Only then is the request counted against the key's quota (429 beyond).
 */
export class Authenticator {
  readonly #deps: AuthenticatorDeps;
  readonly #failureLimits: FailureLimits;
  readonly #cache: TtlCache<string, IntegrationRecord | null>;
  readonly #now: () => Date;

  constructor(deps: AuthenticatorDeps) {
    this.#deps = deps;
    this.#failureLimits = deps.failureLimits ?? DEFAULT_FAILURE_LIMITS;
    this.#cache = new TtlCache(deps.cacheTtlMs ?? 5_000, 10_000);
    this.#now = deps.now ?? (() => new Date());
  }

  async authenticate(req: AuthenticateRequest): Promise<AuthenticateResult> {
    const keyHash = hashSecret(req.routingKey);
    const integration = await this.#lookup(keyHash);
    const source = req.sourceAddress || "unknown";
    if (integration === undefined || !integration.enabled) {
      await this.#countFailure(`unknown-key:${source}`, this.#failureLimits.perSource);
      throw new UnauthenticatedError("unknown or disabled routing key", {
        reason: "ROUTING_KEY_INVALID",
      });
    }

    const now = req.receiveTime ? timestampDate(req.receiveTime) : this.#now();
    let deliveryKey = "";
    try {
      deliveryKey = this.#verify(integration, req, now);
    } catch (error) {
      await this.#countFailure(`bad-signature:{${keyHash}}`, this.#failureLimits.perKey);
      await this.#countFailure(`bad-signature-source:${source}`, this.#failureLimits.perSource);
      throw error;
    }

    const decision = await this.#deps.limiter.consume(
      `quota:{${keyHash}}`,
      integration.rateLimitPerMinute,
      MINUTE_MS,
    );
    if (!decision.allowed) {
      throw rateLimited(decision, "rate limit exceeded for this routing key");
    }

    const idempotencyKey = headerValue(req.headers, "idempotency-key")?.trim();
    if (deliveryKey === "" && idempotencyKey) {
      deliveryKey = `idempotency-key:${idempotencyKey}`;
    }
    return {
      integration: toIntegration(integration),
      deliveryKey: deliveryKey && digest(`${integration.id}\n${deliveryKey}`),
      disposition: Disposition.PROCEED,
      rateLimit: {
        limit: decision.limit,
        remaining: decision.remaining,
        resetTime: timestampFromDate(decision.resetAt),
      },
    };
  }

  /** Forgets a cached lookup (after rotate or disable on this replica). */
  invalidate(routingKeyHash: string): void {
    this.#cache.delete(routingKeyHash);
  }

  async #lookup(keyHash: string): Promise<IntegrationRecord | undefined> {
    const cached = this.#cache.get(keyHash);
    if (cached !== undefined) {
      return cached ?? undefined;
    }
    const found = await this.#deps.integrations.findByRoutingKeyHash(keyHash);
    this.#cache.set(keyHash, found ?? null);
    return found;
  }

  /** Verifies what the integration type requires; returns a delivery identity or "". */
  #verify(integration: IntegrationRecord, req: AuthenticateRequest, now: Date): string {
    if (integration.type !== IntegrationType.CUSTOM || integration.signingSecrets.length === 0) {
      return "";
    }
    const secrets = integration.signingSecrets
      .filter((s) => s.notAfter === undefined || s.notAfter > now)
      .map((s) => this.#deps.secrets.open(s.sealed, integration.id));
    const verified = verifyCustomSignature({ headers: req.headers, body: req.body, secrets, now });
    return `signature:${verified.timestamp}:${verified.signature}`;
  }

  async #countFailure(key: string, limit: number): Promise<void> {
    const decision = await this.#deps.limiter.consume(key, limit, MINUTE_MS);
    if (!decision.allowed) {
      throw rateLimited(decision, "too many failed attempts; slow down");
    }
  }
}

function rateLimited(decision: RateLimitDecision, message: string): ResourceExhaustedError {
  return new ResourceExhaustedError(message, Math.max(1, Math.ceil(decision.retryAfterMs / 1000)), {
    limit: decision.limit,
    remaining: decision.remaining,
    resetAt: decision.resetAt,
  });
}

function digest(text: string): string {
  return createHash("sha256").update(text).digest("base64url");
}
