import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** Where the CLI finds the services, and the key it presents. */
export interface Settings {
  readonly apiKey: string;
  readonly authUrl: string;
  readonly incidentUrl: string;
  readonly edgeUrl: string;
}

type Key = keyof Settings;

/** Each setting's flag, environment variable, config file key and default. */
export const SETTINGS: Readonly<
  Record<Key, { flag: string; env: string; file: string; fallback: string }>
> = {
  apiKey: { flag: "apiKey", env: "RUNFRAME_API_KEY", file: "apiKey", fallback: "" },
  authUrl: {
    flag: "authUrl",
    env: "RUNFRAME_AUTH_URL",
    file: "authUrl",
    fallback: "http://127.0.0.1:7001",
  },
  incidentUrl: {
    flag: "incidentUrl",
    env: "RUNFRAME_INCIDENT_URL",
    file: "incidentUrl",
    fallback: "http://127.0.0.1:7002",
  },
  edgeUrl: {
    flag: "edgeUrl",
    env: "RUNFRAME_EDGE_URL",
    file: "edgeUrl",
    fallback: "http://127.0.0.1:3000",
  },
};

/** Where a setting came from, for `runframe config`. */
export type Source = "flag" | "environment" | "config file" | "default";

/** A problem the user must fix before anything is called (exit code 2). */
export class UsageError extends Error {}

/** The config file: --config, else $RUNFRAME_CONFIG, else $XDG_CONFIG_HOME/runframe/config.json. */
export function configPath(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return (
    flag ??
    env["RUNFRAME_CONFIG"] ??
    join(env["XDG_CONFIG_HOME"] ?? join(homedir(), ".config"), "runframe", "config.json")
  );
}

/**
 * Settings by precedence: flags, then environment, then the config file,
 * then the loopback defaults of `npm start`. A service URL that lists
 * several replicas (as the apps' settings may) is used by its first entry.
 * A config file named explicitly must exist; the default one may not.
 */
export function resolveSettings(
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): { settings: Settings; sources: Record<Key, Source>; file: string } {
  const explicit = typeof flags["config"] === "string" ? flags["config"] : undefined;
  const file = configPath(explicit, env);
  const fromFile = readConfig(file, explicit !== undefined || env["RUNFRAME_CONFIG"] !== undefined);
  const settings: Partial<Record<Key, string>> = {};
  const sources: Partial<Record<Key, Source>> = {};
  for (const [key, spec] of Object.entries(SETTINGS) as [Key, (typeof SETTINGS)[Key]][]) {
    const candidates: [unknown, Source][] = [
      [flags[spec.flag], "flag"],
      [env[spec.env], "environment"],
      [fromFile[spec.file], "config file"],
      [spec.fallback, "default"],
    ];
    const [value, source] = candidates.find(([v]) => typeof v === "string" && v !== "") ?? [
      "",
      "default",
    ];
    settings[key] = key === "apiKey" ? (value as string) : firstUrl(value as string, spec.flag);
    sources[key] = source;
  }
  return { settings: settings as Settings, sources: sources as Record<Key, Source>, file };
}

function readConfig(file: string, required: boolean): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === "ENOENT") {
      return {};
    }
    throw new UsageError(`cannot read config file ${file}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`config file ${file} is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`config file ${file} must hold a JSON object`);
  }
  const known = new Set(Object.values(SETTINGS).map((s) => s.file));
  const unknown = Object.keys(parsed).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    throw new UsageError(
      `config file ${file} has unknown keys ${unknown.join(", ")} (known: ${[...known].join(", ")})`,
    );
  }
  return parsed as Record<string, unknown>;
}

function firstUrl(value: string, name: string): string {
  const first = value.split(",")[0]!.trim();
  let url: URL;
  try {
    url = new URL(first);
  } catch {
    throw new UsageError(`${name} must be an http(s) URL, got "${first}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`${name} must be an http(s) URL, got "${first}"`);
  }
  return first.replace(/\/+$/, "");
}
