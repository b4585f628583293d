import { Code, cors } from "@connectrpc/connect";
import { encodeEnvelope } from "@connectrpc/connect/protocol";
import * as connect from "@connectrpc/connect/protocol-connect";
import * as grpc from "@connectrpc/connect/protocol-grpc";
import * as grpcWeb from "@connectrpc/connect/protocol-grpc-web";
import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import { REQUEST_ID_HEADER } from "./context.js";
import { runframeError } from "./errors.js";

/** A Node request handler as connectNodeAdapter makes them, for HTTP/1.1 and HTTP/2 alike. */
export type NodeHandlerFn = NonNullable<ConnectNodeAdapterOptions["fallback"]>;
type NodeRequest = Parameters<NodeHandlerFn>[0];
type NodeResponse = Parameters<NodeHandlerFn>[1];

/**
 * Answers a path that names no service or method we serve with
 * UNIMPLEMENTED in the caller's own protocol (a bare HTTP 404 reads as
 * INTERNAL to gRPC clients such as grpcurl): gRPC gets it as trailers,
 * gRPC-Web as a trailer frame, Connect streaming as an end-of-stream
 * message, Connect unary as its JSON error with HTTP 404. Anything that is
 * none of those (a browser, a typo'd health probe) gets a plain 404.
 */
export function unimplemented(req: NodeRequest, res: NodeResponse): void {
  req.resume();
  const path = (req.url ?? "").split("?", 1)[0] ?? "";
  const error = runframeError(
    `no service or method ${path} on this port`,
    Code.Unimplemented,
    "METHOD_NOT_FOUND",
  );
  const contentType = req.headers["content-type"] ?? "";
  const status = new Headers();
  if (grpcWeb.contentTypeRegExp.test(contentType)) {
    grpcWeb.setTrailerStatus(status, error);
    res.writeHead(200, { "content-type": contentType });
    res.end(encodeEnvelope(grpcWeb.trailerFlag, grpcWeb.trailerSerialize(status)));
  } else if (grpc.contentTypeRegExp.test(contentType)) {
    grpc.setTrailerStatus(status, error);
    res.writeHead(200, { "content-type": contentType });
    res.addTrailers(Object.fromEntries(status));
    res.end();
  } else if (connect.contentTypeStreamRegExp.test(contentType)) {
    const endStream = JSON.stringify(connect.endStreamToJson(new Headers(), error, undefined));
    res.writeHead(200, { "content-type": contentType });
    res.end(encodeEnvelope(connect.endStreamFlag, new TextEncoder().encode(endStream)));
  } else if (
    connect.contentTypeUnaryRegExp.test(contentType) ||
    (req.method === "GET" && /[?&]connect=v1(&|$)/.test(req.url ?? ""))
  ) {
    res.writeHead(connect.codeToHttpStatus(error.code), {
      "content-type": connect.contentTypeUnaryJson,
    });
    res.end(connect.errorToJsonBytes(error, undefined));
  } else {
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
    res.end("not found\n");
  }
}

/** Which browser origins may call the RPC port; `*` allows any. */
export type CorsOrigins = readonly string[];

/**
 * CORS for browser clients (connect-web with the Connect or gRPC-Web
 * transport). Only origins on the allow-list get `Access-Control-*`
 * headers; everything else is answered as if CORS did not exist, so the
 * browser refuses it. The header lists are the ones Connect documents for
 * Connect, gRPC-Web and gRPC (`cors` from @connectrpc/connect), plus our
 * own: `Authorization` (the API key) and `X-Request-Id`.
 *
 * Preflights are answered here and never reach a handler. Credentials
 * (cookies) are not allowed: the team API authenticates with a bearer
 * key, which a page sends explicitly.
 */
export function withCors(origins: CorsOrigins, next: NodeHandlerFn): NodeHandlerFn {
  if (origins.length === 0) {
    return next;
  }
  const anyOrigin = origins.includes("*");
  const allowed = new Set(origins);
  const allowHeaders = [...cors.allowedHeaders, "Authorization", "X-Request-Id"].join(", ");
  const exposeHeaders = [...cors.exposedHeaders, REQUEST_ID_HEADER].join(", ");
  const allowMethods = cors.allowedMethods.join(", ");
  return (req, res) => {
    const origin = req.headers.origin;
    if (origin === undefined || !(anyOrigin || allowed.has(origin))) {
      next(req, res);
      return;
    }
    res.setHeader("access-control-allow-origin", anyOrigin ? "*" : origin);
    res.setHeader("vary", "Origin");
    if (req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined) {
      req.resume();
      res.writeHead(204, {
        "access-control-allow-methods": allowMethods,
        "access-control-allow-headers": allowHeaders,
        "access-control-max-age": "7200",
      });
      res.end();
      return;
    }
    res.setHeader("access-control-expose-headers", exposeHeaders);
    next(req, res);
  };
}
