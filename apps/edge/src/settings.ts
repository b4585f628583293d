import {
  cidrList,
  clientSpecs,
  listenSpecs,
  normalizerUrlSpecs,
  positiveInt,
  processSpecs,
  serviceUrlSpec,
} from "@runframe/platform";
import { APP_PORTS } from "@runframe/platform/apps";

/**
 * Every setting of the edge. It serves plain HTTP/1.1 (webhooks, and
 * /healthz, /readyz, /metrics on the same port) and calls auth, incident
 * and every provider's normalizer.
 */
export const settings = {
  ...processSpecs(),
  ...listenSpecs(APP_PORTS.edge, "HTTP port for webhooks, /healthz, /readyz and /metrics"),
  ...clientSpecs(),
  RUNFRAME_AUTH_URL: serviceUrlSpec("auth"),
  RUNFRAME_INCIDENT_URL: serviceUrlSpec("incident"),
  ...normalizerUrlSpecs(),
  RUNFRAME_MAX_BODY_BYTES: positiveInt({
    default: 1024 * 1024,
    desc: "webhook body limit in bytes (413 beyond)",
  }),
  RUNFRAME_WEBHOOK_TIMEOUT_MS: positiveInt({
    default: 10_000,
    desc: "deadline for the RPCs behind one webhook, counted once its body is in (504 beyond)",
  }),
  RUNFRAME_BODY_TIMEOUT_MS: positiveInt({
    default: 30_000,
    desc: "how long a sender may take to upload a webhook body (408 beyond)",
  }),
  RUNFRAME_HEADERS_TIMEOUT_MS: positiveInt({
    default: 10_000,
    desc: "how long a client may take to send a request's headers (408 and the connection closed beyond)",
  }),
  RUNFRAME_TRUSTED_PROXIES: cidrList({
    default: [],
    desc: "proxies (CIDR list) whose X-Forwarded-For names the client, for the per-source limits; empty: none",
  }),
};
