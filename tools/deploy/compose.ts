/**
 * docker-compose.yml as the checks in this folder read it: YAML merge keys
 * applied and `${VAR}` interpolated the way Compose does, with the
 * variables given.
 */
import { hostPortList, mongoUrl, redisUrl, serviceUrl } from "@runframe/platform";
import { isAppName, type AppName } from "@runframe/platform/apps";
import { repoRoot } from "@runframe/platform/testing";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { appSettings } from "../config/app-settings.js";

export interface ComposeService {
  readonly image?: string;
  readonly build?: unknown;
  readonly command?: string | string[];
  readonly environment?: Record<string, string | number | boolean | null>;
  readonly ports?: string[];
  readonly volumes?: string[];
  readonly depends_on?: Record<string, { condition?: string }>;
  readonly deploy?: { replicas?: number };
  readonly healthcheck?: { test?: string[] };
  readonly read_only?: boolean;
}

export interface ComposeFile {
  readonly services: Record<string, ComposeService>;
}

export const composeFile = join(repoRoot, "docker-compose.yml");

/** The file's text, uninterpolated. */
export function composeText(): string {
  return readFileSync(composeFile, "utf8");
}

/** The file with `vars` substituted; a `${X:?message}` with X unset throws, as Compose does. */
export function loadCompose(vars: Record<string, string>): ComposeFile {
  const raw = parse(composeText(), { merge: true }) as unknown;
  return interpolateAll(raw, vars) as ComposeFile;
}

function interpolateAll(value: unknown, vars: Record<string, string>): unknown {
  if (typeof value === "string") {
    return interpolate(value, vars);
  }
  if (Array.isArray(value)) {
    return value.map((v) => interpolateAll(v, vars));
  }
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateAll(v, vars)]));
  }
  return value;
}

/** `$$`, `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`. */
export function interpolate(text: string, vars: Record<string, string>): string {
  const pattern = /\$\$|\$([A-Za-z_]\w*)|\$\{([A-Za-z_]\w*)(?:(:?[-?])([^}]*))?\}/g;
  return text.replace(
    pattern,
    (
      match: string,
      bare: string | undefined,
      name: string | undefined,
      operator: string | undefined,
      argument: string | undefined,
    ): string => {
      const op = operator ?? "";
      const arg = argument ?? "";
      if (match === "$$") {
        return "$";
      }
      const key = (bare ?? name)!;
      const value = vars[key];
      const unset = value === undefined || (op.startsWith(":") && value === "");
      if (!unset) {
        return value;
      }
      if (op.endsWith("-")) {
        return arg;
      }
      if (op.endsWith("?")) {
        throw new Error(`${key}: ${arg}`);
      }
      return "";
    },
  );
}

/** A service's environment as strings. */
export function environment(service: ComposeService): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([k, v]) => [k, v === null ? "" : String(v)]),
  );
}

/** The services that run one of our apps (the image, with APP set), by app. */
export function appServices(file: ComposeFile): Map<AppName, [string, ComposeService]> {
  const byApp = new Map<AppName, [string, ComposeService]>();
  for (const [name, service] of Object.entries(file.services)) {
    const app = environment(service)["APP"];
    if (app !== undefined && isAppName(app)) {
      byApp.set(app, [name, service]);
    }
  }
  return byApp;
}

/** Bind mounts (`host:container[:mode]`), as container path → host path (relative to the file). */
export function bindMounts(service: ComposeService): Map<string, string> {
  return new Map(
    (service.volumes ?? [])
      .map((v) => v.split(":"))
      .filter(([host]) => host?.startsWith(".") || host?.startsWith("/"))
      .map(([host, container]) => [container!, host!]),
  );
}

/** How a setting an app reads must be provided in a distributed deployment. */
export type SettingKind = "service-url" | "mongo" | "redis" | "required";

/** Settings whose default points at the container itself, by the validator that reads them. */
const pointingKinds = new Map<unknown, SettingKind>([
  [serviceUrl()._parse, "service-url"],
  [mongoUrl()._parse, "mongo"],
  [redisUrl()._parse, "redis"],
  [hostPortList()._parse, "redis"],
]);

/**
 * The settings an app reads whose default does not work across containers:
 * service URLs (default: loopback, i.e. the container itself), MONGO_URL
 * and REDIS_URL / REDIS_CLUSTER_NODES (default: embedded, i.e. one private
 * store per container) and those with no default at all (the keys). Taken
 * from the app's own settings module, so a setting added there is checked
 * here without anyone updating a list.
 */
export async function settingsRead(app: AppName): Promise<Map<string, SettingKind>> {
  const found = new Map<string, SettingKind>();
  for (const [name, spec] of Object.entries(await appSettings(app))) {
    const kind = pointingKinds.get(spec._parse) ?? (hasDefault(spec) ? undefined : "required");
    if (kind) {
      found.set(name, kind);
    }
  }
  return found;
}

function hasDefault(spec: object): boolean {
  return "default" in spec || "devDefault" in spec;
}
