import { AlreadyExistsError, type Bootstrap } from "@runframe/util";
import { hashSecret, keyHint } from "./keys.js";
import type { IntegrationRecord, IntegrationRepository } from "./model.js";
import type { SecretBox } from "./secret-box.js";

/**
 * Applies the auth service's part of a provisioning file: API keys and
 * integrations, stored hashed and sealed. Idempotent. An integration is
 * created from the file only when it does not exist yet: once it exists, the
 * team API owns it, so a restart never re-enables a disabled integration,
 * restores a rotated (perhaps leaked) routing key or drops a signing secret
 * set through the API. An API key of the file is created when missing and
 * otherwise takes the file's secret and role, unless it was revoked through
 * the team API: a restart never revives a revoked key.
 */
export async function applyProvisioning(
  bootstrap: Bootstrap,
  repo: IntegrationRepository,
  secrets: SecretBox,
  now: Date = new Date(),
): Promise<{ integrations: number; apiKeys: number; revokedApiKeys: number }> {
  let integrations = 0;
  let apiKeys = 0;
  let revokedApiKeys = 0;
  for (const org of bootstrap.organizations) {
    for (const key of org.apiKeys) {
      const applied = await repo.provisionApiKey({
        id: key.id,
        organizationId: org.id,
        secretHash: hashSecret(key.secret),
        role: key.role,
        name: key.id,
        secretHint: keyHint(key.secret),
        createdAt: now,
        createdBy: "provisioning",
      });
      if (applied) {
        apiKeys++;
      } else {
        revokedApiKeys++;
      }
    }
    for (const spec of org.integrations) {
      if ((await repo.get(org.id, spec.id)) !== undefined) {
        continue;
      }
      const record: IntegrationRecord = {
        id: spec.id,
        organizationId: org.id,
        type: spec.type,
        name: spec.name,
        defaultServiceId: spec.defaultServiceId,
        enabled: true,
        rateLimitPerMinute: spec.rateLimitPerMinute,
        routingKeyHash: hashSecret(spec.routingKey),
        routingKeyHint: keyHint(spec.routingKey),
        signingSecrets:
          spec.signingSecret === "" ? [] : [{ sealed: secrets.seal(spec.signingSecret, spec.id) }],
        snsTopicArns: spec.snsTopicArns,
        options: spec.options,
        createdAt: now,
        updatedAt: now,
      };
      try {
        await repo.insert(record);
        integrations++;
      } catch (error) {
        // Another replica starting at the same time created it first.
        if (!(error instanceof AlreadyExistsError)) {
          throw error;
        }
      }
    }
  }
  return { integrations, apiKeys, revokedApiKeys };
}
