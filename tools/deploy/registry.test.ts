/**
 * docker-compose.yml and the Helm chart run exactly the normalizers of the
 * provider registry (libs/providers), on the registry's ports, and wire the
 * edge to each with the registry's URL setting. Both files are static YAML
 * for their users, so they list the normalizers themselves; this is what
 * keeps them from drifting. (tools/k8s-validate then checks the rendered
 * chart against compose's environment, and the image test the Dockerfile's
 * EXPOSE against the app table.) The providers' checklist
 * (docs/providers/README.md) names every app the files wire to the
 * normalizers, so a new provider is wired to all of them.
 */
import { ADMIN_PORT_OFFSET } from "@runframe/platform/apps";
import { repoRoot } from "@runframe/platform/testing";
import { PROVIDERS } from "@runframe/providers";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { appServices, environment, loadCompose } from "./compose.js";

const registryApps = PROVIDERS.map((p) => p.app).sort();
const isNormalizer = (app: string) => app.startsWith("normalizer-");

const chart = join(repoRoot, "deploy/helm/runframe");
const helpers = readFileSync(join(chart, "templates/_helpers.tpl"), "utf8");
/** The chart's app table: the body of `define "runframe.wiring"`. */
const wiring = parse(
  /\{\{-? define "runframe\.wiring" -?\}\}([\s\S]*?)\{\{-? end -?\}\}/.exec(helpers)?.[1] ?? "",
) as Record<string, { port: number; calls: string[] }>;
/** docker-compose.yml's apps, by app name. */
const apps = appServices(
  loadCompose({
    RUNFRAME_INTERNAL_TOKEN: "t".repeat(44),
    RUNFRAME_SECRET_KEY: Buffer.alloc(32).toString("base64"),
  }),
);

describe("docker-compose.yml against the provider registry", () => {
  it("runs one service per normalizer of the registry, on its ports", () => {
    expect([...apps.keys()].filter(isNormalizer).sort()).toEqual(registryApps);
    for (const p of PROVIDERS) {
      const [name, service] = apps.get(p.app)!;
      expect(environment(service)["PORT"], name).toBe(String(p.defaultPort));
      expect(environment(service)["ADMIN_PORT"], name).toBe(
        String(p.defaultPort + ADMIN_PORT_OFFSET),
      );
    }
  });

  // The edge normalizes webhooks; incident normalizes stored deliveries it replays.
  it.each(["edge", "incident"] as const)(
    "points %s at each normalizer with the registry's URL setting",
    (app) => {
      const [, caller] = apps.get(app)!;
      const env = environment(caller);
      expect(
        Object.keys(env)
          .filter((k) => k.startsWith("RUNFRAME_NORMALIZER_"))
          .sort(),
      ).toEqual(PROVIDERS.map((p) => p.urlSetting).sort());
      for (const p of PROVIDERS) {
        const [name] = apps.get(p.app)!;
        expect(env[p.urlSetting]).toBe(`http://${name}:${p.defaultPort}`);
        expect(caller.depends_on?.[name]?.condition).toBe("service_healthy");
      }
    },
  );
});

describe("the Helm chart against the provider registry", () => {
  const values = parse(readFileSync(join(chart, "values.yaml"), "utf8")) as {
    apps: Record<string, unknown>;
  };
  const schema = JSON.parse(readFileSync(join(chart, "values.schema.json"), "utf8")) as {
    properties: { apps: { required: string[]; properties: Record<string, unknown> } };
  };

  it("wires one Deployment per normalizer of the registry, on its port", () => {
    expect(Object.keys(wiring).filter(isNormalizer).sort()).toEqual(registryApps);
    for (const p of PROVIDERS) {
      expect(wiring[p.app]?.port, p.app).toBe(p.defaultPort);
    }
  });

  it("has the edge and incident call every normalizer, under the registry's URL setting", () => {
    expect(wiring["edge"]?.calls.filter(isNormalizer).sort()).toEqual(registryApps);
    expect(wiring["incident"]?.calls.filter(isNormalizer).sort()).toEqual(registryApps);
    // The chart names a callee's URL setting RUNFRAME_<APP>_URL, upper case, - as _.
    expect(helpers).toContain('printf "RUNFRAME_%s_URL" (. | upper | replace "-" "_")');
    for (const p of PROVIDERS) {
      expect(`RUNFRAME_${p.app.toUpperCase().replace(/-/g, "_")}_URL`).toBe(p.urlSetting);
    }
  });

  it("has values and a schema entry for each normalizer of the registry, and no other", () => {
    expect(Object.keys(values.apps).filter(isNormalizer).sort()).toEqual(registryApps);
    const apps = schema.properties.apps;
    expect(apps.required.filter(isNormalizer).sort()).toEqual(registryApps);
    expect(Object.keys(apps.properties).filter(isNormalizer).sort()).toEqual(registryApps);
  });
});

describe("the providers' checklist against the deployment files", () => {
  it("names every app that calls the normalizers, as compose and the chart wire them", () => {
    const composeCallers = [...apps.keys()].filter((app) => {
      const env = environment(apps.get(app)![1]);
      return PROVIDERS.some((p) => p.urlSetting in env);
    });
    const chartCallers = Object.keys(wiring).filter((app) => wiring[app]!.calls.some(isNormalizer));
    expect(composeCallers.sort()).toEqual(chartCallers.sort());
    const checklist = readFileSync(join(repoRoot, "docs/providers/README.md"), "utf8");
    const step = checklist
      .split(/\n(?=\d+\. )/)
      .find((text) => /^\d+\. \*\*Deployment files\*\*/.test(text))
      ?.split("\n\n")[0];
    expect(step, "the checklist's deployment step").toBeDefined();
    for (const app of chartCallers) {
      expect(step, app).toContain(`\`${app}\``);
    }
    expect(step).toContain("RUNFRAME_NORMALIZER_<NAME>_URL");
  });
});
