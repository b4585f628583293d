/**
 * The script of the browser test's page (bundled with esbuild by
 * browser.e2e.test.ts): calls ListIncidents through connect-web with the
 * Connect and the gRPC-Web transport, with the right and a wrong API key,
 * and leaves what happened in `globalThis.runframeResults`.
 */
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { ErrorInfoSchema, IncidentService } from "@runframe/contracts";

/** What one call did, as the test reads it. */
export interface CallResult {
  readonly call: string;
  readonly ids?: string[];
  readonly code?: string;
  readonly reason?: string | undefined;
}

const page = globalThis as unknown as {
  location: { search: string };
  runframeResults?: Promise<CallResult[]>;
};
const params = new URLSearchParams(page.location.search);
const baseUrl = params.get("baseUrl") ?? "";

function bearer(key: string): Interceptor {
  return (next) => (req) => {
    req.header.set("authorization", `Bearer ${key}`);
    return next(req);
  };
}

async function listIncidents(call: string, key: string, grpcWeb: boolean): Promise<CallResult> {
  const options = { baseUrl, interceptors: [bearer(key)] };
  const transport = grpcWeb ? createGrpcWebTransport(options) : createConnectTransport(options);
  try {
    const res = await createClient(IncidentService, transport).listIncidents({});
    return { call, ids: res.incidents.map((i) => i.id) };
  } catch (error) {
    const err = ConnectError.from(error);
    return { call, code: Code[err.code], reason: err.findDetails(ErrorInfoSchema)[0]?.reason };
  }
}

const key = params.get("key") ?? "";
const wrongKey = "rf_wrong_key_0000000000000000000000000000";
page.runframeResults = Promise.all([
  listIncidents("connect", key, false),
  listIncidents("grpc-web", key, true),
  listIncidents("connect, wrong key", wrongKey, false),
  listIncidents("grpc-web, wrong key", wrongKey, true),
]);
