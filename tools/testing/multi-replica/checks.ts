/**
 * What the multi-replica test reads back: each replica's share of the calls
 * (from its own /metrics) and the incidents the team API reports, held
 * against what the edges answered.
 */
import type { Client } from "@connectrpc/connect";
import type { Incident, IncidentService } from "@runframe/contracts";
import type { ListeningApp } from "@runframe/platform/testing";
import type { Delivery } from "./senders.js";

/** The metric sample that counts the calls an app served, and its label filter. */
const SERVED = {
  edge: { metric: "http_server_duration_seconds_count", label: 'route="/webhooks/{routingKey}"' },
  auth: { metric: "rpc_server_duration_seconds_count", label: 'method="Authenticate"' },
  incident: { metric: "rpc_server_duration_seconds_count", label: 'method="Ingest"' },
  normalizer: { metric: "rpc_server_duration_seconds_count", label: 'method="Normalize"' },
} as const;

export type Role = keyof typeof SERVED;

/**
 * The calls one replica has served, by its own /metrics. The edge sends
 * batch RPCs, and every item counts as a call of the single-item method
 * (Authenticate, Normalize, Ingest), so this is the webhooks it handled.
 */
export async function served(app: ListeningApp, role: Role): Promise<number> {
  const { metric, label } = SERVED[role];
  const text = await (await fetch(`${app.adminUrl}/metrics`)).text();
  return text
    .split("\n")
    .filter((line) => line.startsWith(`${metric}{`) && line.includes(label))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(" ") + 1)), 0);
}

/** Every incident of the caller's organization, through ListIncidents. */
export async function allIncidents(team: Client<typeof IncidentService>): Promise<Incident[]> {
  const incidents: Incident[] = [];
  let pageToken = "";
  do {
    const page = await team.listIncidents({ pageSize: 100, pageToken });
    incidents.push(...page.incidents);
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return incidents;
}

/** Accepted deliveries held against the stored incidents. */
export interface Reconciliation {
  /** Incidents the answers named. */
  readonly incidents: number;
  /** Accepted deliveries with an incident missing, or counted fewer times than accepted. */
  readonly lost: readonly string[];
  /** Incidents counted more times than accepted deliveries account for. */
  readonly overCounted: readonly string[];
  /** Dedup keys with more than one open incident, stored or answered. */
  readonly duplicated: readonly string[];
  /** Stored incidents no accepted delivery's answer names: written for a sender told otherwise. */
  readonly unnamed: readonly string[];
}

/**
 * Holds every accepted delivery's answer against what is stored: each
 * incident an answer names exists under that dedup key, with exactly as
 * many occurrences as accepted deliveries created or updated it (each
 * delivery counts once however often it was sent: they carry delivery
 * keys), no dedup key has two incidents, and no incident is stored that
 * no accepted answer names.
 */
export function reconcile(
  deliveries: readonly Delivery[],
  stored: readonly Incident[],
): Reconciliation {
  const expected = new Map<string, { dedupKey: string; count: number; actions: string[] }>();
  const answeredIds = new Map<string, Set<string>>();
  for (const delivery of deliveries) {
    for (const ref of delivery.accepted?.incidents ?? []) {
      if (ref.action !== "created" && ref.action !== "updated") {
        continue;
      }
      const id = ref.id ?? "";
      const entry = expected.get(id) ?? { dedupKey: ref.dedupKey ?? "", count: 0, actions: [] };
      entry.count++;
      entry.actions.push(ref.action);
      expected.set(id, entry);
      const ids = answeredIds.get(entry.dedupKey) ?? new Set();
      answeredIds.set(entry.dedupKey, ids.add(id));
    }
  }
  const byId = new Map(stored.map((incident) => [incident.id, incident]));
  const storedIds = new Map<string, string[]>();
  for (const incident of stored) {
    storedIds.set(incident.dedupKey, [...(storedIds.get(incident.dedupKey) ?? []), incident.id]);
  }
  const lost: string[] = [];
  const overCounted: string[] = [];
  for (const [id, { dedupKey, count, actions }] of expected) {
    const incident = byId.get(id);
    if (incident === undefined || incident.dedupKey !== dedupKey) {
      const held = incident && `${incident.dedupKey}, ${incident.occurrenceCount} occurrences`;
      const keyed = (storedIds.get(dedupKey) ?? []).map((other) => {
        const o = byId.get(other)!;
        return `${o.id} (${o.occurrenceCount} occurrences)`;
      });
      lost.push(
        `${id} (${dedupKey}), ${count} accepted (${actions.join(" ")}): ` +
          `${id} holds ${held ?? "nothing"}; ` +
          `${dedupKey} is stored in ${keyed.join(", ") || "nothing"}`,
      );
    } else if (incident.occurrenceCount < count) {
      lost.push(`${id} (${dedupKey}): ${incident.occurrenceCount} occurrences, ${count} accepted`);
    } else if (incident.occurrenceCount > count) {
      overCounted.push(
        `${id} (${dedupKey}): ${incident.occurrenceCount} occurrences, ${count} accepted`,
      );
    }
  }
  const duplicated = [
    ...[...answeredIds]
      .filter(([, ids]) => ids.size > 1)
      .map(([key, ids]) => `${key}: answered ${[...ids].join(", ")}`),
    ...[...storedIds]
      .filter(([, ids]) => ids.length > 1)
      .map(([key, ids]) => `${key}: stored ${ids.join(", ")}`),
  ];
  const unnamed = stored
    .filter((incident) => !expected.has(incident.id))
    .map((incident) => `${incident.id} (${incident.dedupKey})`);
  return { incidents: expected.size, lost, overCounted, duplicated, unnamed };
}
