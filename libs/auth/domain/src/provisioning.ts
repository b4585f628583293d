import type { Bootstrap } from "@runframe/util";
import { hashSecret, keyHint } from "./keys.js";
import type { IntegrationRecord, IntegrationRepository } from "./model.js";
import type { SecretBox } from "./secret-box.js";

/**
 * Applies the auth service's part of a provisioning file: API keys and
 * integrations, stored hashed and sealed. Idempotent: applying the same file
 * again leaves the same state (creation times are kept; a changed routing
 * key or secret in the file replaces the stored one).
 */
export async function applyProvisioning(
  bootstrap: Bootstrap,
  repo: IntegrationRepository,
  secrets: SecretBox,
  now: Date = new Date(),
): Promise<{ integrations: number; apiKeys: number }> {
  let integrations = 0;
  let apiKeys = 0;
  for (const org of bootstrap.organizations) {
    for (const key of org.apiKeys) {
      await repo.putApiKey({
        id: key.id,
        organizationId: org.id,
        secretHash: hashSecret(key.secret),
        role: key.role,
      });
      apiKeys++;
    }
    for (const spec of org.integrations) {
      const existing = await repo.get(org.id, spec.id);
      const keyHash = hashSecret(spec.routingKey);
      const currentSecret =
        existing?.signingSecrets[0] && existing.signingSecrets[0].notAfter === undefined
          ? secrets.open(existing.signingSecrets[0].sealed, spec.id)
          : "";
      const record: IntegrationRecord = {
        id: spec.id,
        organizationId: org.id,
        type: spec.type,
        name: spec.name,
        defaultServiceId: spec.defaultServiceId,
        enabled: true,
        rateLimitPerMinute: spec.rateLimitPerMinute,
        routingKeyHash: keyHash,
        routingKeyHint: keyHint(spec.routingKey),
        signingSecrets:
          spec.signingSecret === ""
            ? []
            : [
                {
                  // Re-sealing an unchanged secret would churn the stored value.
                  sealed:
                    currentSecret === spec.signingSecret
                      ? existing!.signingSecrets[0]!.sealed
                      : secrets.seal(spec.signingSecret, spec.id),
                },
              ],
        snsTopicArns: spec.snsTopicArns,
        createdAt: existing?.createdAt ?? now,
        updatedAt:
          existing === undefined || changed(existing, keyHash, spec) ? now : existing.updatedAt,
      };
      await repo.put(record);
      integrations++;
    }
  }
  return { integrations, apiKeys };
}

function changed(
  existing: IntegrationRecord,
  keyHash: string,
  spec: Bootstrap["organizations"][number]["integrations"][number],
): boolean {
  return (
    existing.routingKeyHash !== keyHash ||
    existing.name !== spec.name ||
    existing.defaultServiceId !== spec.defaultServiceId ||
    existing.rateLimitPerMinute !== spec.rateLimitPerMinute ||
    !existing.enabled
  );
}
