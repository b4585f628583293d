import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  IntegrationOptionsSchema,
  IntegrationType,
  type CreateIntegrationRequest,
  type CreateIntegrationResponseSchema,
  type Integration,
  type IntegrationOptions,
  type SetSigningSecretRequest,
  type UpdateIntegrationRequest,
} from "@runframe/contracts";
import {
  checkIntegrationOptions,
  normalizeOptions,
  pageSize,
  NotFoundError,
  UnavailableError,
  ValidationError,
  type Violation,
} from "@runframe/util";
import { takesSigningSecret, takesSnsTopics } from "@runframe/providers";
import { randomUUID } from "node:crypto";
import { toIntegration } from "./convert.js";
import { generateRoutingKey, hashSecret, keyHint } from "./keys.js";
import {
  DEFAULT_RATE_LIMIT_PER_MINUTE,
  type IntegrationRecord,
  type IntegrationRepository,
  type StoredSecret,
} from "./model.js";
import type { SecretBox } from "./secret-box.js";

/** The organization's service catalog, which another service owns. */
export interface ServiceCatalog {
  exists(organizationId: string, serviceId: string): Promise<boolean>;
}

/** Who is calling a team RPC, as established from their API key. */
export interface Caller {
  readonly organizationId: string;
  readonly keyId: string;
}

const MAX_GRACE_SECONDS = 7 * 24 * 3600;
const MAX_CHANGE_ATTEMPTS = 5;

/** What UpdateIntegration may change, by update_mask path; `options.<field>` as well. */
const UPDATABLE = ["name", "default_service_id", "rate_limit_per_minute", "options"] as const;
type Updatable = (typeof UPDATABLE)[number];
/** Each option by its update_mask path (`options.<proto name>`), with its property name. */
const OPTION_PATHS: ReadonlyMap<string, keyof IntegrationOptions> = new Map(
  IntegrationOptionsSchema.fields.map((f) => [
    `options.${f.name}`,
    f.localName as keyof IntegrationOptions,
  ]),
);

/**
 * The team-facing integration operations. Every method is scoped to the
 * caller's organization: another organization's integration is NOT_FOUND,
 * exactly like one that does not exist.
 */
export class Integrations {
  constructor(
    private readonly repo: IntegrationRepository,
    private readonly secrets: SecretBox,
    private readonly services: ServiceCatalog,
    private readonly onKeyChanged: (oldHash: string) => void,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(
    caller: Caller,
    req: CreateIntegrationRequest,
  ): Promise<MessageInitShape<typeof CreateIntegrationResponseSchema>> {
    const violations: Violation[] = [];
    if (req.type === IntegrationType.UNSPECIFIED || IntegrationType[req.type] === undefined) {
      violations.push({ field: "type", description: "is required" });
    }
    checkName(req.name, violations);
    const rate = req.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE;
    checkRate(rate, violations);
    if (req.signingSecret !== "") {
      checkSecret(req.signingSecret, req.type, violations);
    }
    checkTopics(req.type, req.snsTopicArns, violations);
    const options = req.options ?? create(IntegrationOptionsSchema);
    violations.push(...checkIntegrationOptions(req.type, options, "options"));
    if (
      req.defaultServiceId !== "" &&
      !(await this.services.exists(caller.organizationId, req.defaultServiceId))
    ) {
      violations.push({
        field: "default_service_id",
        description: `no service ${req.defaultServiceId} in this organization`,
      });
    }
    if (violations.length > 0) {
      throw new ValidationError(violations);
    }
    const id = `int-${randomUUID()}`;
    const routingKey = generateRoutingKey();
    const now = this.now();
    const record: IntegrationRecord = {
      id,
      organizationId: caller.organizationId,
      type: req.type,
      name: req.name,
      defaultServiceId: req.defaultServiceId,
      enabled: true,
      rateLimitPerMinute: rate,
      routingKeyHash: hashSecret(routingKey),
      routingKeyHint: keyHint(routingKey),
      signingSecrets: req.signingSecret
        ? [{ sealed: this.secrets.seal(req.signingSecret, id) }]
        : [],
      snsTopicArns: [...req.snsTopicArns],
      options: normalizeOptions(req.type, options),
      createdAt: now,
      updatedAt: now,
    };
    await this.repo.insert(record);
    return { integration: toIntegration(record), routingKey };
  }

  async get(caller: Caller, id: string): Promise<Integration> {
    return toIntegration(await this.#load(caller, id));
  }

  async list(
    caller: Caller,
    requestedPageSize: number,
    pageToken: string,
  ): Promise<{ integrations: Integration[]; nextPageToken: string }> {
    const page = await this.repo.list(
      caller.organizationId,
      pageSize(requestedPageSize),
      pageToken || undefined,
    );
    return { integrations: page.items.map(toIntegration), nextPageToken: page.next ?? "" };
  }

  /**
   * The enabled integrations of an organization whose default service is
   * `serviceId`: what still routes alerts to that service.
   */
  async usingService(organizationId: string, serviceId: string): Promise<string[]> {
    const ids: string[] = [];
    let after: string | undefined;
    do {
      const page = await this.repo.list(organizationId, 100, after);
      ids.push(
        ...page.items.filter((r) => r.enabled && r.defaultServiceId === serviceId).map((r) => r.id),
      );
      after = page.next;
    } while (after !== undefined);
    return ids;
  }

  async rotateRoutingKey(
    caller: Caller,
    id: string,
  ): Promise<{ integration: Integration; routingKey: string }> {
    const routingKey = generateRoutingKey();
    const updated = await this.#change(caller, id, (record) => ({
      ...record,
      routingKeyHash: hashSecret(routingKey),
      routingKeyHint: keyHint(routingKey),
    }));
    return { integration: toIntegration(updated), routingKey };
  }

  async setSigningSecret(caller: Caller, req: SetSigningSecretRequest): Promise<Integration> {
    if (req.gracePeriodSeconds > MAX_GRACE_SECONDS) {
      throw new ValidationError([
        { field: "grace_period_seconds", description: `must be at most ${MAX_GRACE_SECONDS}` },
      ]);
    }
    const updated = await this.#change(caller, req.integrationId, (record, now) => {
      const violations: Violation[] = [];
      if (req.signingSecret !== "") {
        checkSecret(req.signingSecret, record.type, violations);
      }
      if (violations.length > 0) {
        throw new ValidationError(violations);
      }
      const notAfter = new Date(now.getTime() + req.gracePeriodSeconds * 1000);
      // The outgoing current secret keeps verifying until notAfter, and no
      // older secret outlives it: a grace period of 0 ends every earlier
      // secret at once (the way to revoke one that leaked).
      const previous: StoredSecret[] = record.signingSecrets
        .map((s) => ({
          sealed: s.sealed,
          notAfter: s.notAfter !== undefined && s.notAfter < notAfter ? s.notAfter : notAfter,
        }))
        .filter((s) => s.notAfter > now);
      const current = req.signingSecret
        ? [{ sealed: this.secrets.seal(req.signingSecret, record.id) }]
        : [];
      return { ...record, signingSecrets: [...current, ...previous] };
    });
    return toIntegration(updated);
  }

  /**
   * Changes what `update_mask` names (AIP-134; the proto comment is the
   * reference), as a compare-and-set like every other change, so a
   * concurrent rotation or secret change is kept. Every refused value is
   * reported at once.
   */
  async update(caller: Caller, req: UpdateIntegrationRequest): Promise<Integration> {
    const given = req.integration;
    if (given === undefined || given.id === "") {
      throw new ValidationError([{ field: "integration.id", description: "is required" }]);
    }
    const { fields, options: optionPaths } = updatePaths(req);
    const current = await this.#load(caller, given.id);
    if (fields.size === 0 && optionPaths.length === 0) {
      return toIntegration(current);
    }
    const sent = given.options ?? create(IntegrationOptionsSchema);
    // Only the fields named change, so checking them against the record as
    // read holds for the fresh one the compare-and-set may start over from
    // (an integration's type never changes).
    const withOptions = (stored: IntegrationOptions): IntegrationOptions =>
      optionPaths.reduce(
        (options, property) =>
          create(IntegrationOptionsSchema, { ...options, [property]: sent[property] }),
        fields.has("options") ? sent : stored,
      );
    const violations: Violation[] = [];
    if (fields.has("name")) {
      checkName(given.name, violations);
    }
    if (fields.has("rate_limit_per_minute")) {
      checkRate(given.rateLimitPerMinute, violations);
    }
    if (
      fields.has("default_service_id") &&
      given.defaultServiceId !== "" &&
      !(await this.services.exists(caller.organizationId, given.defaultServiceId))
    ) {
      violations.push({
        field: "default_service_id",
        description: `no service ${given.defaultServiceId} in this organization`,
      });
    }
    violations.push(
      ...checkIntegrationOptions(current.type, withOptions(current.options), "options"),
    );
    if (violations.length > 0) {
      throw new ValidationError(violations);
    }
    const updated = await this.#change(caller, given.id, (record) => ({
      ...record,
      ...(fields.has("name") && { name: given.name }),
      ...(fields.has("default_service_id") && { defaultServiceId: given.defaultServiceId }),
      ...(fields.has("rate_limit_per_minute") && { rateLimitPerMinute: given.rateLimitPerMinute }),
      options: normalizeOptions(record.type, withOptions(record.options)),
    }));
    return toIntegration(updated);
  }

  async disable(caller: Caller, id: string): Promise<Integration> {
    return toIntegration(
      await this.#change(caller, id, (record) =>
        record.enabled ? { ...record, enabled: false } : undefined,
      ),
    );
  }

  /**
   * Read, change, write back only if nobody changed it meanwhile; otherwise
   * start over from the fresh record. Without this, a rotation racing a
   * secret change could silently restore the old (perhaps leaked) key.
   * `apply` returns undefined when there is nothing to change.
   */
  async #change(
    caller: Caller,
    id: string,
    apply: (record: IntegrationRecord, now: Date) => IntegrationRecord | undefined,
  ): Promise<IntegrationRecord> {
    for (let attempt = 0; attempt < MAX_CHANGE_ATTEMPTS; attempt++) {
      const record = await this.#load(caller, id);
      const now = this.now();
      const changed = apply(record, now);
      if (changed === undefined) {
        return record;
      }
      // Strictly later than what was read, so the next writer's check fails.
      const updatedAt = new Date(Math.max(now.getTime(), record.updatedAt.getTime() + 1));
      const updated = { ...changed, updatedAt };
      if (await this.repo.replace(updated, record.updatedAt)) {
        this.onKeyChanged(record.routingKeyHash);
        return updated;
      }
    }
    throw new UnavailableError(`integration ${id} is being changed concurrently; retry`, {
      reason: "CONCURRENT_CHANGE",
    });
  }

  async #load(caller: Caller, id: string): Promise<IntegrationRecord> {
    if (id === "") {
      throw new ValidationError([{ field: "integration_id", description: "is required" }]);
    }
    const record = await this.repo.get(caller.organizationId, id);
    if (record === undefined) {
      throw new NotFoundError(`integration ${id} not found`, { reason: "INTEGRATION_NOT_FOUND" });
    }
    return record;
  }
}

function checkName(name: string, violations: Violation[]): void {
  if (name.trim() === "") {
    violations.push({ field: "name", description: "is required" });
  } else if ([...name].length > 200) {
    violations.push({ field: "name", description: "must be at most 200 characters" });
  }
}

function checkRate(rate: number, violations: Violation[]): void {
  if (rate < 1 || rate > 100_000) {
    violations.push({ field: "rate_limit_per_minute", description: "must be from 1 to 100000" });
  }
}

/**
 * The fields an update changes: the mask's paths (`*` for every field), or
 * without a mask those set in the request. Any other path is refused.
 */
function updatePaths(req: UpdateIntegrationRequest): {
  fields: ReadonlySet<Updatable>;
  options: readonly (keyof IntegrationOptions)[];
} {
  const given = req.integration;
  const paths = req.updateMask?.paths ?? [];
  if (paths.length === 0) {
    const set: Record<Updatable, boolean> = {
      name: given?.name !== "",
      default_service_id: given?.defaultServiceId !== "",
      rate_limit_per_minute: given?.rateLimitPerMinute !== 0,
      options: given?.options !== undefined,
    };
    return { fields: new Set(UPDATABLE.filter((f) => set[f])), options: [] };
  }
  const fields = new Set<Updatable>();
  const options: (keyof IntegrationOptions)[] = [];
  const unknown: string[] = [];
  for (const path of paths) {
    const option = OPTION_PATHS.get(path);
    if (path === "*") {
      UPDATABLE.forEach((f) => fields.add(f));
    } else if ((UPDATABLE as readonly string[]).includes(path)) {
      fields.add(path as Updatable);
    } else if (option !== undefined) {
      options.push(option);
    } else {
      unknown.push(path);
    }
  }
  if (unknown.length > 0) {
    throw new ValidationError(
      unknown.map((path) => ({
        field: "update_mask",
        description: `cannot update "${path}": the paths are ${[...UPDATABLE, ...OPTION_PATHS.keys()].join(", ")} or *`,
      })),
    );
  }
  return { fields, options };
}

function checkSecret(secret: string, type: IntegrationType, violations: Violation[]): void {
  if (!takesSigningSecret(type)) {
    violations.push({
      field: "signing_secret",
      description: "only custom and Sentry integrations are signed",
    });
  } else if (secret.length < 16 || secret.length > 256) {
    violations.push({ field: "signing_secret", description: "must be 16 to 256 characters" });
  }
}

function checkTopics(
  type: IntegrationType,
  arns: readonly string[],
  violations: Violation[],
): void {
  if (takesSnsTopics(type) && arns.length === 0) {
    violations.push({
      field: "sns_topic_arns",
      description: "is required for CloudWatch integrations",
    });
  }
  if (!takesSnsTopics(type) && arns.length > 0) {
    violations.push({
      field: "sns_topic_arns",
      description: "applies only to CloudWatch integrations",
    });
  }
  arns.forEach((arn, i) => {
    if (!/^arn:aws(-[a-z]+)*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/.test(arn)) {
      violations.push({ field: `sns_topic_arns[${i}]`, description: "must be an SNS topic ARN" });
    }
  });
}
