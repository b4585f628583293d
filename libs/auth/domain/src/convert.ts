import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { IntegrationSchema, type Integration } from "@runframe/contracts";
import type { IntegrationRecord } from "./model.js";

/** The public view of an integration: no key hash, no secrets. */
export function toIntegration(record: IntegrationRecord): Integration {
  return create(IntegrationSchema, {
    id: record.id,
    organizationId: record.organizationId,
    type: record.type,
    name: record.name,
    defaultServiceId: record.defaultServiceId,
    enabled: record.enabled,
    rateLimitPerMinute: record.rateLimitPerMinute,
    signingSecretConfigured: record.signingSecrets.some((s) => s.notAfter === undefined),
    snsTopicArns: [...record.snsTopicArns],
    routingKeyHint: record.routingKeyHint,
    options: record.options,
    createTime: timestampFromDate(record.createdAt),
    updateTime: timestampFromDate(record.updatedAt),
  });
}
