import { BlockList, isIP } from "node:net";

/**
 * The proxies whose `X-Forwarded-For` the edge believes: a comma-separated
 * list of CIDR blocks (`10.0.0.0/8,::1/128`). Undefined when none is set.
 */
export function trustedProxies(cidrs: readonly string[]): BlockList | undefined {
  if (cidrs.length === 0) {
    return undefined;
  }
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address, prefix] = cidr.split("/");
    const type = isIP(address ?? "") === 6 ? "ipv6" : "ipv4";
    list.addSubnet(address!, Number(prefix ?? (type === "ipv6" ? 128 : 32)), type);
  }
  return list;
}

/**
 * The address a request came from. Behind trusted proxies, the client is
 * the nearest address in `X-Forwarded-For` that is not itself a trusted
 * proxy (read from the right: the left part is whatever the client wrote).
 * From anywhere else the header is ignored, so nobody can choose the
 * address their failed attempts are counted against.
 */
export function clientAddress(
  socketAddress: string,
  forwardedFor: string | undefined,
  trusted: BlockList | undefined,
): string {
  if (trusted === undefined || forwardedFor === undefined || !isTrusted(trusted, socketAddress)) {
    return socketAddress;
  }
  const hops = forwardedFor
    .split(",")
    .map((hop) => hop.trim())
    .filter((hop) => isIP(hop) !== 0);
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!isTrusted(trusted, hops[i]!)) {
      return hops[i]!;
    }
  }
  return hops[0] ?? socketAddress;
}

/**
 * Whether a connection comes from a trusted proxy, whose forwarded headers
 * (X-Forwarded-For, and the `traceparent` of its trace) the edge believes.
 */
export function fromTrustedProxy(socketAddress: string, trusted: BlockList | undefined): boolean {
  return trusted !== undefined && isTrusted(trusted, socketAddress);
}

function isTrusted(list: BlockList, address: string): boolean {
  const unmapped = address.startsWith("::ffff:") ? address.slice(7) : address;
  const type = isIP(unmapped);
  return type !== 0 && list.check(unmapped, type === 6 ? "ipv6" : "ipv4");
}

/** A header's value, its occurrences joined as HTTP allows for lists. */
export function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(",") : value;
}
