import type { Bootstrap } from "@runframe/util";
import type { ServiceCatalog } from "./ports.js";

/** Applies the incident service's part of a provisioning file: the service catalog. Idempotent. */
export async function applyProvisioning(
  bootstrap: Bootstrap,
  services: ServiceCatalog,
): Promise<number> {
  let count = 0;
  for (const org of bootstrap.organizations) {
    for (const service of org.services) {
      await services.put(org.id, service);
      count++;
    }
  }
  return count;
}
