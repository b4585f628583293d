import { str } from "envalid";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, serverSpecs, serviceUrl } from "./config.js";

describe("loadConfig", () => {
  const specs = {
    ...serverSpecs(7001),
    UPSTREAM: serviceUrl(),
    MODE: str({ choices: ["a", "b"] }),
  };

  it("reports every problem in one error", () => {
    const load = () =>
      loadConfig(
        { PORT: "70000", ADMIN_PORT: "x", RUNFRAME_INTERNAL_TOKEN: "s3cret", UPSTREAM: "ftp://h" },
        specs,
      );
    expect(load).toThrow(ConfigError);
    const problems = catchConfigError(load).problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^PORT: must be a port number/),
        expect.stringMatching(/^ADMIN_PORT: must be a port number/),
        "RUNFRAME_INTERNAL_TOKEN: must be at least 32 characters (got 6)",
        'UPSTREAM: must be an http(s) URL, got "ftp://h"',
        expect.stringMatching(/^MODE: is required but not set/),
      ]),
    );
    expect(problems).toHaveLength(5);
    expect(catchConfigError(load).message).not.toContain("s3cret");
  });

  it("treats an empty value as not set", () => {
    const problems = catchConfigError(() =>
      loadConfig({ RUNFRAME_INTERNAL_TOKEN: "", UPSTREAM: "http://a", MODE: "a" }, specs),
    ).problems;
    expect(problems).toEqual([expect.stringMatching(/^RUNFRAME_INTERNAL_TOKEN: is required/)]);
  });

  it("applies defaults and parses values", () => {
    const config = loadConfig(
      {
        RUNFRAME_INTERNAL_TOKEN: "t".repeat(32),
        UPSTREAM: "http://auth:7001/",
        MODE: "b",
        PORT: "0",
      },
      specs,
    );
    expect(config).toMatchObject({
      HOST: "127.0.0.1",
      PORT: 0,
      ADMIN_PORT: 8001,
      UPSTREAM: "http://auth:7001",
      RUNFRAME_SHUTDOWN_GRACE_MS: 10_000,
    });
  });
});

describe("RUNFRAME_CORS_ORIGINS", () => {
  const load = (origins: string) =>
    loadConfig(
      { RUNFRAME_INTERNAL_TOKEN: "t".repeat(32), RUNFRAME_CORS_ORIGINS: origins },
      serverSpecs(7001),
    );

  it("is off by default and takes origins or *", () => {
    expect(
      loadConfig({ RUNFRAME_INTERNAL_TOKEN: "t".repeat(32) }, serverSpecs(7001)),
    ).toMatchObject({ RUNFRAME_CORS_ORIGINS: [] });
    expect(
      load("https://console.example.com, http://127.0.0.1:5173").RUNFRAME_CORS_ORIGINS,
    ).toEqual(["https://console.example.com", "http://127.0.0.1:5173"]);
    expect(load("*").RUNFRAME_CORS_ORIGINS).toEqual(["*"]);
  });

  it.each([
    "https://console.example.com/",
    "https://console.example.com/app",
    "console.example.com",
  ])("refuses %s, which no browser sends as an Origin", (origin) => {
    expect(catchConfigError(() => load(origin)).problems).toEqual([
      expect.stringMatching(/^RUNFRAME_CORS_ORIGINS: must be comma-separated origins/),
    ]);
  });
});

describe("serviceUrl", () => {
  const load = (value: string) => loadConfig({ URL: value }, { URL: serviceUrl() }).URL;

  it("takes one URL or a comma-separated list, one per replica", () => {
    expect(load("http://auth:7001/")).toBe("http://auth:7001");
    expect(load("http://10.0.0.1:7001, http://10.0.0.2:7001/")).toBe(
      "http://10.0.0.1:7001,http://10.0.0.2:7001",
    );
    expect(load("http://[::1]:7001")).toBe("http://[::1]:7001");
  });

  it("refuses lists that one transport cannot address", () => {
    expect(() => load("http://a:1,https://b:1")).toThrow(/same scheme and path/);
    expect(() => load("http://a:1/x,http://b:1/y")).toThrow(/same scheme and path/);
    expect(() => load("http://a:1,ftp://b:1")).toThrow(
      /must be an http\(s\) URL, got "ftp:\/\/b:1"/,
    );
    expect(() => load(" , ")).toThrow(/must be an http\(s\) URL/);
    expect(() => load("http://user:pw@a:1")).toThrow(/without query, fragment or credentials/);
  });
});

function catchConfigError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) {
      return error;
    }
    throw error;
  }
  throw new Error("expected a ConfigError");
}
