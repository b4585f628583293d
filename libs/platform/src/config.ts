import { PROVIDERS } from "@runframe/providers";
import {
  bool,
  cleanEnv,
  makeValidator,
  str,
  type CleanedEnv,
  type RequiredValidatorSpec,
  type ValidatorSpec,
} from "envalid";
import { isIP } from "node:net";
import { ADMIN_PORT_OFFSET, APP_PORTS, type AppName } from "./apps.js";
import { parseServiceUrls } from "./balancer.js";
import { OTLP_PROTOCOLS, TRACES_SAMPLERS } from "./tracing.js";

/**
 * Thrown when settings are missing or malformed. Its message lists every
 * problem at once, so an operator fixes the environment in one go instead of
 * one restart per mistake.
 */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/**
 * The validators of a set of settings, by variable name. Each app declares
 * all of its settings in one such object, exported from
 * apps/<app>/src/settings.ts (the README's configuration table is generated
 * from those: `npm run docs:config`); every one has a `desc`.
 */
export type Specs = { [key: string]: ValidatorSpec<unknown> };
/** The validated values of a set of settings (undefined where unset and defaulting to nothing). */
export type Cleaned<S extends Specs> = CleanedEnv<S>;

/**
 * Validates this process's environment against `specs`, once, at start:
 * the one place an app reads its environment (`runMain` calls it with the
 * app's settings). Throws a ConfigError naming every bad or missing
 * variable.
 */
export function loadSettings<S extends Specs>(specs: S): Cleaned<S> {
  return loadConfig(process.env, specs);
}

/**
 * Validates `env` against `specs`. Throws a ConfigError naming every bad or
 * missing variable; secrets are never echoed back.
 */
export function loadConfig<S extends Specs>(env: NodeJS.ProcessEnv, specs: S): Cleaned<S> {
  // `NAME=` in a shell or a compose file means "not set", not "empty value".
  const set = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ""));
  return cleanEnv(set, specs, {
    reporter: ({ errors }) => {
      const problems = Object.entries(errors).map(
        ([name, error]) => `${name}: ${describe(error as Error)}`,
      );
      if (problems.length > 0) {
        throw new ConfigError(problems);
      }
    },
  });
}

function describe(error: Error): string {
  return error.name === "EnvMissingError"
    ? `is required but not set${error.message.trim() ? ` (${error.message.trim()})` : ""}`
    : error.message;
}

/** A TCP port to listen on; 0 asks the OS for a free one (tests). */
export const listenPort = makeValidator<number>((input) => {
  const port = Number(input);
  if (!/^\d+$/.test(input) || port > 65535) {
    throw new Error(`must be a port number from 0 to 65535, got "${input}"`);
  }
  return port;
});

/** A positive whole number. */
export const positiveInt = makeValidator<number>((input) => {
  const value = Number(input);
  if (!/^\d+$/.test(input) || value < 1 || !Number.isSafeInteger(value)) {
    throw new Error(`must be a whole number of at least 1, got "${input}"`);
  }
  return value;
});

/** A shared secret; its value never appears in an error message. */
export const secret = makeValidator<string>((input) => {
  if (input.length < 32) {
    throw new Error(`must be at least 32 characters (got ${input.length})`);
  }
  return input;
});

/**
 * Where another Runframe service is: one base URL such as
 * http://127.0.0.1:7001, or a comma-separated list of them (one per
 * replica). A host name stands for every address it resolves to, so a
 * Kubernetes headless Service or Docker's service name lists the replicas.
 */
export const serviceUrl = makeValidator<string>((input) =>
  parseServiceUrls(input)
    .map((url) => url.href.replace(/\/+$/, ""))
    .join(","),
);

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** The settings of every app: logging, the service credential, shutdown. */
export function processSpecs() {
  return {
    LOG_LEVEL: str({ default: "info", choices: LOG_LEVELS, desc: "pino log level" }),
    RUNFRAME_INTERNAL_TOKEN: secret({
      desc: "service credential shared by the apps, 32+ characters",
    }),
    RUNFRAME_SHUTDOWN_GRACE_MS: positiveInt({
      default: 10_000,
      desc: "how long in-flight calls may run after SIGTERM",
    }),
    RUNFRAME_STOP_WITH_PARENT: bool({
      default: false,
      desc: "stop when stdin closes, so a supervisor's children never outlive it (npm start sets it)",
    }),
    ...tracingSpecs(),
  };
}

/**
 * The standard OpenTelemetry variables every app honours for traces
 * (docs/operations/observability.md). Tracing is off, and the SDK not even
 * loaded, unless an OTLP endpoint is set.
 */
export function tracingSpecs() {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint({
      default: undefined,
      desc: "OpenTelemetry collector base URL (http://collector:4318, or :4317 for grpc); set, the app exports traces over OTLP; unset, tracing is off and costs nothing",
    }),
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpEndpoint({
      default: undefined,
      desc: "full URL for traces alone, used as is (no /v1/traces appended); also turns tracing on",
    }),
    OTEL_EXPORTER_OTLP_PROTOCOL: str({
      default: "http/protobuf",
      choices: OTLP_PROTOCOLS,
      desc: "OTLP transport",
    }),
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: str({
      default: undefined,
      choices: OTLP_PROTOCOLS,
      desc: "OTLP transport for traces, instead of OTEL_EXPORTER_OTLP_PROTOCOL",
    }),
    OTEL_EXPORTER_OTLP_HEADERS: keyValueList({
      default: undefined,
      desc: "headers sent with every export (key=value,…, values URL-encoded), for example a vendor's API key; read by the exporter, never logged",
    }),
    OTEL_SERVICE_NAME: str({
      default: undefined,
      desc: "service.name of the app's spans; by default the app's name (edge, auth, incident, normalizer-<provider>)",
    }),
    OTEL_RESOURCE_ATTRIBUTES: keyValueList({
      default: {},
      desc: "more resource attributes of every span (key=value,…, values URL-encoded), for example deployment.environment.name=prod",
    }),
    OTEL_TRACES_SAMPLER: str({
      default: "parentbased_always_on",
      choices: TRACES_SAMPLERS,
      desc: "which traces are recorded; parentbased_* follow the caller's decision",
    }),
    OTEL_TRACES_SAMPLER_ARG: ratio({
      default: undefined,
      desc: "the ratio of traces the traceidratio samplers record, 0 to 1 (default 1)",
    }),
    OTEL_BSP_SCHEDULE_DELAY: positiveInt({
      default: 5_000,
      desc: "milliseconds between two exports of finished spans",
    }),
    OTEL_SDK_DISABLED: bool({
      default: false,
      desc: "true turns tracing off whatever else is set",
    }),
  };
}

/** An OTLP endpoint: an http or https URL. */
export const otlpEndpoint = makeValidator<string>((input) => {
  let url: URL | undefined;
  try {
    url = new URL(input);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new Error(`must be an http:// or https:// URL, got "${input}"`);
  }
  return input;
});

/**
 * OpenTelemetry's `key=value,key2=value2` lists, values URL-encoded. Never
 * echoed back: OTEL_EXPORTER_OTLP_HEADERS may carry an API key.
 */
export const keyValueList = makeValidator<Readonly<Record<string, string>>>((input) => {
  const pairs: Record<string, string> = {};
  for (const item of input.split(",")) {
    if (item.trim() === "") {
      continue;
    }
    const at = item.indexOf("=");
    const key = item.slice(0, at).trim();
    let value: string | undefined;
    try {
      value = decodeURIComponent(item.slice(at + 1).trim());
    } catch {
      value = undefined;
    }
    if (at < 1 || key === "" || value === undefined) {
      throw new Error("must be comma-separated key=value pairs with URL-encoded values");
    }
    pairs[key] = value;
  }
  return pairs;
});

/** A number from 0 to 1. */
export const ratio = makeValidator<number>((input) => {
  const value = Number(input);
  if (input.trim() === "" || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new Error(`must be a number from 0 to 1, got "${input}"`);
  }
  return value;
});

/** Where an app listens: `port` says what its main port serves. */
export function listenSpecs(defaultPort: number, port: string) {
  return {
    HOST: str({ default: "127.0.0.1", desc: "address to bind; 0.0.0.0 in containers" }),
    PORT: listenPort({ default: defaultPort, desc: port }),
  };
}

/** The settings every Runframe RPC service shares. */
export function serverSpecs(defaultPort: number) {
  return {
    ...processSpecs(),
    ...listenSpecs(defaultPort, "port for Connect, gRPC and gRPC-Web over HTTP/1.1 and HTTP/2"),
    ADMIN_PORT: listenPort({
      default: defaultPort + ADMIN_PORT_OFFSET,
      desc: "HTTP/1.1 port for /healthz, /readyz and /metrics",
    }),
    RUNFRAME_TLS_CERT_FILE: str({
      default: undefined,
      desc: "PEM certificate chain; with RUNFRAME_TLS_KEY_FILE the RPC port serves TLS (ALPN h2, http/1.1)",
    }),
    RUNFRAME_TLS_KEY_FILE: str({
      default: undefined,
      desc: "PEM private key of RUNFRAME_TLS_CERT_FILE",
    }),
    RUNFRAME_CORS_ORIGINS: originList({
      default: [],
      desc: "comma-separated browser origins allowed to call the RPC port (CORS), or *; none by default",
    }),
  };
}

/** The settings of every app that calls other Runframe services. */
export function clientSpecs() {
  return {
    RUNFRAME_RPC_PROTOCOL: str({
      default: "connect",
      choices: ["connect", "grpc"],
      desc: "protocol of calls between services",
    }),
    RUNFRAME_RESOLVE_INTERVAL_MS: positiveInt({
      default: 30_000,
      desc: "how often the host names of service URLs are resolved again",
    }),
  };
}

/**
 * Where another app is (`RUNFRAME_<APP>_URL`), by default its default port
 * on loopback: one URL or a comma-separated list, see {@link serviceUrl}.
 */
export function serviceUrlSpec(app: AppName): RequiredValidatorSpec<string> {
  return serviceUrl({
    default: `http://127.0.0.1:${APP_PORTS[app]}`,
    desc: `where ${app} is: a URL, or a comma-separated list of them (one per replica)`,
  });
}

/** The setting of every normalizer's URL, by the provider registry: `RUNFRAME_NORMALIZER_<NAME>_URL`. */
export type NormalizerUrlSetting = (typeof PROVIDERS)[number]["urlSetting"];

/** Where each provider's normalizer is: one setting per row of the provider registry. */
export function normalizerUrlSpecs(): Record<NormalizerUrlSetting, RequiredValidatorSpec<string>> {
  // Every row contributes its setting, so the keys are exactly
  // NormalizerUrlSetting; Object.fromEntries cannot say so.
  return Object.fromEntries(PROVIDERS.map((p) => [p.urlSetting, serviceUrlSpec(p.app)])) as Record<
    NormalizerUrlSetting,
    RequiredValidatorSpec<string>
  >;
}

/**
 * Where auth and incident keep their state: MongoDB when MONGO_URL is set,
 * else the embedded SQLite store.
 */
export function storageSpecs() {
  return {
    MONGO_URL: mongoUrl({
      default: undefined,
      desc: "MongoDB connection string (mongodb:// or mongodb+srv://); unset: the embedded SQLite store",
    }),
    RUNFRAME_DATA_DIR: str({
      default: "./data",
      desc: "directory of the embedded SQLite store, used without MONGO_URL",
    }),
  };
}

/** The provisioning file, applied by auth (API keys, integrations) and incident (services). */
export function provisioningSpecs() {
  return {
    RUNFRAME_BOOTSTRAP: str({
      default: undefined,
      desc: "provisioning file (JSON: organizations, API keys, services, integrations) applied idempotently at start",
    }),
  };
}

/**
 * Comma-separated browser origins (`https://console.example.com`, scheme,
 * host and port only, as a browser sends them in `Origin`), or `*`.
 */
export const originList = makeValidator<readonly string[]>((input) => {
  const origins = input
    .split(",")
    .map((o) => o.trim())
    .filter((o) => o !== "");
  for (const origin of origins) {
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      url = undefined;
    }
    if (origin !== "*" && (url === undefined || url.origin !== origin)) {
      throw new Error(
        `must be comma-separated origins such as https://console.example.com (no path or trailing slash), or *; got "${origin}"`,
      );
    }
  }
  return origins;
});

/** A MongoDB connection string. Never echoed: it may carry a password. */
export const mongoUrl = makeValidator<string>((input) => {
  if (!/^mongodb(\+srv)?:\/\/\S+$/.test(input)) {
    throw new Error("must be a mongodb:// or mongodb+srv:// connection string");
  }
  return input;
});

/** A Redis URL. Never echoed: it may carry a password. */
export const redisUrl = makeValidator<string>((input) => {
  if (!/^rediss?:\/\/\S+$/.test(input)) {
    throw new Error("must be a redis:// or rediss:// URL");
  }
  return input;
});

/** Comma-separated `host:port` seeds of a Redis Cluster. */
export const hostPortList = makeValidator<string>((input) => {
  if (!/^[^\s,:]+:\d{1,5}(,[^\s,:]+:\d{1,5})*$/.test(input)) {
    throw new Error(`must be comma-separated host:port pairs, got "${input}"`);
  }
  return input;
});

/** A 32-byte key, base64-encoded (`openssl rand -base64 32`). Never echoed. */
export const key32 = makeValidator<Uint8Array>((input) => {
  const bytes = Buffer.from(input, "base64");
  if (bytes.length !== 32 || bytes.toString("base64") !== input.replace(/\s/g, "")) {
    throw new Error("must be 32 bytes, base64-encoded (openssl rand -base64 32)");
  }
  return new Uint8Array(bytes);
});

/** A comma-separated list of CIDR blocks (`10.0.0.0/8,::1/128`); empty for none. */
export const cidrList = makeValidator<readonly string[]>((input) => {
  const blocks = input
    .split(",")
    .map((block) => block.trim())
    .filter((block) => block !== "");
  for (const block of blocks) {
    const [address = "", prefix] = block.split("/");
    const version = isIP(address);
    const bits = prefix === undefined ? undefined : Number(prefix);
    if (
      version === 0 ||
      (bits !== undefined && (!/^\d+$/.test(prefix ?? "") || bits > (version === 6 ? 128 : 32)))
    ) {
      throw new Error(`must be comma-separated CIDR blocks such as 10.0.0.0/8, got "${block}"`);
    }
  }
  return blocks;
});
