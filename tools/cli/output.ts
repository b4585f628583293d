import { fromBinary, toJson, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema } from "@runframe/contracts";
import { UsageError } from "./settings.js";

/**
 * Exit codes, for scripts: 0 success; 1 the server refused the request
 * (invalid argument, failed precondition, already exists, internal …);
 * 2 a usage error (bad flags, config); 3 not found; 4 unauthenticated or
 * permission denied; 5 unavailable (retry later: unavailable, deadline
 * exceeded, resource exhausted, cannot connect); 6 not available on this
 * server.
 */
export const EXIT = {
  ok: 0,
  refused: 1,
  usage: 2,
  notFound: 3,
  denied: 4,
  unavailable: 5,
  notAvailable: 6,
} as const;

/**
 * proto3 JSON, with fields at their zero value included (`"enabled":
 * false`), so scripts can rely on every field being present.
 */
export const JSON_OPTIONS = { alwaysEmitImplicit: true } as const;

/** Prints messages as proto3 JSON (`--json`) or as a table of `columns`. */
export class Output {
  constructor(
    readonly json: boolean,
    private readonly out: NodeJS.WriteStream = process.stdout,
    private readonly err: NodeJS.WriteStream = process.stderr,
  ) {}

  /** One message: JSON, or `field  value` lines. */
  one<D extends DescMessage>(schema: D, message: MessageShape<D>, rows: [string, string][]): void {
    if (this.json) {
      this.line(JSON.stringify(toJson(schema, message, JSON_OPTIONS)));
    } else {
      const width = Math.max(...rows.map(([k]) => k.length));
      for (const [key, value] of rows) {
        this.line(`${key.padEnd(width)}  ${value}`);
      }
    }
  }

  /** Many messages: a JSON array, or a table with a header. */
  many<D extends DescMessage>(
    schema: D,
    messages: readonly MessageShape<D>[],
    columns: readonly [string, (m: MessageShape<D>) => string][],
  ): void {
    if (this.json) {
      this.line(JSON.stringify(messages.map((m) => toJson(schema, m, JSON_OPTIONS))));
      return;
    }
    if (messages.length === 0) {
      this.note("(none)");
      return;
    }
    this.table(
      columns.map(([title]) => title),
      messages.map((m) => columns.map(([, cell]) => cell(m))),
    );
  }

  table(header: readonly string[], rows: readonly (readonly string[])[]): void {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const format = (cells: readonly string[]) =>
      cells
        .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
        .join("  ")
        .trimEnd();
    this.line(format(header.map((h) => h.toUpperCase())));
    for (const row of rows) {
      this.line(format(row));
    }
  }

  line(text: string): void {
    this.out.write(`${text}\n`);
  }

  /** Feedback for people (stderr), never part of what scripts parse. */
  note(text: string): void {
    this.err.write(`${text}\n`);
  }

  /**
   * Reports a failure in one line (`runframe: <code>: <message> [field:
   * problem; …]`, or a JSON object on stderr with --json) and returns the
   * exit code.
   */
  fail(error: unknown): number {
    const { code, message, fields, exit } = describe(error);
    if (this.json) {
      this.err.write(`${JSON.stringify({ error: { code, message, fields } })}\n`);
    } else {
      const detail =
        fields.length > 0
          ? ` [${fields.map((f) => `${f.field}: ${f.description}`).join("; ")}]`
          : "";
      this.err.write(`runframe: ${code}: ${message}${detail}\n`);
    }
    return exit;
  }
}

interface Described {
  code: string;
  message: string;
  fields: { field: string; description: string }[];
  exit: number;
}

function describe(error: unknown): Described {
  if (error instanceof UsageError) {
    return { code: "usage", message: error.message, fields: [], exit: EXIT.usage };
  }
  if (error instanceof NotAvailableError) {
    return { code: "not_available", message: error.message, fields: [], exit: EXIT.notAvailable };
  }
  if (error instanceof HttpError) {
    return { code: error.code, message: error.message, fields: error.fields, exit: error.exit };
  }
  const err = ConnectError.from(error);
  return {
    code: codeName(err.code),
    message: reason(err) ? `${err.rawMessage} (${reason(err)})` : err.rawMessage,
    fields: violations(err),
    exit: exitOf(err.code),
  };
}

/**
 * Field violations and reasons, read from the standard google.rpc details
 * or from the runframe.common.v1 copies older servers attach: the two pairs
 * share their wire format, so one schema decodes both.
 */
function violations(err: ConnectError): { field: string; description: string }[] {
  return detailsOf(err, "BadRequest").flatMap((bytes) =>
    fromBinary(BadRequestSchema, bytes).fieldViolations.map((v) => ({
      field: v.field,
      description: v.description,
    })),
  );
}

function reason(err: ConnectError): string {
  const [first] = detailsOf(err, "ErrorInfo");
  return first === undefined ? "" : fromBinary(ErrorInfoSchema, first).reason;
}

/** The bytes of the error's details named `google.rpc.<name>` or `runframe.common.v1.<name>`. */
function detailsOf(err: ConnectError, name: string): Uint8Array[] {
  return err.details.flatMap((d) =>
    "type" in d &&
    (d.type === `google.rpc.${name}` || d.type === `runframe.common.v1.${name}`) &&
    d.value instanceof Uint8Array
      ? [d.value]
      : [],
  );
}

function exitOf(code: Code): number {
  switch (code) {
    case Code.NotFound:
      return EXIT.notFound;
    case Code.Unauthenticated:
    case Code.PermissionDenied:
      return EXIT.denied;
    case Code.Unavailable:
    case Code.DeadlineExceeded:
    case Code.ResourceExhausted:
      return EXIT.unavailable;
    case Code.Unimplemented:
      return EXIT.notAvailable;
    default:
      return EXIT.refused;
  }
}

/** `permission_denied`, as gRPC spells the code. */
export function codeName(code: Code): string {
  return Code[code].replace(/[A-Z]/g, (c, i: number) => (i === 0 ? "" : "_") + c.toLowerCase());
}

/** A feature this server does not have. */
export class NotAvailableError extends Error {}

/** A webhook answer that is not a 2xx (send-test). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: { field: string; description: string }[],
  ) {
    super(message);
  }

  get exit(): number {
    if (this.status === 401 || this.status === 403) {
      return EXIT.denied;
    }
    if (this.status === 404) {
      return EXIT.notFound;
    }
    return this.status === 429 || this.status >= 500 ? EXIT.unavailable : EXIT.refused;
  }
}

/** A timestamp as people read it: `2026-11-30 09:20:49Z`, or `-`. */
export function when(ts: Timestamp | undefined): string {
  return ts === undefined
    ? "-"
    : timestampDate(ts)
        .toISOString()
        .replace("T", " ")
        .replace(/\.\d+Z$/, "Z");
}

/** An enum value without its prefix, lower-case: `SEVERITY_SEV2` → `sev2`. */
export function enumName(names: Record<number, string>, value: number): string {
  return (names[value] ?? String(value)).toLowerCase();
}
