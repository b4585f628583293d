import type { DescMessage, JsonReadOptions } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type MethodImpl } from "@connectrpc/connect";
import { ValidationError, type Violation } from "@runframe/util";
import { toConnectError } from "./errors.js";

/** Options for a method's JSON requests: refuse unknown fields, naming each one. */
type JsonOptions = Partial<JsonReadOptions> & { textDecoder: { decode(data: Uint8Array): string } };

/**
 * Wraps `router` so that JSON requests (Connect JSON, gRPC-Web JSON) naming
 * a field the method's request message does not have are refused with
 * INVALID_ARGUMENT and a google.rpc.BadRequest listing every such field,
 * where connect-es would otherwise drop them silently: a misspelled
 * `pageSise` must not quietly mean "the default page size". Binary
 * requests, and so every call between our services, are not touched.
 *
 * Connect parses the request before any interceptor runs, so the check sits
 * in the JSON decoder of each method (the one hook Connect offers there);
 * its errors pass through Connect's parser unchanged.
 */
export function strictJsonRouter(router: ConnectRouter): ConnectRouter {
  const strict: ConnectRouter = {
    handlers: router.handlers,
    service(service, implementation, options) {
      for (const method of service.methods) {
        const impl = (implementation as Record<string, unknown>)[method.localName];
        router.rpc(
          method,
          (typeof impl === "function"
            ? (impl as (...args: unknown[]) => unknown).bind(implementation)
            : () => {
                throw new ConnectError(
                  `${service.typeName}.${method.name} is not implemented`,
                  Code.Unimplemented,
                );
              }) as MethodImpl<typeof method>,
          { ...options, jsonOptions: strictJsonOptions(method.input, options?.jsonOptions) },
        );
      }
      return strict;
    },
    rpc(method, implementation, options) {
      router.rpc(method, implementation, {
        ...options,
        jsonOptions: strictJsonOptions(method.input, options?.jsonOptions),
      });
      return strict;
    },
  };
  return strict;
}

function strictJsonOptions(schema: DescMessage, base: Partial<JsonReadOptions> = {}): JsonOptions {
  const decoder = new TextDecoder();
  return {
    ...base,
    textDecoder: {
      decode(data) {
        const text = decoder.decode(data);
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          return text; // not JSON at all: Connect's own parser says so
        }
        const violations = unknownJsonFields(schema, json);
        if (violations.length > 0) {
          throw toConnectError(new ValidationError(violations));
        }
        return text;
      },
    },
  };
}

/**
 * Every key of `json` that names no field of `schema`, with its path, at any
 * depth. Fields are matched by their JSON name or proto name, as the
 * protobuf JSON mapping accepts both. Well-known types have their own JSON
 * forms (a Timestamp is a string, a Struct any object) and are not entered.
 */
export function unknownJsonFields(schema: DescMessage, json: unknown, path = ""): Violation[] {
  if (json === null || typeof json !== "object" || Array.isArray(json) || isWellKnown(schema)) {
    return [];
  }
  const violations: Violation[] = [];
  for (const [key, value] of Object.entries(json)) {
    const field = schema.fields.find((f) => f.jsonName === key || f.name === key);
    const at = path === "" ? key : `${path}.${key}`;
    if (field === undefined) {
      violations.push({ field: at, description: `is not a field of ${schema.typeName}` });
    } else if (field.fieldKind === "message") {
      violations.push(...unknownJsonFields(field.message, value, at));
    } else if (field.fieldKind === "list" && field.listKind === "message" && Array.isArray(value)) {
      value.forEach((item, i) =>
        violations.push(...unknownJsonFields(field.message, item, `${at}[${i}]`)),
      );
    } else if (field.fieldKind === "map" && field.mapKind === "message" && isObject(value)) {
      for (const [k, item] of Object.entries(value)) {
        violations.push(...unknownJsonFields(field.message, item, `${at}[${JSON.stringify(k)}]`));
      }
    }
  }
  return violations;
}

function isWellKnown(schema: DescMessage): boolean {
  return schema.typeName.startsWith("google.protobuf.");
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
