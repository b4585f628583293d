import { IncidentStatus } from "@runframe/contracts";
import {
  FailedPreconditionError,
  NotFoundError,
  ValidationError,
  type Violation,
} from "@runframe/util";
import type { Caller, Incidents } from "./incidents.js";
import type { IncidentStorage, Service } from "./ports.js";

/** The integrations that route alerts to a service, which another service (auth) owns. */
export interface ServiceReferences {
  /** The enabled integrations of the organization whose default service is `serviceId`. */
  integrationsUsing(organizationId: string, serviceId: string): Promise<readonly string[]>;
}

/** What webhook payloads and the provisioning file accept as a service id. */
const SERVICE_ID = /^[A-Za-z0-9_.:-]{1,50}$/;
/** How many open incidents a refused deletion names. */
const NAMED_IN_REFUSAL = 5;

/**
 * The team API's changes to the service catalog. A service that open
 * incidents or enabled integrations still route alerts to cannot be
 * deleted: their next alert would be refused for naming a missing service
 * (and Alertmanager and Datadog never retry a 4xx). Resolved incidents keep
 * the id as history.
 */
export class ServiceAdmin {
  constructor(
    private readonly storage: IncidentStorage,
    private readonly incidents: Incidents,
    private readonly references: ServiceReferences,
  ) {}

  async create(caller: Caller, service: Service | undefined): Promise<Service> {
    const checked = check(service, "create");
    await this.storage.services.create(caller.organizationId, checked);
    this.incidents.forgetService(caller.organizationId, checked.id);
    return checked;
  }

  async update(caller: Caller, service: Service | undefined): Promise<Service> {
    const checked = check(service, "update");
    if (!(await this.storage.services.update(caller.organizationId, checked))) {
      throw new NotFoundError(`service ${checked.id} not found`);
    }
    return checked;
  }

  async delete(caller: Caller, serviceId: string): Promise<void> {
    if (serviceId === "") {
      throw new ValidationError([{ field: "service_id", description: "is required" }]);
    }
    const org = caller.organizationId;
    if ((await this.storage.services.get(org, serviceId)) === undefined) {
      throw new NotFoundError(`service ${serviceId} not found`);
    }
    const [open, integrations] = await Promise.all([
      this.#openIncidents(org, serviceId),
      this.references.integrationsUsing(org, serviceId),
    ]);
    if (open.length > 0 || integrations.length > 0) {
      const uses = [
        ...(open.length > 0 ? [`open incidents ${open.join(", ")}`] : []),
        ...(integrations.length > 0
          ? [`enabled integrations with it as default service: ${integrations.join(", ")}`]
          : []),
      ];
      throw new FailedPreconditionError(
        `service ${serviceId} is in use (${uses.join("; ")}); resolve the incidents and disable or re-create the integrations first`,
        { reason: "SERVICE_IN_USE" },
      );
    }
    await this.storage.services.delete(org, serviceId);
    this.incidents.forgetService(org, serviceId);
  }

  /** Up to a few open incidents routed to the service, by latest state. */
  async #openIncidents(organizationId: string, serviceId: string): Promise<string[]> {
    const pages = await Promise.all(
      [IncidentStatus.NEW, IncidentStatus.INVESTIGATING].map((status) =>
        this.storage.incidents.list(
          organizationId,
          { serviceId, status },
          NAMED_IN_REFUSAL,
          undefined,
        ),
      ),
    );
    return pages
      .flatMap((page) => page.items)
      .filter((incident) => incident.status !== IncidentStatus.RESOLVED)
      .map((incident) => incident.id)
      .slice(0, NAMED_IN_REFUSAL);
  }
}

function check(service: Service | undefined, verb: "create" | "update"): Service {
  const violations: Violation[] = [];
  const id = service?.id ?? "";
  const name = service?.name ?? "";
  if (service === undefined) {
    violations.push({ field: "service", description: "is required" });
  } else {
    if (id === "") {
      violations.push({ field: "service.id", description: "is required" });
    } else if (verb === "create" && !SERVICE_ID.test(id)) {
      violations.push({
        field: "service.id",
        description: "must be 1 to 50 characters of A-Z, a-z, 0-9, _ . : -",
      });
    }
    if (name.trim() === "") {
      violations.push({ field: "service.name", description: "is required" });
    } else if ([...name].length > 200) {
      violations.push({ field: "service.name", description: "must be at most 200 characters" });
    }
  }
  if (violations.length > 0) {
    throw new ValidationError(violations);
  }
  return { id, name };
}
