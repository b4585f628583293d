import { PROVIDERS, type NormalizerAppName } from "@runframe/providers";

/**
 * The apps, as deployment sees them: each one's default main port and the
 * bundle that runs it.
 *
 * Every app and its default main port (DESIGN §9); the normalizers' come
 * from the provider registry (libs/providers). An RPC app's admin port
 * (`/healthz`, `/readyz`, `/metrics` over HTTP/1.1) defaults to this plus
 * ADMIN_PORT_OFFSET; the edge serves those on its main port. `npm start`,
 * the container health check and the deployment checks read this table;
 * tools/container/image.e2e.test.ts proves it matches what the apps do
 * when PORT and ADMIN_PORT are unset.
 */
export const APP_PORTS: Readonly<Record<AppName, number>> = {
  auth: 7001,
  incident: 7002,
  ...normalizerPorts(),
  edge: 3000,
};

/** The name of an app under apps/. */
export type AppName = "auth" | "incident" | NormalizerAppName | "edge";

/** Every app, in the order `npm start` starts them (the edge last). */
export const APP_NAMES: readonly AppName[] = [
  "auth",
  "incident",
  ...PROVIDERS.map((p) => p.app),
  "edge",
];

export const ADMIN_PORT_OFFSET = 1000;

/** Whether `name` is one of the apps. */
export function isAppName(name: string): name is AppName {
  return (APP_NAMES as readonly string[]).includes(name);
}

/** Where an app answers `/healthz` and `/readyz` when its ports are the defaults. */
export function defaultAdminPort(app: AppName): number {
  return app === "edge" ? APP_PORTS.edge : APP_PORTS[app] + ADMIN_PORT_OFFSET;
}

/**
 * The file `node` runs for an app, relative to the repository root (and to
 * /app in the image): the production build of tools/build/build.ts.
 */
export function appBundle(app: AppName): string {
  return `dist/${app}.js`;
}

function normalizerPorts(): Record<NormalizerAppName, number> {
  // Every row contributes its app, so the keys are exactly NormalizerAppName;
  // Object.fromEntries cannot say so.
  return Object.fromEntries(PROVIDERS.map((p) => [p.app, p.defaultPort])) as Record<
    NormalizerAppName,
    number
  >;
}
