import { fromJson, toJson, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import type { ApiKeyRecord, IntegrationRecord } from "@runframe/auth-domain";
import {
  IntegrationOptionsSchema,
  IntegrationType,
  type IntegrationOptions,
} from "@runframe/contracts";
import { apiKeyRoleOf, normalizeOptions, type Revived } from "@runframe/util";

/**
 * How both stores persist auth's records: one mapping per record type, so
 * SQLite (as JSON) and MongoDB (as documents) cannot drift apart. Types are
 * stored by name so stored data reads well.
 */

export interface StoredIntegration {
  readonly organizationId: string;
  readonly type: string;
  readonly name: string;
  readonly defaultServiceId: string;
  readonly enabled: boolean;
  readonly rateLimitPerMinute: number;
  readonly routingKeyHash: string;
  readonly routingKeyHint: string;
  readonly signingSecrets: readonly { readonly sealed: string; readonly notAfter?: Date }[];
  readonly snsTopicArns: readonly string[];
  /** Absent on integrations stored before options existed: they have the defaults. */
  readonly options?: StoredOptions;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/**
 * IntegrationOptions as stored: its proto JSON (enums by name, so stored
 * data reads well and a newer release's fields survive), except the
 * severity overrides, kept as a list of `{key, severity}` because their keys
 * are the provider's values, which MongoDB may refuse as field names (`.`,
 * `$`); FerretDB stores no nested arrays, hence objects, not pairs.
 */
export type StoredOptions = JsonObject;

/**
 * An API key. Keys stored by the first release have only the first three
 * fields; the rest read as empty (created at the epoch, never revoked).
 */
export interface StoredApiKey {
  readonly organizationId: string;
  readonly secretHash: string;
  readonly role: string;
  readonly name?: string;
  readonly secretHint?: string;
  readonly createdAt?: Date;
  readonly createdBy?: string;
  readonly revokedAt?: Date;
  readonly revokedBy?: string;
}

export function encodeIntegration(r: IntegrationRecord): StoredIntegration {
  return {
    organizationId: r.organizationId,
    type: IntegrationType[r.type],
    name: r.name,
    defaultServiceId: r.defaultServiceId,
    enabled: r.enabled,
    rateLimitPerMinute: r.rateLimitPerMinute,
    routingKeyHash: r.routingKeyHash,
    routingKeyHint: r.routingKeyHint,
    signingSecrets: r.signingSecrets.map((s) => ({
      sealed: s.sealed,
      ...(s.notAfter && { notAfter: s.notAfter }),
    })),
    snsTopicArns: [...r.snsTopicArns],
    options: encodeOptions(r.options),
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

export function decodeIntegration(id: string, s: Revived<StoredIntegration>): IntegrationRecord {
  const named = IntegrationType[s.type as keyof typeof IntegrationType];
  const type = typeof named === "number" ? named : IntegrationType.UNSPECIFIED;
  return {
    id,
    organizationId: s.organizationId,
    type,
    name: s.name,
    defaultServiceId: s.defaultServiceId,
    enabled: s.enabled,
    rateLimitPerMinute: s.rateLimitPerMinute,
    routingKeyHash: s.routingKeyHash,
    routingKeyHint: s.routingKeyHint,
    signingSecrets: s.signingSecrets.map((secret) =>
      secret.notAfter === undefined
        ? { sealed: secret.sealed }
        : { sealed: secret.sealed, notAfter: new Date(secret.notAfter) },
    ),
    snsTopicArns: [...s.snsTopicArns],
    options: decodeOptions(type, s.options),
    createdAt: new Date(s.createdAt),
    updatedAt: new Date(s.updatedAt),
  };
}

function encodeOptions(options: IntegrationOptions): StoredOptions {
  const { severityOverrides, ...rest } = toJson(IntegrationOptionsSchema, options) as {
    severityOverrides?: JsonObject;
  };
  return {
    ...rest,
    ...(severityOverrides && {
      severityOverrides: Object.entries(severityOverrides).map(([key, severity]) => ({
        key,
        severity,
      })),
    }),
  };
}

function decodeOptions(
  type: IntegrationType,
  stored: StoredOptions | undefined,
): IntegrationOptions {
  if (stored === undefined) {
    return normalizeOptions(type, undefined);
  }
  const { severityOverrides, ...rest } = stored as {
    severityOverrides?: { key: string; severity: JsonValue }[];
  };
  const json: JsonObject = {
    ...rest,
    ...(severityOverrides && {
      severityOverrides: Object.fromEntries(severityOverrides.map((o) => [o.key, o.severity])),
    }),
  };
  return normalizeOptions(
    type,
    fromJson(IntegrationOptionsSchema, json, { ignoreUnknownFields: true }),
  );
}

export function encodeApiKey(r: ApiKeyRecord): StoredApiKey {
  return {
    organizationId: r.organizationId,
    secretHash: r.secretHash,
    role: r.role,
    name: r.name,
    secretHint: r.secretHint,
    createdAt: r.createdAt,
    createdBy: r.createdBy,
    ...(r.revokedAt && { revokedAt: r.revokedAt }),
    ...(r.revokedBy && { revokedBy: r.revokedBy }),
  };
}

export function decodeApiKey(id: string, s: Revived<StoredApiKey>): ApiKeyRecord {
  return {
    id,
    organizationId: s.organizationId,
    secretHash: s.secretHash,
    role: apiKeyRoleOf(s.role),
    name: s.name ?? "",
    secretHint: s.secretHint ?? "",
    createdAt: new Date(s.createdAt ?? 0),
    createdBy: s.createdBy ?? "",
    ...(s.revokedAt !== undefined && { revokedAt: new Date(s.revokedAt) }),
    ...(s.revokedBy !== undefined && { revokedBy: s.revokedBy }),
  };
}

/**
 * A key of the provisioning file applied over the stored one: the file's
 * secret, role and name, keeping when and by whom it was first created.
 */
export function reprovisioned(existing: ApiKeyRecord, file: ApiKeyRecord): ApiKeyRecord {
  return {
    ...file,
    createdAt: existing.createdAt.getTime() > 0 ? existing.createdAt : file.createdAt,
    createdBy: existing.createdBy || file.createdBy,
  };
}

/** The keyset position of an API key in its organization's listing (creation order). */
export function apiKeyPosition(r: ApiKeyRecord): [number, string] {
  return [r.createdAt.getTime(), r.id];
}

/** The keyset position of an integration in its organization's listing (creation order). */
export function listPosition(r: IntegrationRecord): [number, string] {
  return [r.createdAt.getTime(), r.id];
}

export function isListPosition(value: unknown): value is [number, string] {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    typeof value[0] === "number" &&
    typeof value[1] === "string"
  );
}
