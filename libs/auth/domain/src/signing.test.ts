import { create } from "@bufbuild/protobuf";
import { HeaderSchema } from "@runframe/contracts";
import { UnauthenticatedError } from "@runframe/util";
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SecretBox } from "./secret-box.js";
import { verifyCustomSignature } from "./signing.js";

const secret = "s3cret-signing-key";
const now = new Date("2026-11-27T12:00:00Z");
const nowSeconds = now.getTime() / 1000;
const body = new TextEncoder().encode('{"title":"Deploy failed","service_id":"SER-00002"}');

function sign(ts: number | string, key = secret, payload: Uint8Array = body) {
  return createHmac("sha256", key).update(`${ts}.`).update(payload).digest("hex");
}

function verify(headers: Record<string, string>, secrets = [secret]) {
  return verifyCustomSignature({
    headers: Object.entries(headers).map(([name, value]) => create(HeaderSchema, { name, value })),
    body,
    secrets,
    now,
  });
}

function reason(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof UnauthenticatedError) {
      return error.reason;
    }
    throw error;
  }
  return undefined;
}

describe("verifyCustomSignature", () => {
  const headers = (ts: number | string, signature = `sha256=${sign(ts)}`) => ({
    "x-runframe-signature": signature,
    "x-runframe-timestamp": String(ts),
  });

  it("accepts a valid signature and returns what identifies the delivery", () => {
    expect(verify(headers(nowSeconds))).toEqual({
      timestamp: nowSeconds,
      signature: sign(nowSeconds),
    });
  });

  it.each([
    [-300, undefined],
    [-301, "TIMESTAMP_OUT_OF_WINDOW"],
    [50, undefined],
    [60, undefined],
    [61, "TIMESTAMP_OUT_OF_WINDOW"],
  ])("at %i s from now: %s", (offset, expected) => {
    expect(reason(() => verify(headers(nowSeconds + offset)))).toBe(expected);
  });

  it("accepts upper-case hex and any of several secrets (rotation grace)", () => {
    const upper = `sha256=${sign(nowSeconds, "old-secret-value").toUpperCase()}`;
    expect(
      reason(() => verify(headers(nowSeconds, upper), [secret, "old-secret-value"])),
    ).toBeUndefined();
  });

  it.each([
    [
      "a wrong secret",
      headers(nowSeconds, `sha256=${sign(nowSeconds, "wrong")}`),
      "SIGNATURE_INVALID",
    ],
    ["a missing prefix", headers(nowSeconds, sign(nowSeconds)), "SIGNATURE_INVALID"],
    ["a short digest", headers(nowSeconds, "sha256=abcd"), "SIGNATURE_INVALID"],
    ["a non-numeric timestamp", headers("1700000000.5"), "TIMESTAMP_INVALID"],
    ["no headers", {}, "SIGNATURE_MISSING"],
    ["only a timestamp", { "x-runframe-timestamp": String(nowSeconds) }, "SIGNATURE_MISSING"],
  ])("refuses %s", (_, h, expected) => {
    expect(reason(() => verify(h))).toBe(expected);
  });

  it("covers the exact bytes: re-serialized JSON does not verify", () => {
    const reformatted = new TextEncoder().encode(
      JSON.stringify(JSON.parse(new TextDecoder().decode(body)), null, 1),
    );
    expect(
      reason(() => verify(headers(nowSeconds, `sha256=${sign(nowSeconds, secret, reformatted)}`))),
    ).toBe("SIGNATURE_INVALID");
  });
});

describe("SecretBox", () => {
  const box = new SecretBox(new Uint8Array(32).fill(7));

  it("round-trips and never stores the plaintext", () => {
    const sealed = box.seal("whsec-123", "int-a");
    expect(sealed).not.toContain("whsec-123");
    expect(box.open(sealed, "int-a")).toBe("whsec-123");
  });

  it("refuses a ciphertext moved to another record or tampered with", () => {
    const sealed = box.seal("whsec-123", "int-a");
    expect(() => box.open(sealed, "int-b")).toThrow();
    const parts = sealed.split(".");
    parts[3] = Buffer.from("tampered").toString("base64url");
    expect(() => box.open(parts.join("."), "int-a")).toThrow();
  });

  it("refuses a key of the wrong size", () => {
    expect(() => new SecretBox(new Uint8Array(16))).toThrow(/32 bytes/);
  });
});
