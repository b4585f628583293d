/**
 * Every app's settings, as the app itself declares them: the `settings`
 * export of apps/<app>/src/settings.ts, which the app's main hands to
 * runMain. The README's configuration table and the deployment checks read
 * them from here, so a setting added to an app is documented and checked
 * without anyone updating a list.
 */
import type { Specs } from "@runframe/platform";
import { APP_NAMES, type AppName } from "@runframe/platform/apps";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The module that declares an app's settings, relative to the repository. */
export function settingsModule(app: AppName): string {
  return join("apps", app, "src", "settings.ts");
}

/** One app's settings, by variable name. */
export async function appSettings(app: AppName): Promise<Specs> {
  const path = settingsModule(app);
  const loaded: unknown = await import(pathToFileURL(join(repoRoot, path)).href);
  const settings =
    typeof loaded === "object" && loaded !== null && "settings" in loaded
      ? loaded.settings
      : undefined;
  if (typeof settings !== "object" || settings === null) {
    throw new Error(`${path} must export \`settings\`, the app's specs`);
  }
  const specs: Specs = {};
  for (const [name, spec] of Object.entries(settings)) {
    if (typeof spec !== "object" || spec === null || !("_parse" in spec)) {
      throw new Error(`${path}: settings.${name} is not a setting's spec`);
    }
    specs[name] = spec;
  }
  return specs;
}

/** Every app's settings, in APP_NAMES order. */
export async function allAppSettings(): Promise<ReadonlyMap<AppName, Specs>> {
  return new Map(
    await Promise.all(APP_NAMES.map(async (app) => [app, await appSettings(app)] as const)),
  );
}
