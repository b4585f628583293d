import { DEFAULT_SNS_CERT_URL_PATTERN, SnsVerifier, type SnsSupport } from "@runframe/auth-domain";
import type { Logger } from "@runframe/platform";

const TIMEOUT_MS = 5_000;
/** An X.509 certificate in PEM is a few KiB; anything far larger is not one. */
const MAX_CERTIFICATE_BYTES = 64 * 1024;

async function readCapped(res: Response, limit: number): Promise<string> {
  const declared = Number(res.headers.get("content-length"));
  if (declared > limit) {
    throw new Error(`certificate larger than ${limit} bytes`);
  }
  const body = new Uint8Array(await res.arrayBuffer());
  if (body.length > limit) {
    throw new Error(`certificate larger than ${limit} bytes`);
  }
  return new TextDecoder().decode(body);
}

/**
 * SNS support over real HTTPS: certificates are fetched (and cached by the
 * verifier) only from URLs the pattern allows, and subscription
 * confirmations are a single GET that must answer 2xx, with no redirects
 * followed (a redirect could lead anywhere).
 */
export function createSnsSupport(pattern: string, logger: Logger): SnsSupport {
  if (pattern !== DEFAULT_SNS_CERT_URL_PATTERN) {
    logger.warn(
      { pattern },
      "RUNFRAME_SNS_CERT_URL_PATTERN is not the default: SNS certificates are accepted from other hosts",
    );
  }
  const get = async (url: URL): Promise<Response> => {
    const res = await fetch(url, { redirect: "error", signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (!res.ok) {
      throw new Error(`GET ${url.origin}${url.pathname} answered ${res.status}`);
    }
    return res;
  };
  return {
    verifier: new SnsVerifier({
      urlPattern: new RegExp(pattern),
      fetcher: { fetch: async (url) => readCapped(await get(url), MAX_CERTIFICATE_BYTES) },
    }),
    async confirmSubscription(url) {
      await (await get(url)).arrayBuffer();
      logger.info({ host: url.host }, "SNS subscription confirmed");
    },
  };
}
