import { IncidentStatus } from "@runframe/contracts";
import { decideAlert, type DecisionUnit, type DeliveryInput } from "./ingest.js";
import {
  heldOpenKey,
  openKeyOf,
  type Change,
  type DedupScope,
  type EventRecord,
  type IncidentDraft,
  type IncidentRecord,
  type StoredResult,
} from "./model.js";
import type { DeliveryLog, IncidentReader } from "./ports.js";

/** What Ingest would do with one alert. */
export interface Explanation {
  /**
   * Ingest's answer for it; `incidentId` is empty where the incident would
   * be new (its number is given out only when stored) or the alert ignored.
   */
  readonly result: StoredResult;
  /** Of an incident this same delivery would create: the index of the alert creating it. */
  readonly newIncidentAlert?: number;
}

/** What Ingest would do with one delivery. */
export interface DeliveryExplanation {
  readonly explanations: readonly Explanation[];
  /** A redelivery: Ingest would answer the first delivery's results and change nothing. */
  readonly replayed: boolean;
}

/** What explaining reads: exact lookups that write nothing. */
export interface ExplainReads {
  readonly incidents: Pick<IncidentReader, "findOpen">;
  readonly deliveries: Pick<DeliveryLog, "answered">;
}

/**
 * Explains a validated delivery as Ingest would apply it now, storing
 * nothing. A redelivery is answered from the delivery log as Ingest
 * answers it; otherwise every alert, in order, goes through `decideAlert`,
 * the decision Ingest itself makes, on a unit that keeps its writes to
 * itself, so a later alert of the delivery sees what the earlier ones
 * would have done (a trigger then a resolve of one new key: created, then
 * resolved).
 */
export async function explainDelivery(
  reads: ExplainReads,
  delivery: DeliveryInput,
  at: Date,
): Promise<DeliveryExplanation> {
  if (delivery.keys.length > 0) {
    const earlier = await reads.deliveries.answered(delivery.keys);
    if (earlier !== undefined) {
      return { replayed: true, explanations: earlier.map((result) => ({ result })) };
    }
  }
  const unit = new WhatIfUnit(reads.incidents);
  const explanations: Explanation[] = [];
  for (let index = 0; index < delivery.alerts.length; index++) {
    const { result } = await decideAlert(unit, delivery, index, index, at);
    const newIncidentAlert = unit.creatorOf(result.incidentId);
    explanations.push(
      newIncidentAlert === undefined
        ? { result }
        : { result: { ...result, incidentId: "" }, newIncidentAlert },
    );
  }
  return { replayed: false, explanations };
}

/** Stands for an incident a what-if unit created; never a real id (those are `INC-…`). */
const NEW_INCIDENT = "new-incident:";

/**
 * A unit of writes that writes nothing: it reads open incidents from the
 * store exactly and keeps what it was asked to write in memory, where its
 * own later reads see it, as a store's unit does within one commit.
 * Incidents it creates get a stand-in id naming the alert (the tag) that
 * created them.
 */
class WhatIfUnit implements DecisionUnit {
  /** Open key → the open incident as this unit's writes left it (undefined: none open). */
  readonly #open = new Map<string, IncidentRecord | undefined>();

  constructor(private readonly incidents: Pick<IncidentReader, "findOpen">) {}

  async findOpen(scope: DedupScope): Promise<IncidentRecord | undefined> {
    const key = openKeyOf(scope);
    return this.#open.has(key) ? this.#open.get(key) : this.incidents.findOpen(scope);
  }

  async create(draft: IncidentDraft, _event: EventRecord, tag: number): Promise<IncidentRecord> {
    const record: IncidentRecord = { ...draft, id: `${NEW_INCIDENT}${tag}`, number: 0 };
    // One opened resolved holds no key: an incident open under it stays open.
    const key = heldOpenKey(record);
    if (key !== undefined) {
      this.#open.set(key, record);
    }
    return record;
  }

  /** Updates are of incidents found open under their key; resolving one frees the key. */
  update({ next }: Change): void {
    if (next.dedupKey !== "") {
      this.#open.set(openKeyOf(next), next.status === IncidentStatus.RESOLVED ? undefined : next);
    }
  }

  /** The alert that created `incidentId` in this unit, if it is one of its stand-ins. */
  creatorOf(incidentId: string): number | undefined {
    return incidentId.startsWith(NEW_INCIDENT)
      ? Number(incidentId.slice(NEW_INCIDENT.length))
      : undefined;
  }
}
