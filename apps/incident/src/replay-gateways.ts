import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { BadRequestSchema, type AuthService, type IntegrationType } from "@runframe/contracts";
import type { Normalizers, Quota } from "@runframe/incident-domain";
import type { NormalizerClient } from "@runframe/platform";
import { FORWARDED_HEADERS } from "@runframe/providers";
import { NotFoundError, UnavailableError, ValidationError } from "@runframe/util";

/** How long one call made for a replay may take. */
const CALL_TIMEOUT_MS = 10_000;

/**
 * Normalization of stored deliveries by their provider's normalizer, as the
 * edge asks it. A payload it refuses can never be applied
 * (ValidationError); anything else is a failure for now.
 */
export function remoteNormalizers(clients: readonly NormalizerClient[]): Normalizers {
  const byType = new Map<IntegrationType, NormalizerClient>(
    clients.map((c) => [c.provider.type, c]),
  );
  return {
    async normalize(integration, headers, body, receivedAt) {
      const client = byType.get(integration.type);
      if (client === undefined) {
        throw new ValidationError([
          { field: "integration.type", description: "no normalizer serves this integration type" },
        ]);
      }
      try {
        const { alerts } = await client.normalize(
          {
            integration,
            // What the edge forwards of a webhook's headers, as it did then.
            headers: headers.filter((h) => FORWARDED_HEADERS.has(h.name)),
            body,
            receiveTime: timestampFromDate(receivedAt),
          },
          { timeoutMs: CALL_TIMEOUT_MS },
        );
        return alerts;
      } catch (error) {
        const err = ConnectError.from(error);
        if (err.code === Code.InvalidArgument) {
          const violations = err
            .findDetails(BadRequestSchema)
            .flatMap((b) =>
              b.fieldViolations.map(({ field, description }) => ({ field, description })),
            );
          throw new ValidationError(violations, err.rawMessage);
        }
        throw new UnavailableError(`${client.provider.app} cannot normalize right now`, {
          cause: err,
        });
      }
    },
  };
}

/** The routing key's quota, as auth (which owns it) counts it. */
export function remoteQuota(auth: Client<typeof AuthService>): Quota {
  return {
    async consume(organizationId, integrationId) {
      try {
        const res = await auth.consumeQuota(
          { organizationId, integrationId },
          { timeoutMs: CALL_TIMEOUT_MS },
        );
        const reset = res.rateLimit?.resetTime;
        return {
          allowed: res.allowed,
          retryAfterMs:
            res.allowed || !reset ? 0 : Math.max(0, Number(reset.seconds) * 1000 - Date.now()),
        };
      } catch (error) {
        const err = ConnectError.from(error);
        if (err.code === Code.NotFound) {
          throw new NotFoundError(err.rawMessage);
        }
        throw new UnavailableError("cannot count the routing key's quota right now", {
          cause: err,
        });
      }
    },
  };
}
