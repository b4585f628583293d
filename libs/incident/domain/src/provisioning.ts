import type { Bootstrap } from "@runframe/util";
import type { IncidentStore } from "./model.js";

/** Applies the incident service's part of a provisioning file: the service catalog. Idempotent. */
export async function applyProvisioning(
  bootstrap: Bootstrap,
  store: IncidentStore,
): Promise<number> {
  let services = 0;
  for (const org of bootstrap.organizations) {
    for (const service of org.services) {
      await store.putService(org.id, service);
      services++;
    }
  }
  return services;
}
