import { createClient, type Transport } from "@connectrpc/connect";
import type { IntegrationType } from "@runframe/contracts";
import { AuthService, IncidentService, NormalizerService } from "@runframe/contracts";
import { pino } from "pino";
import type { WebhookDeps } from "./webhook.js";

/**
 * The edge's dependencies over services in memory (a router transport), for
 * tests: one normalizer for `type`, an inbox that keeps nothing unless told,
 * a silent logger and small limits, each replaceable.
 */
export function memoryDeps(
  transport: Transport,
  type: IntegrationType,
  overrides: Partial<WebhookDeps> = {},
): WebhookDeps {
  const auth = createClient(AuthService, transport);
  const normalizer = createClient(NormalizerService, transport);
  const incident = createClient(IncidentService, transport);
  return {
    authenticate: (req, options) => auth.authenticate(req, options),
    normalizers: new Map([[type, (req, options) => normalizer.normalize(req, options)]]),
    ingest: (req, options) => incident.ingest(req, options),
    explain: (req, options) => incident.explainIngest(req, options),
    identify: (req, options) => auth.identifyRoutingKey(req, options),
    inbox: { now: async () => {}, later: () => {} },
    logger: pino({ level: "silent" }),
    maxBodyBytes: 1024,
    bodyTimeoutMs: 300,
    timeoutMs: 5_000,
    ...overrides,
  };
}
