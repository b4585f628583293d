import { create } from "@bufbuild/protobuf";
import { Code, type ServiceImpl } from "@connectrpc/connect";
import type { Health } from "@runframe/contracts";
import {
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthCheckResponseSchema,
  HealthListResponseSchema,
} from "@runframe/contracts";
import { EventEmitter, on } from "node:events";
import { runframeError } from "./errors.js";

/**
 * The serving state of one process. Every registered service shares it:
 * a process is serving until it starts draining, and then none of its
 * services are.
 */
export class HealthState {
  readonly #services: ReadonlySet<string>;
  readonly #changes = new EventEmitter();
  #serving = true;

  constructor(serviceNames: Iterable<string>) {
    this.#services = new Set(serviceNames);
    this.#changes.setMaxListeners(0);
  }

  get serving(): boolean {
    return this.#serving;
  }

  /** Called on shutdown: health checks answer NOT_SERVING from now on. */
  drain(): void {
    if (this.#serving) {
      this.#serving = false;
      this.#changes.emit("change");
    }
  }

  /** Every service name, "" (the whole server) first. */
  services(): string[] {
    return ["", ...this.#services];
  }

  /** The status of `service` ("" is the whole server), or undefined if unknown. */
  status(service: string): ServingStatus | undefined {
    if (service !== "" && !this.#services.has(service)) {
      return undefined;
    }
    return this.#serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
  }

  /** Resolves on the next change, or rejects when `signal` aborts. */
  async changed(signal: AbortSignal): Promise<void> {
    for await (const _ of on(this.#changes, "change", { signal })) {
      return;
    }
  }
}

/** The standard grpc.health.v1.Health service over a HealthState. */
export function createHealthService(state: HealthState): ServiceImpl<typeof Health> {
  return {
    check(req) {
      const status = state.status(req.service);
      if (status === undefined) {
        throw runframeError(`unknown service ${req.service}`, Code.NotFound, "SERVICE_UNKNOWN");
      }
      return create(HealthCheckResponseSchema, { status });
    },
    list() {
      return create(HealthListResponseSchema, {
        statuses: Object.fromEntries(
          state.services().map((service) => [
            service,
            create(HealthCheckResponseSchema, {
              status: state.status(service) ?? ServingStatus.SERVICE_UNKNOWN,
            }),
          ]),
        ),
      });
    },
    async *watch(req, context) {
      let last: ServingStatus | undefined;
      while (!context.signal.aborted) {
        const status = state.status(req.service) ?? ServingStatus.SERVICE_UNKNOWN;
        if (status !== last) {
          yield create(HealthCheckResponseSchema, { status });
          last = status;
        }
        if (!state.serving) {
          // A draining server ends watches so they do not hold shutdown up.
          return;
        }
        try {
          await state.changed(context.signal);
        } catch {
          return;
        }
      }
    },
  };
}
