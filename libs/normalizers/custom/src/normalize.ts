/**
 * Custom Webhook, at a glance (Runframe's own published schema; all of it
 * in docs/providers/custom.md):
 *
 * - Dedup:   `dedup_key` exactly as sent; none (empty or absent) opens a new
 *            incident with every request.
 * - Resolve: `status` is `resolved`; `new` and `investigating` trigger.
 * - Example: src/fixtures/example.json (the public docs' example payload).
 *
 * The schema is a published contract, so its limits are enforced with a 400
 * rather than truncated the way native payloads are. All lengths are Unicode
 * code points, as the public docs promise.
 */

import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { AlertAction, IncidentStatus, NormalizedAlertSchema, Severity } from "@runframe/contracts";
import {
  DEDUP_KEY_MAX_CHARS,
  DESCRIPTION_MAX_CHARS,
  METADATA_KEY_MAX_CHARS,
  METADATA_MAX_KEYS,
  METADATA_VALUE_MAX_CHARS,
  SERVICE_ID_MAX_CHARS,
  SEVERITY_BY_NAME,
  SOURCE_URL_MAX_CHARS,
  TITLE_MAX_CHARS,
  Violations,
  charLength,
  field,
  isHttpUrl,
  isWellFormed,
  truncate,
  type JsonObject,
} from "@runframe/normalizers-kit";
import { decodeJsonObject, type Normalize } from "@runframe/util";

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
 *   whitespace, of at most 2048 characters (our limit), so it is safe to
 *   render as a link.
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
  const violations = new Violations();
  const fields = new FieldReader(payload, violations);

  const title = fields.string("title", { required: true, maxChars: TITLE_MAX_CHARS });
  const serviceId = fields.string("service_id", {
    required: true,
    maxChars: SERVICE_ID_MAX_CHARS,
  });
  const description = fields.string("description", { maxChars: DESCRIPTION_MAX_CHARS });
  const severity = fields.oneOf("severity", SEVERITY_BY_NAME) ?? Severity.UNSPECIFIED;
  const status = fields.oneOf("status", STATUSES) ?? IncidentStatus.NEW;
  const sourceUrl = fields.httpUrl("source_url");
  const dedupKey = fields.string("dedup_key", { maxChars: DEDUP_KEY_MAX_CHARS });
  const metadata = fields.metadata("metadata");

  violations.throwIfAny();
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
    private readonly payload: JsonObject,
    private readonly violations: Violations,
  ) {}

  string(name: string, rule: { required?: boolean; maxChars: number }): string | undefined {
    const required = rule.required === true;
    const value = this.violations.string(
      name,
      this.get(name),
      required ? "is required" : undefined,
    );
    if (value === undefined) {
      return undefined;
    }
    if (required && value.trim() === "") {
      this.violations.add(name, "must not be blank");
      return undefined;
    }
    return this.checkText(name, value, rule.maxChars) ? value : undefined;
  }

  oneOf<T>(name: string, allowed: ReadonlyMap<string, T>): T | undefined {
    return this.violations.oneOf(name, this.get(name), allowed);
  }

  /** The length is checked first, so an over-long URL is refused for its length. */
  httpUrl(name: string): string | undefined {
    const value = this.string(name, { maxChars: SOURCE_URL_MAX_CHARS });
    if (value !== undefined && !isHttpUrl(value)) {
      this.violations.add(name, "must be an absolute http or https URL");
      return undefined;
    }
    return value;
  }

  metadata(name: string): Record<string, string> | undefined {
    const value = this.violations.object(name, this.get(name));
    if (value === undefined) {
      return undefined;
    }
    const keys = Object.keys(value);
    if (keys.length > METADATA_MAX_KEYS) {
      this.violations.add(name, `must have at most ${METADATA_MAX_KEYS} keys, got ${keys.length}`);
    }
    const entries: [string, string][] = [];
    for (const key of keys) {
      const keyOk = this.checkMetadataKey(name, key);
      const path = `${name}.${key}`;
      const entry = this.violations.string(path, value[key]);
      if (entry !== undefined && this.checkText(path, entry, METADATA_VALUE_MAX_CHARS) && keyOk) {
        entries.push([key, entry]);
      }
    }
    // fromEntries defines properties rather than assigning them, so no key
    // can reach a setter on Object.prototype.
    return Object.fromEntries(entries);
  }

  /** Key problems are reported on the map itself: the key is the problem. */
  private checkMetadataKey(name: string, key: string): boolean {
    if (key === "") {
      this.violations.add(name, "keys must not be empty");
      return false;
    }
    if (key === "__proto__") {
      this.violations.add(name, 'key "__proto__" is reserved');
      return false;
    }
    // Quoted and shortened: the key may be the over-long or broken thing.
    const shown = JSON.stringify(truncate(key, 41, "…"));
    if (!isWellFormed(key)) {
      this.violations.add(name, `key ${shown} must be valid Unicode`);
      return false;
    }
    const length = charLength(key);
    if (length > METADATA_KEY_MAX_CHARS) {
      this.violations.add(
        name,
        `key ${shown} must be at most ${METADATA_KEY_MAX_CHARS} characters, got ${length}`,
      );
      return false;
    }
    return true;
  }

  private checkText(name: string, value: string, maxChars: number): boolean {
    if (!isWellFormed(value)) {
      this.violations.add(name, "must be valid Unicode (it contains an unpaired surrogate)");
      return false;
    }
    const length = charLength(value);
    if (length > maxChars) {
      this.violations.add(name, `must be at most ${maxChars} characters, got ${length}`);
      return false;
    }
    return true;
  }

  /** Own properties only, and JSON null read as absent. */
  private get(name: string): unknown {
    return field(this.payload, name);
  }
}
