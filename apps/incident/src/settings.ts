import {
  clientSpecs,
  provisioningSpecs,
  serverSpecs,
  serviceUrlSpec,
  storageSpecs,
} from "@runframe/platform";
import { APP_PORTS } from "@runframe/platform/apps";

/** Every setting of incident. Without MONGO_URL it keeps incidents in SQLite. */
export const settings = {
  ...serverSpecs(APP_PORTS.incident),
  ...storageSpecs(),
  ...provisioningSpecs(),
  // Team API keys belong to auth, which verifies them.
  RUNFRAME_AUTH_URL: serviceUrlSpec("auth"),
  ...clientSpecs(),
};
