/**
 * The apps, as deployment sees them: each one's default main port and the
 * bundle that runs it.
 *
 * Every app and its default main port (DESIGN §9). An RPC app's admin port
 * (`/healthz`, `/readyz`, `/metrics` over HTTP/1.1) defaults to this plus
 * ADMIN_PORT_OFFSET; the edge serves those on its main port. `npm start`,
 * the container health check and the deployment checks read this table;
 * tools/container/image.e2e.test.ts proves it matches what the apps do
 * when PORT and ADMIN_PORT are unset.
 */
export const APP_PORTS = {
  auth: 7001,
  incident: 7002,
  "normalizer-custom": 7101,
  "normalizer-datadog": 7102,
  "normalizer-sentry": 7103,
  "normalizer-prometheus": 7104,
  "normalizer-cloudwatch": 7105,
  edge: 3000,
} as const;

/** The name of an app under apps/. */
export type AppName = keyof typeof APP_PORTS;

/** Every app, in the order `npm start` starts them (the edge last). */
export const APP_NAMES = Object.keys(APP_PORTS) as AppName[];

export const ADMIN_PORT_OFFSET = 1000;

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
