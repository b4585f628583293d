import { BinaryReader } from "@bufbuild/protobuf/wire";
import { createServer as createHttpServer, type IncomingMessage } from "node:http";
import { createServer as createHttp2Server, type ServerHttp2Stream } from "node:http2";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";

/**
 * A span as an OTLP collector received it. Ids are lower-case hex; an empty
 * parent means a trace's root. `kind` is OTLP's SpanKind (1 internal, 2
 * server, 3 client); `statusCode` its StatusCode (0 unset, 1 ok, 2 error).
 */
export interface ReceivedSpan {
  readonly service: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: number;
  readonly attributes: Readonly<Record<string, string | number | boolean>>;
  readonly statusCode: number;
}

/** A stand-in OTLP collector: what the apps' exporters sent, decoded. */
export interface OtlpReceiver {
  /** Base URL for the HTTP protocols (spans are accepted on any path, /v1/traces included). */
  readonly httpUrl: string;
  /** URL for the grpc protocol (HTTP/2 without TLS). */
  readonly grpcUrl: string;
  readonly spans: readonly ReceivedSpan[];
  /** How each export arrived: `http/protobuf`, `http/json` or `grpc`. */
  readonly exports: readonly string[];
  close(): Promise<void>;
}

/**
 * Starts an OTLP receiver on loopback that accepts trace exports over
 * HTTP (protobuf or JSON, as the OTLP specification encodes them) and gRPC,
 * decodes them without any OpenTelemetry code, and keeps every span.
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const exports: string[] = [];
  const http = createHttpServer((req, res) => {
    void readAll(req).then((raw) => {
      const body = req.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw;
      const json = req.headers["content-type"]?.startsWith("application/json") === true;
      try {
        spans.push(
          ...(json
            ? fromJson(JSON.parse(body.toString("utf8")) as JsonRequest)
            : fromProtobuf(body)),
        );
        exports.push(json ? "http/json" : "http/protobuf");
        res.writeHead(200, {
          "content-type": json ? "application/json" : "application/x-protobuf",
        });
        res.end(json ? "{}" : "");
      } catch (error) {
        res.writeHead(400).end(String(error));
      }
    });
  });
  const grpc = createHttp2Server();
  grpc.on("stream", (stream: ServerHttp2Stream) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => {
      // gRPC frames every message: a compressed flag, a 4-byte length, the message.
      const frame = Buffer.concat(chunks);
      const message = frame.subarray(5, 5 + frame.readUInt32BE(1));
      spans.push(...fromProtobuf(frame[0] === 1 ? gunzipSync(message) : message));
      exports.push("grpc");
      stream.respond(
        { ":status": 200, "content-type": "application/grpc" },
        { waitForTrailers: true },
      );
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(Buffer.alloc(5));
    });
  });
  const listen = (server: typeof http | typeof grpc) =>
    new Promise<number>((resolve) =>
      server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
    );
  const [httpPort, grpcPort] = await Promise.all([listen(http), listen(grpc)]);
  return {
    httpUrl: `http://127.0.0.1:${httpPort}`,
    grpcUrl: `http://127.0.0.1:${grpcPort}`,
    spans,
    exports,
    close: async () => {
      http.closeAllConnections();
      await Promise.all([
        new Promise((resolve) => http.close(resolve)),
        new Promise((resolve) => grpc.close(resolve)),
      ]);
    },
  };
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

type Attributes = Record<string, string | number | boolean>;

/** The OTLP/JSON encoding of an ExportTraceServiceRequest (ids in hex). */
interface JsonRequest {
  resourceSpans?: {
    resource?: { attributes?: JsonKeyValue[] };
    scopeSpans?: {
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind?: number;
        attributes?: JsonKeyValue[];
        status?: { code?: number };
      }[];
    }[];
  }[];
}

function fromJson(request: JsonRequest): ReceivedSpan[] {
  return (request.resourceSpans ?? []).flatMap((rs) => {
    const service = String(jsonAttributes(rs.resource?.attributes)["service.name"] ?? "");
    return (rs.scopeSpans ?? []).flatMap((ss) =>
      (ss.spans ?? []).map((span) => ({
        service,
        traceId: span.traceId.toLowerCase(),
        spanId: span.spanId.toLowerCase(),
        parentSpanId: (span.parentSpanId ?? "").toLowerCase(),
        name: span.name,
        kind: span.kind ?? 0,
        attributes: jsonAttributes(span.attributes),
        statusCode: span.status?.code ?? 0,
      })),
    );
  });
}

interface JsonKeyValue {
  key: string;
  value?: {
    stringValue?: string;
    boolValue?: boolean;
    intValue?: number | string;
    doubleValue?: number;
  };
}

function jsonAttributes(list: JsonKeyValue[] | undefined): Attributes {
  const out: Attributes = {};
  for (const { key, value } of list ?? []) {
    const v =
      value?.stringValue ??
      value?.boolValue ??
      (value?.intValue === undefined ? value?.doubleValue : Number(value.intValue));
    if (v !== undefined) {
      out[key] = v;
    }
  }
  return out;
}

/**
 * The protobuf encoding of an ExportTraceServiceRequest
 * (opentelemetry/proto/collector/trace/v1), read field by field.
 */
function fromProtobuf(bytes: Uint8Array): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  fields(bytes, (request, field) => {
    if (field !== 1) {
      return false;
    }
    // ResourceSpans: resource = 1, scope_spans = 2.
    let service = "";
    const scopes: Uint8Array[] = [];
    fields(request.bytes(), (resourceSpans, f) => {
      if (f === 1) {
        service = String(
          keyValues(resourceAttributes(resourceSpans.bytes()))["service.name"] ?? "",
        );
      } else if (f === 2) {
        scopes.push(resourceSpans.bytes());
      } else {
        return false;
      }
      return true;
    });
    for (const scope of scopes) {
      // ScopeSpans: spans = 2.
      fields(scope, (scopeSpans, f) => {
        if (f !== 2) {
          return false;
        }
        spans.push({ service, ...span(scopeSpans.bytes()) });
        return true;
      });
    }
    return true;
  });
  return spans;
}

/** A Span: trace_id 1, span_id 2, parent_span_id 4, name 5, kind 6, attributes 9, status 15. */
function span(bytes: Uint8Array): Omit<ReceivedSpan, "service"> {
  let traceId = "";
  let spanId = "";
  let parentSpanId = "";
  let name = "";
  let kind = 0;
  let statusCode = 0;
  const attributes: Uint8Array[] = [];
  fields(bytes, (reader, field) => {
    switch (field) {
      case 1:
        traceId = Buffer.from(reader.bytes()).toString("hex");
        return true;
      case 2:
        spanId = Buffer.from(reader.bytes()).toString("hex");
        return true;
      case 4:
        parentSpanId = Buffer.from(reader.bytes()).toString("hex");
        return true;
      case 5:
        name = reader.string();
        return true;
      case 6:
        kind = reader.int32();
        return true;
      case 9:
        attributes.push(reader.bytes());
        return true;
      case 15:
        // Status: code = 3.
        fields(reader.bytes(), (status, f) => {
          if (f !== 3) {
            return false;
          }
          statusCode = status.int32();
          return true;
        });
        return true;
      default:
        return false;
    }
  });
  return {
    traceId,
    spanId,
    parentSpanId,
    name,
    kind,
    attributes: keyValues(attributes),
    statusCode,
  };
}

/** A Resource's attributes (field 1, repeated KeyValue). */
function resourceAttributes(bytes: Uint8Array): Uint8Array[] {
  const list: Uint8Array[] = [];
  fields(bytes, (reader, field) => {
    if (field !== 1) {
      return false;
    }
    list.push(reader.bytes());
    return true;
  });
  return list;
}

/** KeyValues (key 1, value 2: AnyValue with string 1, bool 2, int 3, double 4). */
function keyValues(list: readonly Uint8Array[]): Attributes {
  const out: Attributes = {};
  for (const bytes of list) {
    let key = "";
    let value: string | number | boolean | undefined;
    fields(bytes, (kv, field) => {
      if (field === 1) {
        key = kv.string();
        return true;
      }
      if (field !== 2) {
        return false;
      }
      fields(kv.bytes(), (any, f) => {
        switch (f) {
          case 1:
            value = any.string();
            return true;
          case 2:
            value = any.bool();
            return true;
          case 3:
            value = Number(any.int64());
            return true;
          case 4:
            value = any.double();
            return true;
          default:
            return false;
        }
      });
      return true;
    });
    if (value !== undefined) {
      out[key] = value;
    }
  }
  return out;
}

/**
 * Calls `read` for every field of a message; `read` consumes the field's
 * value and returns true, or returns false to have it skipped.
 */
function fields(bytes: Uint8Array, read: (reader: BinaryReader, field: number) => boolean): void {
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (!read(reader, field)) {
      reader.skip(wireType, field);
    }
  }
}
