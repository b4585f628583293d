import type { DescService } from "@bufbuild/protobuf";
import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";

/**
 * A team API client as an internal team builds one: `service` at `baseUrl`
 * over h2c, presenting an organization API key.
 */
export function teamClient<S extends DescService>(
  service: S,
  baseUrl: string,
  apiKey: string,
  protocol: "connect" | "grpc" = "connect",
): Client<S> {
  const presentKey: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${apiKey}`);
    return next(req);
  };
  const options = { baseUrl, httpVersion: "2" as const, interceptors: [presentKey] };
  return createClient(
    service,
    protocol === "grpc" ? createGrpcTransport(options) : createConnectTransport(options),
  );
}
