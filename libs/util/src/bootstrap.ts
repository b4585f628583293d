import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import {
  IntegrationOptionsSchema,
  IntegrationType,
  type IntegrationOptions,
} from "@runframe/contracts";
import { PROVIDERS, providerNamed, takesSnsTopics } from "@runframe/providers";
import { ValidationError, type Violation } from "./errors.js";
import { checkIntegrationOptions, normalizeOptions } from "./integration-options.js";
import { API_KEY_ROLES, isApiKeyRole, type ApiKeyRole } from "./roles.js";

/**
 * The provisioning file (RUNFRAME_BOOTSTRAP): organizations with their API
 * keys, services and integrations, applied idempotently at start by the
 * services that own each part (auth: API keys and integrations; incident:
 * services). Secrets in it are hashed or encrypted before they are stored.
 */
export interface Bootstrap {
  readonly organizations: readonly BootstrapOrganization[];
}

export interface BootstrapOrganization {
  readonly id: string;
  readonly name: string;
  readonly apiKeys: readonly {
    readonly id: string;
    readonly secret: string;
    readonly role: ApiKeyRole;
  }[];
  readonly services: readonly { readonly id: string; readonly name: string }[];
  readonly integrations: readonly BootstrapIntegration[];
}

export interface BootstrapIntegration {
  readonly id: string;
  readonly type: IntegrationType;
  readonly name: string;
  readonly routingKey: string;
  readonly signingSecret: string;
  readonly defaultServiceId: string;
  readonly rateLimitPerMinute: number;
  readonly snsTopicArns: readonly string[];
  /**
   * The integration's options (IntegrationOptions in its proto JSON form),
   * normalized. Like everything else about an integration, they apply when
   * the file creates it; later changes go through UpdateIntegration.
   */
  readonly options: IntegrationOptions;
}

const idPattern = /^[A-Za-z0-9_-]{1,64}$/;
const routingKeyPattern = /^[A-Za-z0-9_-]{32,128}$/;

/**
 * Parses and validates a provisioning file. Every problem is reported at once,
 * by path (`organizations[0].integrations[1].routingKey`); secrets are never
 * echoed.
 */
export function parseBootstrap(text: string): Bootstrap {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ValidationError([
      { field: "", description: `is not valid JSON (${(error as Error).message})` },
    ]);
  }
  const v: Violation[] = [];
  const orgs = array(raw, "organizations", "", v);
  const integrationIds = new Set<string>();
  const routingKeys = new Set<string>();
  const apiKeyIds = new Set<string>();
  const organizations = orgs.map((org, i): BootstrapOrganization => {
    const at = `organizations[${i}]`;
    const services = array(org, "services", at, v).map((s, j) => ({
      id: string(s, "id", `${at}.services[${j}]`, v, { pattern: /^[A-Za-z0-9_.:-]{1,50}$/ }),
      name: string(s, "name", `${at}.services[${j}]`, v, { max: 200 }),
    }));
    const serviceIds = new Set(services.map((s) => s.id));
    return {
      id: string(org, "id", at, v, { pattern: idPattern }),
      name: string(org, "name", at, v, { max: 200 }),
      services,
      apiKeys: array(org, "apiKeys", at, v).map((k, j) => {
        const path = `${at}.apiKeys[${j}]`;
        const id = string(k, "id", path, v, { pattern: idPattern });
        unique(apiKeyIds, id, `${path}.id`, v);
        const role = string(k, "role", path, v, { optional: "admin", max: 32 });
        if (!isApiKeyRole(role)) {
          v.push({
            field: `${path}.role`,
            description: `must be one of ${API_KEY_ROLES.join(", ")}`,
          });
        }
        return {
          id,
          secret: string(k, "secret", path, v, { secret: true, min: 32 }),
          role: isApiKeyRole(role) ? role : "viewer",
        };
      }),
      integrations: array(org, "integrations", at, v).map((n, j): BootstrapIntegration => {
        const path = `${at}.integrations[${j}]`;
        const id = string(n, "id", path, v, { pattern: idPattern });
        unique(integrationIds, id, `${path}.id`, v);
        const typeName = string(n, "type", path, v, {});
        const type = providerNamed(typeName)?.type;
        if (typeName !== "" && type === undefined) {
          v.push({
            field: `${path}.type`,
            description: `must be one of ${PROVIDERS.map((p) => p.name).join(", ")}`,
          });
        }
        const routingKey = string(n, "routingKey", path, v, {
          secret: true,
          pattern: routingKeyPattern,
        });
        unique(routingKeys, routingKey, `${path}.routingKey`, v);
        const defaultServiceId = string(n, "defaultServiceId", path, v, { optional: "" });
        if (defaultServiceId !== "" && !serviceIds.has(defaultServiceId)) {
          v.push({
            field: `${path}.defaultServiceId`,
            description: "must name a service of this organization",
          });
        }
        const rate = field(n, "rateLimitPerMinute");
        if (
          rate !== undefined &&
          (!Number.isInteger(rate) || (rate as number) < 1 || (rate as number) > 100_000)
        ) {
          v.push({
            field: `${path}.rateLimitPerMinute`,
            description: "must be a whole number from 1 to 100000",
          });
        }
        const signingSecret = string(n, "signingSecret", path, v, { optional: "", secret: true });
        if (signingSecret !== "" && (signingSecret.length < 16 || signingSecret.length > 256)) {
          v.push({ field: `${path}.signingSecret`, description: "must be 16 to 256 characters" });
        }
        const snsTopicArns =
          field(n, "snsTopicArns") === undefined ? [] : array(n, "snsTopicArns", path, v);
        if (type !== undefined && takesSnsTopics(type) && snsTopicArns.length === 0) {
          v.push({
            field: `${path}.snsTopicArns`,
            description: `is required for ${typeName} integrations`,
          });
        }
        const options = integrationOptions(n, path, type ?? IntegrationType.UNSPECIFIED, v);
        return {
          id,
          type: type ?? IntegrationType.UNSPECIFIED,
          name: string(n, "name", path, v, { max: 200 }),
          routingKey,
          signingSecret,
          defaultServiceId,
          rateLimitPerMinute: typeof rate === "number" ? rate : 100,
          snsTopicArns: snsTopicArns.filter((a): a is string => typeof a === "string"),
          options,
        };
      }),
    };
  });
  if (v.length > 0) {
    throw new ValidationError(
      v,
      `invalid provisioning file: ${v.map((x) => `${x.field} ${x.description}`).join("; ")}`,
    );
  }
  return { organizations };
}

/**
 * An integration's `options`: the API's message in proto JSON (field names
 * as in the proto or lowerCamel, enums by name), checked as the API checks
 * them. A type the file does not name gets none of the type-specific checks.
 */
function integrationOptions(
  obj: unknown,
  at: string,
  type: IntegrationType,
  v: Violation[],
): IntegrationOptions {
  const path = join(at, "options");
  let options: IntegrationOptions;
  try {
    options = fromJson(IntegrationOptionsSchema, (field(obj, "options") ?? {}) as JsonValue);
  } catch (error) {
    v.push({ field: path, description: (error as Error).message });
    return normalizeOptions(type, undefined);
  }
  if (type !== IntegrationType.UNSPECIFIED) {
    v.push(...checkIntegrationOptions(type, options, path));
  }
  return normalizeOptions(type, options);
}

function field(obj: unknown, name: string): unknown {
  return typeof obj === "object" && obj !== null && Object.hasOwn(obj, name)
    ? (obj as Record<string, unknown>)[name]
    : undefined;
}

function array(obj: unknown, name: string, at: string, v: Violation[]): unknown[] {
  const value = field(obj, name);
  if (value === undefined) {
    return [];
  }
  if (!Array.isArray(value)) {
    v.push({ field: join(at, name), description: "must be an array" });
    return [];
  }
  return value as unknown[];
}

function string(
  obj: unknown,
  name: string,
  at: string,
  v: Violation[],
  rules: { optional?: string; pattern?: RegExp; max?: number; min?: number; secret?: boolean },
): string {
  const path = join(at, name);
  const value = field(obj, name);
  if (value === undefined || value === null) {
    if (rules.optional === undefined) {
      v.push({ field: path, description: "is required" });
    }
    return rules.optional ?? "";
  }
  if (typeof value !== "string") {
    v.push({ field: path, description: "must be a string" });
    return "";
  }
  const shown = rules.secret ? "" : ` (got "${value.slice(0, 80)}")`;
  if (rules.pattern && !rules.pattern.test(value)) {
    v.push({ field: path, description: `has an invalid format${shown}` });
  } else if (rules.max !== undefined && value.length > rules.max) {
    v.push({ field: path, description: `must be at most ${rules.max} characters` });
  } else if (rules.min !== undefined && value.length < rules.min) {
    v.push({ field: path, description: `must be at least ${rules.min} characters` });
  }
  return value;
}

function unique(seen: Set<string>, value: string, path: string, v: Violation[]): void {
  if (value !== "" && seen.has(value)) {
    v.push({ field: path, description: "is used twice" });
  }
  seen.add(value);
}

function join(at: string, name: string): string {
  return at === "" ? name : `${at}.${name}`;
}
