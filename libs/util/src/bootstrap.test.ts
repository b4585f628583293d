import { describe, expect, it } from "vitest";
import { parseBootstrap } from "./bootstrap.js";
import { ValidationError } from "./errors.js";

const withKey = (key: Record<string, unknown>) =>
  JSON.stringify({
    organizations: [
      { id: "org-a", name: "A", apiKeys: [{ id: "key-a", secret: "k".repeat(40), ...key }] },
    ],
  });

describe("parseBootstrap", () => {
  it("accepts the admin and viewer roles, and admin when none is given", () => {
    for (const role of ["admin", "viewer"]) {
      expect(parseBootstrap(withKey({ role })).organizations[0]!.apiKeys[0]!.role).toBe(role);
    }
    expect(parseBootstrap(withKey({})).organizations[0]!.apiKeys[0]!.role).toBe("admin");
  });

  it("refuses an unknown role, naming the field", () => {
    expect(() => parseBootstrap(withKey({ role: "superuser" }))).toThrow(ValidationError);
    expect(() => parseBootstrap(withKey({ role: "superuser" }))).toThrow(
      /organizations\[0\]\.apiKeys\[0\]\.role must be one of admin, viewer/,
    );
  });
});
