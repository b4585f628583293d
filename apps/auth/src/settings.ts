import { DEFAULT_DRY_RUN_LIMIT, DEFAULT_SNS_CERT_URL_PATTERN } from "@runframe/auth-domain";
import {
  clientSpecs,
  hostPortList,
  key32,
  positiveInt,
  provisioningSpecs,
  redisUrl,
  serverSpecs,
  serviceUrlSpec,
  storageSpecs,
} from "@runframe/platform";
import { APP_PORTS } from "@runframe/platform/apps";
import { makeValidator } from "envalid";

/** A regular expression, compiled once to prove it is one. */
const regex = makeValidator<string>((input) => {
  try {
    new RegExp(input);
  } catch (error) {
    throw new Error(`must be a regular expression (${(error as Error).message})`);
  }
  return input;
});

/**
 * Every setting of auth. With neither MONGO_URL nor REDIS_URL set, auth
 * runs embedded: SQLite in RUNFRAME_DATA_DIR and rate limits in memory.
 */
export const settings = {
  ...serverSpecs(APP_PORTS.auth),
  ...storageSpecs(),
  REDIS_URL: redisUrl({
    default: undefined,
    desc: "Redis (redis:// or rediss://) for rate limits shared by every auth replica; unset: in memory, one replica only",
  }),
  REDIS_CLUSTER_NODES: hostPortList({
    default: undefined,
    desc: "Redis Cluster seeds (host:port,host:port,…), instead of REDIS_URL",
  }),
  RUNFRAME_SECRET_KEY: key32({
    desc: "32 bytes, base64 (openssl rand -base64 32): seals signing secrets at rest",
  }),
  ...provisioningSpecs(),
  // CreateIntegration checks the default service with incident, which owns the catalog.
  RUNFRAME_INCIDENT_URL: serviceUrlSpec("incident"),
  ...clientSpecs(),
  RUNFRAME_SNS_CERT_URL_PATTERN: regex({
    default: DEFAULT_SNS_CERT_URL_PATTERN,
    desc: "regular expression the whole SNS SigningCertURL must match (a SubscribeURL must be https on the same host); the default admits https on sns.<region>.amazonaws.com(.cn)",
  }),
  RUNFRAME_DRY_RUN_LIMIT_PER_MINUTE: positiveInt({
    default: DEFAULT_DRY_RUN_LIMIT,
    desc: "dry runs (?dry_run=true) per routing key per minute; they never use the key's quota",
  }),
};
