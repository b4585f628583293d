import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { AlertAction, IncidentStatus, NormalizedAlertSchema, Severity } from "@runframe/contracts";
import { charLength, truncate } from "@runframe/normalizers-kit";
import {
  ValidationError,
  decodeJsonObject,
  describeJsonValue,
  isJsonObject,
  type Normalize,
  type Violation,
} from "@runframe/util";

/*
 * The Custom Webhook schema is a published contract, so its limits are
 * enforced with a 400 rather than truncated the way native payloads are.
 * All lengths are Unicode code points, as the public docs promise.
 */

/** `title`: required; published limit. */
export const TITLE_MAX_CHARS = 500;
/** `service_id`: required; published limit. */
export const SERVICE_ID_MAX_CHARS = 50;
/** `description`: published limit. */
export const DESCRIPTION_MAX_CHARS = 5000;
/**
 * `source_url`: our limit, the length browsers and most servers reliably
 * handle; the public docs name none.
 */
export const SOURCE_URL_MAX_CHARS = 2048;
/** `dedup_key`: published limit. */
export const DEDUP_KEY_MAX_CHARS = 255;
/** `metadata`: published limit on the number of keys. */
export const METADATA_MAX_KEYS = 10;
/**
 * `metadata` keys: our decision, as the public docs set no limit. An empty
 * key names nothing a person could read, and 100 characters is ample for a
 * label while keeping one incident's context small.
 */
export const METADATA_KEY_MAX_CHARS = 100;
/**
 * `metadata` values: our decision, as the public docs set no limit. 1000
 * characters holds a stack-trace line or a query, and ten of them stay well
 * below the description's size.
 */
export const METADATA_VALUE_MAX_CHARS = 1000;

const SEVERITIES: ReadonlyMap<string, Severity> = new Map([
  ["SEV0", Severity.SEV0],
  ["SEV1", Severity.SEV1],
  ["SEV2", Severity.SEV2],
  ["SEV3", Severity.SEV3],
  ["SEV4", Severity.SEV4],
]);

const STATUSES: ReadonlyMap<string, IncidentStatus> = new Map([
  ["new", IncidentStatus.NEW],
  ["investigating", IncidentStatus.INVESTIGATING],
  ["resolved", IncidentStatus.RESOLVED],
]);

/**
 * Normalizes one Custom Webhook delivery into exactly one alert.
 *
 * Rules beyond the published field list, each a deliberate choice:
 * - Every violation is collected and reported together, so a sender fixes a
 *   payload in one round trip.
 * - An optional field sent as JSON `null` is treated as absent; tools that
 *   fill templates emit `null` for unset values. A required field sent as
 *   `null`, or as a blank string, is missing.
 * - Unknown top-level fields are ignored, so senders can include fields a
 *   later version of the schema defines without being refused today.
 * - Strings are kept exactly as sent (no trimming), but must be valid
 *   Unicode: a JSON escape can produce an unpaired surrogate, which every
 *   encoder downstream would silently replace.
 * - `severity` and `status` are case-sensitive, as documented.
 * - `source_url` must be an absolute http(s) URL written out in full, with no
 *   whitespace, so it is safe to render as a link.
 * - An empty `dedup_key` means none: every such request opens an incident.
 * - A `metadata` key named `__proto__` is refused: protobuf-es keeps maps in
 *   plain objects, where that key is dropped on (de)serialization, and a
 *   silently lost key is worse than a clear 400.
 * - `service_id` is only checked for shape; whether the service exists is
 *   the incident service's decision.
 *
 * @throws ValidationError naming every bad field, by its payload name
 * (`title`, `metadata.region`), or `body` when the body is not a JSON object.
 */
export const normalizeCustom: Normalize = (input) => {
  const payload = decodeJsonObject(input.body);
  const violations: Violation[] = [];
  const fields = new FieldReader(payload, violations);

  const title = fields.string("title", { required: true, maxChars: TITLE_MAX_CHARS });
  const serviceId = fields.string("service_id", {
    required: true,
    maxChars: SERVICE_ID_MAX_CHARS,
  });
  const description = fields.string("description", { maxChars: DESCRIPTION_MAX_CHARS });
  const severity = fields.oneOf("severity", SEVERITIES) ?? Severity.UNSPECIFIED;
  const status = fields.oneOf("status", STATUSES) ?? IncidentStatus.NEW;
  const sourceUrl = fields.httpUrl("source_url", SOURCE_URL_MAX_CHARS);
  const dedupKey = fields.string("dedup_key", { maxChars: DEDUP_KEY_MAX_CHARS });
  const metadata = fields.metadata("metadata");

  if (violations.length > 0) {
    throw new ValidationError(violations);
  }
  return [
    create(NormalizedAlertSchema, {
      action: status === IncidentStatus.RESOLVED ? AlertAction.RESOLVE : AlertAction.TRIGGER,
      title: title ?? "",
      description: description ?? "",
      severity,
      status,
      serviceId: serviceId ?? "",
      sourceUrl: sourceUrl ?? "",
      dedupKey: dedupKey ?? "",
      metadata: metadata ?? {},
      occurTime: timestampFromDate(input.receiveTime),
      truncatedAlerts: 0,
    }),
  ];
};

/**
 * Reads and checks top-level fields, recording a violation instead of
 * throwing so that one pass reports everything. Each reader returns
 * undefined for an absent or invalid field.
 */
class FieldReader {
  constructor(
    private readonly payload: Record<string, unknown>,
    private readonly violations: Violation[],
  ) {}

  string(field: string, rule: { required?: boolean; maxChars: number }): string | undefined {
    const value = this.get(field);
    if (value === undefined) {
      if (rule.required === true) {
        this.refuse(field, "is required");
      }
      return undefined;
    }
    if (typeof value !== "string") {
      this.refuse(field, `must be a string, got ${describeJsonValue(value)}`);
      return undefined;
    }
    if (rule.required === true && value.trim() === "") {
      this.refuse(field, "must not be blank");
      return undefined;
    }
    return this.checkText(field, value, rule.maxChars) ? value : undefined;
  }

  oneOf<T>(field: string, allowed: ReadonlyMap<string, T>): T | undefined {
    const value = this.get(field);
    if (value === undefined) {
      return undefined;
    }
    if (typeof value !== "string") {
      this.refuse(field, `must be a string, got ${describeJsonValue(value)}`);
      return undefined;
    }
    const mapped = allowed.get(value);
    if (mapped === undefined) {
      this.refuse(field, `must be one of ${[...allowed.keys()].join(", ")}`);
    }
    return mapped;
  }

  httpUrl(field: string, maxChars: number): string | undefined {
    const value = this.string(field, { maxChars });
    if (value !== undefined && !isHttpUrl(value)) {
      this.refuse(field, "must be an absolute http or https URL");
      return undefined;
    }
    return value;
  }

  metadata(field: string): Record<string, string> | undefined {
    const value = this.get(field);
    if (value === undefined) {
      return undefined;
    }
    if (!isJsonObject(value)) {
      this.refuse(field, `must be an object, got ${describeJsonValue(value)}`);
      return undefined;
    }
    const keys = Object.keys(value);
    if (keys.length > METADATA_MAX_KEYS) {
      this.refuse(field, `must have at most ${METADATA_MAX_KEYS} keys, got ${keys.length}`);
    }
    const entries: [string, string][] = [];
    for (const key of keys) {
      const keyOk = this.checkMetadataKey(field, key);
      const entry = value[key];
      const path = `${field}.${key}`;
      if (typeof entry !== "string") {
        this.refuse(path, `must be a string, got ${describeJsonValue(entry)}`);
      } else if (this.checkText(path, entry, METADATA_VALUE_MAX_CHARS) && keyOk) {
        entries.push([key, entry]);
      }
    }
    // fromEntries defines properties rather than assigning them, so no key
    // can reach a setter on Object.prototype.
    return Object.fromEntries(entries);
  }

  /** Key problems are reported on the map itself: the key is the problem. */
  private checkMetadataKey(field: string, key: string): boolean {
    if (key === "") {
      this.refuse(field, "keys must not be empty");
      return false;
    }
    if (key === "__proto__") {
      this.refuse(field, 'key "__proto__" is reserved');
      return false;
    }
    // Quoted and shortened: the key may be the over-long or broken thing.
    const shown = JSON.stringify(truncate(key, 41, "…"));
    if (!isWellFormed(key)) {
      this.refuse(field, `key ${shown} must be valid Unicode`);
      return false;
    }
    const length = charLength(key);
    if (length > METADATA_KEY_MAX_CHARS) {
      this.refuse(
        field,
        `key ${shown} must be at most ${METADATA_KEY_MAX_CHARS} characters, got ${length}`,
      );
      return false;
    }
    return true;
  }

  private checkText(field: string, value: string, maxChars: number): boolean {
    if (!isWellFormed(value)) {
      this.refuse(field, "must be valid Unicode (it contains an unpaired surrogate)");
      return false;
    }
    const length = charLength(value);
    if (length > maxChars) {
      this.refuse(field, `must be at most ${maxChars} characters, got ${length}`);
      return false;
    }
    return true;
  }

  /** Own properties only, and JSON null folded into absent. */
  private get(field: string): unknown {
    const value = Object.hasOwn(this.payload, field) ? this.payload[field] : undefined;
    return value === null ? undefined : value;
  }

  private refuse(field: string, description: string): void {
    this.violations.push({ field, description });
  }
}

/**
 * The WHATWG parser accepts `http:example.com`, strips embedded tabs and
 * newlines and trims spaces; the stored string is the one sent, so it must
 * already be the plain form, with no whitespace or control characters.
 */
function isHttpUrl(value: string): boolean {
  return /^https?:\/\//i.test(value) && !/[\s\p{Cc}]/u.test(value) && URL.canParse(value);
}

/** False when `s` holds a surrogate that is not half of a pair. */
function isWellFormed(s: string): boolean {
  return !/\p{Surrogate}/u.test(s);
}
