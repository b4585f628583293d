import { backendUrl, uniqueDbName } from "@runframe/platform/testing";
import { MongoClient, type CommandStartedEvent, type Db, type Document } from "mongodb";
import { describe, expect, it } from "vitest";
import { describeIndexUseContract } from "./index-use.contract.js";
import { MongoIncidentStorage } from "./mongo-incident-store.js";

/** A query as the store sent it. */
interface Query {
  readonly collection: string;
  readonly filter: Document;
  readonly sort: Document;
}

/** An index key, field by field with its direction. */
type Key = readonly (readonly [string, number])[];

/** One conjunction of conditions: each field, and whether it is compared for equality. */
type Branch = ReadonlyMap<string, boolean>;

const isOperators = (value: unknown): value is Document =>
  typeof value === "object" &&
  value !== null &&
  !(value instanceof Date) &&
  !Array.isArray(value) &&
  Object.keys(value).some((k) => k.startsWith("$"));

/** The filter as a disjunction of conjunctions: `$or` branches each with the rest of the filter. */
function branches(filter: Document): Map<string, boolean>[] {
  let result: Map<string, boolean>[] = [new Map()];
  const and = (alternatives: Map<string, boolean>[]) => {
    result = result.flatMap((r) =>
      alternatives.map((a) => {
        const merged = new Map(r);
        for (const [field, eq] of a) {
          merged.set(field, (merged.get(field) ?? false) || eq);
        }
        return merged;
      }),
    );
  };
  for (const [field, value] of Object.entries(filter)) {
    if (field === "$or") {
      and((value as Document[]).flatMap(branches));
    } else if (field === "$and") {
      for (const part of value as Document[]) {
        and(branches(part));
      }
    } else if (field.startsWith("$")) {
      throw new Error(`no rule for ${field} in ${JSON.stringify(filter)}`);
    } else {
      const eq = !isOperators(value) || (Object.keys(value).length === 1 && "$eq" in value);
      and([new Map([[field, eq]])]);
    }
  }
  return result;
}

/**
 * Whether `key` serves one branch sorted by `sort` (ESR): by `_id`, or the
 * equality fields lead the key, the sort fields follow in order (all in the
 * key's directions or all reversed; fields compared for equality are
 * constant, so they may sit anywhere), and a range is on the first sort
 * field or, unsorted, on the key field after the equalities.
 */
function serves(key: Key, branch: Branch, sort: Key): boolean {
  const equal = new Set([...branch].filter(([, eq]) => eq).map(([field]) => field));
  if (equal.has("_id")) {
    return true;
  }
  const sorted = new Set(sort.map(([field]) => field));
  let i = 0;
  while (i < key.length && equal.has(key[i]![0])) {
    i++;
  }
  const led = new Set(key.slice(0, i).map(([field]) => field));
  if ([...equal].some((field) => !sorted.has(field) && !led.has(field))) {
    return false;
  }
  const rest = key.slice(i).filter(([field]) => !equal.has(field));
  const order = sort.filter(([field]) => !equal.has(field));
  const flipped = order.length > 0 && rest[0]?.[1] !== order[0]![1];
  const ordered = order.every(
    ([field, direction], k) => rest[k]?.[0] === field && (rest[k][1] === direction) !== flipped,
  );
  const bound = order.length > 0 ? order[0]![0] : rest[0]?.[0];
  const ranges = [...branch].filter(([, eq]) => !eq).map(([field]) => field);
  return ordered && ranges.every((field) => field === bound || equal.has(field));
}

/** Why no index of `indexes` serves `query`, or undefined when one does. */
function unservedBecause(query: Query, indexes: readonly Document[]): string | undefined {
  const keys = indexes
    // A sparse or partial index holds only some documents: it answers no general query.
    .filter((index) => index["sparse"] !== true && index["partialFilterExpression"] === undefined)
    .map((index) => Object.entries(index["key"] as Document) as [string, number][]);
  const sort = Object.entries(query.sort) as [string, number][];
  const unserved = branches(query.filter).filter(
    (branch) => !keys.some((key) => serves(key, branch, sort)),
  );
  return unserved.length === 0
    ? undefined
    : `${query.collection}: ${JSON.stringify(query.filter)} sorted ${JSON.stringify(query.sort)}: no index of ${JSON.stringify(keys)}`;
}

/** The query a find, count or aggregate command sends, if it is one. */
function queryOf(event: CommandStartedEvent): Query | undefined {
  const command = event.command;
  const collection = command[event.commandName] as string;
  switch (event.commandName) {
    case "find":
      return {
        collection,
        filter: (command["filter"] as Document | undefined) ?? {},
        sort: (command["sort"] as Document | undefined) ?? {},
      };
    case "count":
      return { collection, filter: (command["query"] as Document | undefined) ?? {}, sort: {} };
    case "aggregate": {
      const [first, second] = command["pipeline"] as Document[];
      return {
        collection,
        filter: (first?.["$match"] as Document | undefined) ?? {},
        sort: (second?.["$sort"] as Document | undefined) ?? {},
      };
    }
    default:
      return undefined;
  }
}

describeIndexUseContract<Query>("MongoDB", async () => {
  const client = await MongoClient.connect(backendUrl("MONGO_URL"), { monitorCommands: true });
  const db: Db = client.db(uniqueDbName("index_use"));
  const storage = new MongoIncidentStorage(db);
  await storage.init();
  return {
    storage,
    listen(sent) {
      client.on("commandStarted", (event) => {
        const query = event.databaseName === db.databaseName && queryOf(event);
        if (query) {
          sent(query);
        }
      });
    },
    unserved: async (query) =>
      unservedBecause(query, await db.collection(query.collection).listIndexes().toArray()),
    async scan() {
      await db.collection("incidents").find({ organizationId: "org-idx", title: "x" }).toArray();
    },
    async dispose() {
      await db.dropDatabase();
      await client.close();
    },
  };
});

describe("the index rule for MongoDB-wire queries", () => {
  const indexes = [
    { key: { _id: 1 } },
    { key: { organizationId: 1, status: 1, number: -1 } },
    { key: { organizationId: 1, updatedAt: 1, number: 1 } },
    { key: { redrivePending: 1, receivedAt: 1 }, sparse: true },
  ];
  const judge = (filter: Document, sort: Document = {}) =>
    unservedBecause({ collection: "incidents", filter, sort }, indexes);

  it("accepts equalities then the sort, either direction, with a range on the sort", () => {
    expect(judge({ organizationId: "o", status: "NEW" }, { number: -1 })).toBeUndefined();
    expect(
      judge({ organizationId: "o", status: "NEW", number: { $lt: 9 } }, { number: 1 }),
    ).toBeUndefined();
    expect(judge({ organizationId: "o" })).toBeUndefined();
    expect(judge({ _id: "o/INC-00001", anything: 1 })).toBeUndefined();
    expect(
      judge(
        {
          organizationId: "o",
          $or: [{ updatedAt: { $gt: 1 } }, { updatedAt: 1, number: { $gt: 2 } }],
        },
        { updatedAt: 1, number: 1 },
      ),
    ).toBeUndefined();
  });

  it("refuses a filter outside the key, a sort it cannot give, and a range that does not bound", () => {
    expect(judge({ organizationId: "o", serviceId: "s" }, { number: -1 })).toBeDefined();
    expect(judge({ organizationId: "o", status: "NEW" }, { updatedAt: -1 })).toBeDefined();
    expect(judge({ organizationId: "o" }, { status: 1, number: 1 })).toBeDefined();
    expect(judge({ organizationId: "o", status: { $ne: "NEW" } }, { number: -1 })).toBeDefined();
    expect(judge({ status: "NEW" })).toBeDefined();
    expect(judge({ redrivePending: true }, { receivedAt: 1 })).toBeDefined();
    expect(
      judge({ organizationId: "o", $or: [{ status: "NEW" }, { serviceId: "s" }] }),
    ).toBeDefined();
  });
});
