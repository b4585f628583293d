import { describe, expect, it } from "vitest";
import { clientAddress, trustedProxies } from "./client-address.js";

describe("clientAddress", () => {
  const proxies = trustedProxies(["10.0.0.0/8", "::1/128"]);

  it("ignores X-Forwarded-For from a connection that is not a trusted proxy", () => {
    expect(clientAddress("203.0.113.9", "198.51.100.1", proxies)).toBe("203.0.113.9");
    expect(clientAddress("203.0.113.9", "198.51.100.1", undefined)).toBe("203.0.113.9");
  });

  it("takes the nearest untrusted hop behind trusted proxies", () => {
    expect(clientAddress("10.0.0.5", "198.51.100.1", proxies)).toBe("198.51.100.1");
    expect(clientAddress("::ffff:10.0.0.5", "1.2.3.4, 198.51.100.1, 10.1.1.1", proxies)).toBe(
      "198.51.100.1",
    );
    expect(clientAddress("::1", "2001:db8::7", proxies)).toBe("2001:db8::7");
  });

  it("falls back to the socket when the header holds no address", () => {
    expect(clientAddress("10.0.0.5", "unknown, garbage", proxies)).toBe("10.0.0.5");
    expect(clientAddress("10.0.0.5", undefined, proxies)).toBe("10.0.0.5");
    expect(clientAddress("10.0.0.5", "10.9.9.9", proxies)).toBe("10.9.9.9");
  });
});
