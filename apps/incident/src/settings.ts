import {
  clientSpecs,
  normalizerUrlSpecs,
  positiveInt,
  provisioningSpecs,
  serverSpecs,
  serviceUrlSpec,
  storageSpecs,
} from "@runframe/platform";
import { APP_PORTS } from "@runframe/platform/apps";
import { DEFAULT_INBOX_LIMITS } from "@runframe/incident-domain";

const DAY_MS = 24 * 3600 * 1000;

/** Every setting of incident. Without MONGO_URL it keeps incidents in SQLite. */
export const settings = {
  ...serverSpecs(APP_PORTS.incident),
  ...storageSpecs(),
  ...provisioningSpecs(),
  // Team API keys belong to auth, which verifies them; redrives use up the
  // routing key's quota there too.
  RUNFRAME_AUTH_URL: serviceUrlSpec("auth"),
  // Replays and redrives of stored deliveries run them through their
  // provider's normalizer again.
  ...normalizerUrlSpecs(),
  ...clientSpecs(),
  RUNFRAME_INBOX_RETENTION_DAYS: positiveInt({
    default: DEFAULT_INBOX_LIMITS.retentionMs / DAY_MS,
    desc: "how long the delivery inbox keeps a delivery",
  }),
  RUNFRAME_INBOX_MAX_DELIVERIES: positiveInt({
    default: DEFAULT_INBOX_LIMITS.maxDeliveries,
    desc: "deliveries the inbox keeps per integration, oldest out first",
  }),
  RUNFRAME_INBOX_MAX_BYTES: positiveInt({
    default: DEFAULT_INBOX_LIMITS.maxBytes,
    desc: "body bytes the inbox keeps per integration, oldest out first",
  }),
  RUNFRAME_REDRIVE_INTERVAL_MS: positiveInt({
    default: 5_000,
    desc: "how often throttled deliveries are redriven as their routing key's quota allows",
  }),
  RUNFRAME_SCHEDULE_INTERVAL_MS: positiveInt({
    default: 2_000,
    desc: "how often the replica holding the scheduled-work lease checks heartbeats, auto-resolve and flapping timers (the lease runs 5 intervals, at least 10 s)",
  }),
  RUNFRAME_OPTION_MINUTE_MS: positiveInt({
    default: 60_000,
    desc: "the length of a minute in the auto_resolve and flapping options; only tests shorten it",
  }),
};

/** The inbox's limits, from the settings. */
export function inboxLimits(config: {
  RUNFRAME_INBOX_RETENTION_DAYS: number;
  RUNFRAME_INBOX_MAX_DELIVERIES: number;
  RUNFRAME_INBOX_MAX_BYTES: number;
}) {
  return {
    retentionMs: config.RUNFRAME_INBOX_RETENTION_DAYS * DAY_MS,
    maxDeliveries: config.RUNFRAME_INBOX_MAX_DELIVERIES,
    maxBytes: config.RUNFRAME_INBOX_MAX_BYTES,
  };
}
