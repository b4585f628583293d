import { appBundle, randomToken, startProcess } from "@runframe/platform/testing";
import { describe, expect, it } from "vitest";

describe("normalizer-cloudwatch settings", () => {
  it("reports its own settings and the standard ones in one message", async () => {
    const proc = startProcess(appBundle("normalizer-cloudwatch"), {
      RUNFRAME_INTERNAL_TOKEN: randomToken(),
      PORT: "not-a-port",
      RUNFRAME_CLOUDWATCH_INSUFFICIENT_DATA: "sometimes",
    });
    expect(await proc.exited).toBe(78);
    expect(proc.stderr()).toMatch(/PORT: must be a port number/);
    expect(proc.stderr()).toMatch(/RUNFRAME_CLOUDWATCH_INSUFFICIENT_DATA: .*not in choices/);
  });
});
