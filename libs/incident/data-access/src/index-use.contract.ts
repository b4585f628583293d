import { create } from "@bufbuild/protobuf";
import {
  AlertAction,
  DeliveryOutcome,
  IncidentStatus,
  IngestRequestSchema,
  IntegrationType,
  NormalizedAlertSchema,
} from "@runframe/contracts";
import {
  Incidents,
  type IncidentFilter,
  type IncidentStorage,
  type InboxFilter,
  type InboxRecord,
  type Page,
} from "@runframe/incident-domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * Every query the team API sends is served by an index, on both stores
 * (issue 8, item 7): a listing of a large organization reads the rows it
 * answers with, not the organization's whole history.
 *
 * The reads below are what the team RPCs call on storage — ListIncidents
 * with every combination of its filters, GetIncident, ListIncidentEvents,
 * WatchIncidents, ListServices, GetService, ListDeliveries with every
 * combination of its filters and time range, GetDelivery, GetDeliveryStats
 * — each on its first and its next page. Each store's test records the
 * queries the store really sends while they run and judges each one, so a
 * new query without an index fails here whichever read it comes from:
 *
 * - SQLite (`sqlite-index-use.test.ts`): `EXPLAIN QUERY PLAN` of every
 *   SELECT executed. No step may scan a table (not even in index order:
 *   that reads it all), sort outside an index, or leave a column compared
 *   with a parameter out of its index search (a filter applied row by row
 *   after the index is a scan of what the index found).
 * - MongoDB wire (`mongo-index-use.int.test.ts`): FerretDB v1 uses no
 *   secondary index and its `explain()` proves nothing, so every find,
 *   count and aggregate is checked against the indexes the store created
 *   (`listIndexes`) by the ESR rule MongoDB's planner follows: by `_id`,
 *   or the equality fields, then the sort fields, form a prefix of one
 *   index's key, and a range is on the first sort field (or, unsorted, on
 *   the key field after the equalities). `$or` branches are judged each
 *   with the rest of the filter. This holds on FerretDB in CI and is what
 *   lets MongoDB serve the same queries from its indexes.
 *
 * Both rules ask for the same thing: every equality filter is in the
 * index, so each combination of the optional filters has its index.
 * GetDeliveryStats counts by reading the scope's retained deliveries
 * through its index (bounded by the inbox limits): the rule proves it
 * reads no other organization's or integration's, not that it is O(1).
 */
export interface IndexUseFixture<Query> {
  readonly storage: IncidentStorage;
  /** Calls `sent` with every query the store sends from now on. */
  listen(sent: (query: Query) => void): void;
  /** Why no index serves `query`, or undefined when one does. */
  unserved(query: Query): Promise<string | undefined>;
  /** Sends a query on a field no index has, which `unserved` must refuse. */
  scan(): Promise<void>;
  dispose(): Promise<void>;
}

const org = "org-idx";
const statuses = [undefined, IncidentStatus.NEW, IncidentStatus.RESOLVED];
const serviceIds = [undefined, "SER-A"];
const integrationIds = [undefined, "int-1"];
const outcomes = [undefined, DeliveryOutcome.ACCEPTED, DeliveryOutcome.FAILED];

/** Every combination of `options`' values, one object each (undefined: the key left out). */
function combinations<T extends object>(options: { [K in keyof T]: readonly T[K][] }): T[] {
  return Object.entries(options).reduce<T[]>(
    (all, [key, values]) =>
      all.flatMap((partial) =>
        (values as unknown[]).map((value) =>
          value === undefined ? partial : { ...partial, [key]: value },
        ),
      ),
    [{} as T],
  );
}

interface Read {
  readonly name: string;
  readonly run: (storage: IncidentStorage) => Promise<unknown>;
}

/** A listing's first page, and the page after it (so the data must give it two answers). */
function pages(
  label: string,
  list: (s: IncidentStorage, after?: string) => Promise<Page<unknown>>,
) {
  return [
    { name: `${label}, first page`, run: (s: IncidentStorage) => list(s) },
    {
      name: `${label}, next page`,
      run: async (s: IncidentStorage) => {
        const first = await list(s);
        expect(first.next).toBeDefined();
        return list(s, first.next);
      },
    },
  ];
}

function incidentReads(): Read[] {
  return combinations<IncidentFilter>({
    status: statuses,
    serviceId: serviceIds,
    integrationId: integrationIds,
  }).flatMap((filter) =>
    pages(`ListIncidents ${JSON.stringify(filter)}`, (s, after) =>
      s.incidents.list(org, filter, 1, after),
    ),
  );
}

function deliveryReads(from: Date, to: Date): Read[] {
  return combinations<InboxFilter>({
    integrationId: integrationIds,
    outcome: outcomes,
    from: [undefined, from],
    to: [undefined, to],
  }).flatMap((filter) =>
    pages(`ListDeliveries ${JSON.stringify(filter)}`, (s, after) =>
      s.inbox.list(org, filter, 1, after),
    ),
  );
}

function inboxRecord(
  id: string,
  integrationId: string,
  outcome: DeliveryOutcome,
  receivedAt: Date,
): InboxRecord {
  return {
    id,
    organizationId: org,
    integrationId,
    integrationType: IntegrationType.PROMETHEUS,
    outcome,
    status: outcome === DeliveryOutcome.ACCEPTED ? 202 : 503,
    reason: outcome === DeliveryOutcome.ACCEPTED ? "" : "unavailable",
    answer: "{}",
    requestId: `req-${id}`,
    sourceAddress: "198.51.100.7",
    headers: [{ name: "content-type", value: "application/json" }],
    body: new TextEncoder().encode(`{"id":"${id}"}`),
    bodySize: 12,
    fieldErrors: [],
    results: [],
    receivedAt,
    expiresAt: new Date(receivedAt.getTime() + 86_400_000),
    integration: new Uint8Array(),
    verified: true,
    deliveryKey: "",
    redrive: false,
  };
}

/** Fills the organization so that every read above has at least two answers. */
async function seed(storage: IncidentStorage, start: Date): Promise<string> {
  const incidents = new Incidents(storage);
  for (const id of ["SER-A", "SER-B"]) {
    await storage.services.put(org, { id, name: id });
  }
  let first = "";
  const scopes = combinations<{ serviceId: string; integrationId: string; copy: number }>({
    serviceId: ["SER-A", "SER-B"],
    integrationId: ["int-1", "int-2"],
    copy: [1, 2],
  });
  for (const { serviceId, integrationId, copy } of scopes) {
    for (const resolved of [false, true]) {
      const dedupKey = `${serviceId}/${integrationId}/${copy}/${resolved}`;
      const ingest = (action: AlertAction) =>
        incidents.ingest(
          create(IngestRequestSchema, {
            organizationId: org,
            integrationId,
            alerts: [
              create(NormalizedAlertSchema, {
                action,
                title: dedupKey,
                serviceId,
                status: IncidentStatus.NEW,
                dedupKey,
              }),
            ],
          }),
        );
      const created = await ingest(AlertAction.TRIGGER);
      await ingest(resolved ? AlertAction.RESOLVE : AlertAction.TRIGGER);
      first ||= created.results[0]!.incidentId;
    }
  }
  let n = 0;
  const records: InboxRecord[] = [];
  for (const integrationId of ["int-1", "int-2"]) {
    for (const outcome of [DeliveryOutcome.ACCEPTED, DeliveryOutcome.FAILED]) {
      for (let copy = 0; copy < 3; copy++) {
        n++;
        records.push(
          inboxRecord(`d-${n}`, integrationId, outcome, new Date(start.getTime() + n * 1000)),
        );
      }
    }
  }
  await storage.inbox.record(records);
  return first;
}

/** Runs every team-API read against `open`'s store and asks it to judge the queries each sends. */
export function describeIndexUseContract<Query>(
  name: string,
  open: () => Promise<IndexUseFixture<Query>>,
): void {
  describe(`every team-API query uses an index: ${name}`, () => {
    let fixture: IndexUseFixture<Query>;
    let incidentId = "";
    let sent: Query[] | undefined;
    const start = new Date(Date.now() - 3_600_000);

    beforeAll(async () => {
      fixture = await open();
      fixture.listen((query) => sent?.push(query));
      incidentId = await seed(fixture.storage, start);
    });
    afterAll(() => fixture.dispose());

    /** The queries `work` sends, and why each one no index serves is not. */
    const judge = async (work: () => Promise<unknown>) => {
      const queries: Query[] = [];
      sent = queries;
      try {
        await work();
      } finally {
        sent = undefined;
      }
      const unserved: string[] = [];
      for (const query of queries) {
        const why = await fixture.unserved(query);
        if (why !== undefined) {
          unserved.push(why);
        }
      }
      return { queries: queries.length, unserved };
    };

    const reads: Read[] = [
      ...incidentReads(),
      { name: "GetIncident", run: (s) => s.incidents.get(org, incidentId) },
      ...pages("ListIncidentEvents", (s, after) => s.timeline.events(org, incidentId, 1, after)),
      {
        name: "WatchIncidents, from the start and from a position",
        run: async (s) => {
          const [first] = await s.changes.after(org, { updatedAt: new Date(0), number: 0 }, 1);
          expect(first).toBeDefined();
          return s.changes.after(org, first!.position, 2);
        },
      },
      { name: "GetService", run: (s) => s.services.get(org, "SER-A") },
      ...pages("ListServices", (s, after) => s.services.list(org, 1, after)),
      ...deliveryReads(new Date(start.getTime() + 1500), new Date(start.getTime() + 11_500)),
      { name: "GetDelivery", run: (s) => s.inbox.get(org, "d-1") },
      { name: "GetDeliveryStats of the organization", run: (s) => s.inbox.stats(org, undefined) },
      { name: "GetDeliveryStats of an integration", run: (s) => s.inbox.stats(org, "int-1") },
    ];

    it.each(reads)("$name", async ({ run }) => {
      const { queries, unserved } = await judge(() => run(fixture.storage));
      expect(queries).toBeGreaterThan(0);
      expect(unserved).toEqual([]);
    });

    it("notices a query that no index serves", async () => {
      const { queries, unserved } = await judge(() => fixture.scan());
      expect(queries).toBe(1);
      expect(unserved).toHaveLength(1);
    });
  });
}
