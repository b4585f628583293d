import { openSqlite, type Database } from "@runframe/storage";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeIndexUseContract } from "./index-use.contract.js";
import { SqliteIncidentStorage } from "./sqlite-incident-store.js";

/** A statement the store executed, with what it was bound to. */
interface Executed {
  readonly sql: string;
  readonly args: unknown[];
}

const EXECUTING = new Set<PropertyKey>(["all", "get", "iterate", "run"]);

/**
 * Tells `sent` of every statement `db` executes. Statements are wrapped
 * when prepared, so those a store prepares once at construction are told
 * of each time they run.
 */
function recordStatements(db: Database, sent: (executed: Executed) => void): void {
  const prepare = db.prepare.bind(db);
  db.prepare = ((sql: string) => {
    const statement = prepare(sql);
    const recorded: typeof statement = new Proxy(statement, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== "function") {
          return value;
        }
        return (...args: unknown[]) => {
          if (EXECUTING.has(property)) {
            sent({ sql, args });
          }
          const result: unknown = value.apply(target, args);
          return result === target ? recorded : result;
        };
      },
    });
    return recorded;
  }) as typeof db.prepare;
}

/** A column compared with a bound parameter: `col = ?`, `col < @at`, … */
const COMPARED = /\b([a-z_]+)\s*(?:=|<>|!=|<=|>=|<|>)\s*[?@]/gi;
/** A search step and the constraints its index bounds it by. */
const SEARCH = /^SEARCH \S+ USING (?:(?:COVERING )?INDEX \S+|(?:INTEGER )?PRIMARY KEY) \((.*)\)$/;

/** Why SQLite would not serve a SELECT from indexes alone, or undefined when it would. */
function unservedBecause(db: Database, tables: ReadonlySet<string>, executed: Executed) {
  const plan = db
    .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${executed.sql}`)
    .all(...executed.args);
  const problems: string[] = [];
  const bounded = new Set<string>();
  for (const { detail } of plan) {
    const scanned = /^SCAN (\S+)/.exec(detail)?.[1];
    if (scanned !== undefined && tables.has(scanned)) {
      problems.push(detail);
    }
    if (/USE TEMP B-TREE FOR .*ORDER BY/.test(detail)) {
      problems.push(detail);
    }
    for (const constraint of SEARCH.exec(detail)?.[1]?.split(" AND ") ?? []) {
      bounded.add(/^\w+/.exec(constraint)?.[0] ?? constraint);
    }
  }
  for (const [, column] of executed.sql.matchAll(COMPARED)) {
    if (!bounded.has(column!)) {
      problems.push(`${column} filtered row by row, not by the index`);
    }
  }
  return problems.length === 0
    ? undefined
    : `${executed.sql.replace(/\s+/g, " ")}\n  plan: ${plan.map((p) => p.detail).join("; ")}\n  ${problems.join("; ")}`;
}

describeIndexUseContract<Executed>("SQLite", async () => {
  const dir = await mkdtemp(join(tmpdir(), "runframe-index-use-"));
  const [write, read] = [openSqlite(dir), openSqlite(dir)];
  let listener: (executed: Executed) => void = () => undefined;
  for (const db of [write, read]) {
    recordStatements(db, (executed) => {
      if (/^\s*(SELECT|WITH)\b/i.test(executed.sql)) {
        listener(executed);
      }
    });
  }
  const storage = new SqliteIncidentStorage(write, read);
  const tables = new Set(
    read
      .prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table'")
      .all()
      .map((t) => t.name),
  );
  return {
    storage,
    listen(sent) {
      listener = sent;
    },
    unserved: async (executed) => unservedBecause(read, tables, executed),
    async scan() {
      read.prepare("SELECT 1 FROM incidents_v2 WHERE json_extract(state, '$.title') = ?").all("x");
    },
    async dispose() {
      write.close();
      read.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
