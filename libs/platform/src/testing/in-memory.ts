import type { DescMethod, DescService } from "@bufbuild/protobuf";
import {
  ConnectError,
  createClient,
  createRouterTransport,
  type Client,
  type ConnectRouter,
  type Interceptor,
} from "@connectrpc/connect";
import { errorInterceptor, serviceCredentialInterceptor } from "../interceptors.js";
import { createLogger } from "../logger.js";

/** An app's routes as its RPC server runs them, for the in-memory test tier. */
export interface InMemoryApp {
  readonly routes: (router: ConnectRouter) => void;
  /** The service credential, and what requires it (as `serve` takes them). */
  readonly token: string;
  readonly internal: readonly (DescService | DescMethod)[];
  /** The app's own interceptors, run inside the standard ones (API keys). */
  readonly interceptors?: readonly Interceptor[];
}

/**
 * The in-memory test tier, as connect's examples have it: a client of an
 * app's routes through createRouterTransport, behind the interceptors of
 * startRpcServer that shape answers (typed errors to codes, the service
 * credential) and the app's own, presenting `bearer` (if any) as its
 * `Authorization`.
 */
export function inMemoryClient<S extends DescService>(
  service: S,
  app: InMemoryApp,
  bearer?: string,
): Client<S> {
  const presents: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${bearer}`);
    return next(req);
  };
  return createClient(
    service,
    createRouterTransport(app.routes, {
      transport: { interceptors: bearer === undefined ? [] : [presents] },
      router: {
        interceptors: [
          errorInterceptor(createLogger("in-memory", "silent")),
          serviceCredentialInterceptor(app.token, app.internal),
          ...(app.interceptors ?? []),
        ],
      },
    }),
  );
}

/** The error a call fails with, as its client sees it; throws if the call succeeds. */
export async function refusal(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error("the call succeeded");
}
