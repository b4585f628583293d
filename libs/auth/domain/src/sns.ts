/**
 * Verification of Amazon SNS HTTP deliveries (CloudWatch alarms arrive this
 * way). Any AWS account can publish a correctly signed message, so a valid
 * signature proves only that SNS sent it; callers must also check the
 * TopicArn against the integration with {@link isAllowedTopic}.
 *
 * Trust in the signing certificate comes from where it is fetched, not from
 * a chain check: the URL must be https on an `sns.<region>.amazonaws.com`
 * (or `.amazonaws.com.cn`) host, and the production fetcher validates that
 * host's TLS certificate against the system roots. AWS's own verification
 * example trusts the certificate on the same grounds (it checks the URL's
 * host). The certificate is not chained to a root CA here: AWS publishes no
 * issuer to pin, and one hard-coded here would break verification whenever
 * AWS reissues. Its validity period and key type are checked.
 */

import {
  UnauthenticatedError,
  UnavailableError,
  ValidationError,
  decodeJsonObject,
  describeJsonValue,
} from "@runframe/util";
import { X509Certificate, verify as verifySignature } from "node:crypto";

/**
 * Fetches a PEM certificate. Injected so that the verifier does no I/O of
 * its own: production passes an HTTPS client (with a size limit and a
 * timeout), tests a fake that serves certificates from their own CA.
 */
export interface CertificateFetcher {
  fetch(url: URL): Promise<string>;
}

/**
 * The only signing certificate URLs SNS uses:
 * `https://sns.<region>.amazonaws.com/<path>.pem`, and `.amazonaws.com.cn`
 * in the China regions. Anchored at both ends and with no room for userinfo,
 * a port, a query or a longer host, so look-alikes such as
 * `sns.us-east-1.amazonaws.com.evil.com` never match. A RegExp source, so a
 * deployment can configure another pattern explicitly (there is no switch
 * that accepts other hosts).
 */
export const DEFAULT_SNS_CERT_URL_PATTERN = String.raw`^https://sns\.[a-z]{2}(?:-[a-z]+)+-\d+\.amazonaws\.com(?:\.cn)?/[A-Za-z0-9_-][A-Za-z0-9_./-]*\.pem$`;

/** How long a fetched certificate is reused unless it expires sooner. */
export const DEFAULT_SNS_CERT_CACHE_TTL_MS = 60 * 60 * 1000;

/** How many certificates are cached; SNS uses a handful per region. */
export const DEFAULT_SNS_CERT_CACHE_ENTRIES = 100;

/**
 * The SNS JSON envelope. Every field is optional because it comes from the
 * network; {@link SnsVerifier.verify} says which ones a given `Type` needs.
 */
export interface SnsMessage {
  readonly Type?: string;
  readonly MessageId?: string;
  readonly Token?: string;
  readonly TopicArn?: string;
  readonly Subject?: string;
  readonly Message?: string;
  readonly SubscribeURL?: string;
  readonly UnsubscribeURL?: string;
  readonly Timestamp?: string;
  readonly SignatureVersion?: string;
  readonly Signature?: string;
  readonly SigningCertURL?: string;
}

type SnsField = keyof SnsMessage;

const ENVELOPE_FIELDS: readonly SnsField[] = [
  "Type",
  "MessageId",
  "Token",
  "TopicArn",
  "Subject",
  "Message",
  "SubscribeURL",
  "UnsubscribeURL",
  "Timestamp",
  "SignatureVersion",
  "Signature",
  "SigningCertURL",
];

/**
 * The fields AWS signs for each message type, in the order it signs them.
 * `Subject` is signed only when the message has one.
 */
const SIGNED_FIELDS = {
  Notification: ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"],
  SubscriptionConfirmation: [
    "Message",
    "MessageId",
    "SubscribeURL",
    "Timestamp",
    "Token",
    "TopicArn",
    "Type",
  ],
  UnsubscribeConfirmation: [
    "Message",
    "MessageId",
    "SubscribeURL",
    "Timestamp",
    "Token",
    "TopicArn",
    "Type",
  ],
} as const satisfies Record<string, readonly SnsField[]>;

type SnsMessageType = keyof typeof SIGNED_FIELDS;

const OPTIONAL_SIGNED_FIELDS: ReadonlySet<SnsField> = new Set(["Subject"]);

/** The digest each SignatureVersion pairs with RSA PKCS#1 v1.5. */
const DIGESTS: ReadonlyMap<string, string> = new Map([
  ["1", "sha1"],
  ["2", "sha256"],
]);

/**
 * Decodes the body SNS posts (as `text/plain`) into its envelope. Keys other
 * than the envelope fields are ignored: SNS adds `MessageAttributes` (an
 * object) when the publisher set attributes, and may add more.
 *
 * @throws ValidationError on `body` when the body is not a JSON object or an
 * envelope field is present but not a string.
 */
export function parseSnsEnvelope(body: Uint8Array): SnsMessage {
  const json = decodeJsonObject(body);
  const envelope: Partial<Record<SnsField, string>> = {};
  const problems: string[] = [];
  for (const field of ENVELOPE_FIELDS) {
    if (!Object.hasOwn(json, field)) {
      continue;
    }
    const value = json[field];
    if (typeof value === "string") {
      envelope[field] = value;
    } else {
      problems.push(`${field} must be a string, got ${describeJsonValue(value)}`);
    }
  }
  if (problems.length > 0) {
    throw new ValidationError(problems.map((description) => ({ field: "body", description })));
  }
  return envelope;
}

/**
 * True when `topicArn` is one of the integration's topics, compared
 * exactly. Meaningful only for a message whose signature was verified: an
 * unsigned TopicArn proves nothing.
 */
export function isAllowedTopic(topicArn: string, allowed: readonly string[]): boolean {
  return allowed.includes(topicArn);
}

/**
 * Parses a URL taken from an SNS message (`SigningCertURL`, `SubscribeURL`)
 * and refuses it unless it is https, carries no userinfo and no explicit
 * port, and `pattern` matches its whole normalized href (whether or not the
 * pattern is anchored itself). Called before any request is made, so a
 * message cannot make this service fetch from a host it names.
 *
 * @throws UnauthenticatedError with reason `SNS_CERT_URL_REJECTED`.
 */
export function checkSnsUrl(url: string, pattern: RegExp, field: string): URL {
  const refuse = (why: string) =>
    new UnauthenticatedError(`${field} ${why}`, { reason: "SNS_CERT_URL_REJECTED" });
  // The URL parser silently drops tabs, newlines and surrounding spaces;
  // SNS never sends them, so their presence alone is suspicious.
  if (/[\s\p{Cc}\\]/u.test(url)) {
    throw refuse("must not contain spaces, control characters or backslashes");
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw refuse("must be an absolute URL");
  }
  if (parsed.protocol !== "https:") {
    throw refuse("must use https");
  }
  // The parser drops a default port (`:443`) and an empty one (`:`), so the
  // authority is also checked as written.
  const authority = /^[^:]+:\/\/([^/?#]*)/.exec(url)?.[1] ?? "";
  if (parsed.username !== "" || parsed.password !== "" || authority.includes("@")) {
    throw refuse("must not carry user information");
  }
  if (parsed.port !== "" || authority.includes(":")) {
    throw refuse("must not name a port");
  }
  if (!fullMatch(pattern).test(parsed.href)) {
    throw refuse("is not an allowed Amazon SNS URL");
  }
  return parsed;
}

/** `pattern` anchored at both ends, without the flags that make test() stateful. */
function fullMatch(pattern: RegExp): RegExp {
  return new RegExp(`^(?:${pattern.source})$`, pattern.flags.replace(/[gmy]/g, ""));
}

/**
 * The string AWS signs: for each signed field of the message's type, the
 * field name and its value, each followed by a newline. Exported so that
 * tests can pin it against literal examples and sign fixtures with it.
 *
 * @throws ValidationError listing every missing field, or on `Type` when the
 * type is not one SNS sends to HTTP endpoints.
 */
export function snsStringToSign(message: SnsMessage): string {
  const type = messageType(message);
  const missing = SIGNED_FIELDS[type].filter(
    (field) => !OPTIONAL_SIGNED_FIELDS.has(field) && message[field] === undefined,
  );
  if (missing.length > 0) {
    throw new ValidationError(
      missing.map((field) => ({ field, description: `is required in an SNS ${type}` })),
    );
  }
  let text = "";
  for (const field of SIGNED_FIELDS[type]) {
    const value = message[field];
    if (value !== undefined) {
      text += `${field}\n${value}\n`;
    }
  }
  return text;
}

function messageType(message: SnsMessage): SnsMessageType {
  const type = message.Type;
  if (type === undefined || !Object.hasOwn(SIGNED_FIELDS, type)) {
    throw new ValidationError([
      {
        field: "Type",
        description: "must be Notification, SubscriptionConfirmation or UnsubscribeConfirmation",
      },
    ]);
  }
  return type as SnsMessageType;
}

/** Construction options of {@link SnsVerifier}. */
export interface SnsVerifierOptions {
  readonly fetcher: CertificateFetcher;
  /** Allowed `SigningCertURL`s; normally `new RegExp(DEFAULT_SNS_CERT_URL_PATTERN)`. */
  readonly urlPattern: RegExp;
  readonly now?: () => Date;
  /** How long a certificate is reused; never beyond its own expiry. Default 1 hour. */
  readonly cacheTtlMs?: number;
  /** How many certificates are kept; the least recently used goes first. */
  readonly maxCacheEntries?: number;
}

interface CacheEntry {
  readonly certificate: Promise<X509Certificate>;
  expiresAt: number;
}

/**
 * Verifies SNS message signatures. Holds a cache of signing certificates,
 * so one instance should serve the whole process.
 */
export class SnsVerifier {
  readonly #fetcher: CertificateFetcher;
  readonly #urlPattern: RegExp;
  readonly #now: () => Date;
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #cache = new Map<string, CacheEntry>();

  constructor(options: SnsVerifierOptions) {
    const ttlMs = options.cacheTtlMs ?? DEFAULT_SNS_CERT_CACHE_TTL_MS;
    const maxEntries = options.maxCacheEntries ?? DEFAULT_SNS_CERT_CACHE_ENTRIES;
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
      throw new RangeError(`cacheTtlMs must be a positive number, got ${ttlMs}`);
    }
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`maxCacheEntries must be a positive integer, got ${maxEntries}`);
    }
    this.#fetcher = options.fetcher;
    this.#urlPattern = options.urlPattern;
    this.#now = options.now ?? (() => new Date());
    this.#ttlMs = ttlMs;
    this.#maxEntries = maxEntries;
  }

  /**
   * Resolves when `message` carries a valid SNS signature. Everything that
   * can be checked without the network is checked first; a refused
   * `SigningCertURL` never reaches the fetcher.
   *
   * @throws ValidationError when `Type` is unknown or a signed field is missing.
   * @throws UnauthenticatedError with reason `SIGNATURE_MISSING`,
   * `SIGNATURE_VERSION_UNSUPPORTED`, `SNS_CERT_URL_REJECTED`,
   * `SNS_CERT_INVALID` or `SIGNATURE_INVALID`.
   * @throws UnavailableError (reason `SNS_CERT_UNAVAILABLE`) when the
   * certificate cannot be fetched; SNS retries such deliveries.
   */
  async verify(message: SnsMessage): Promise<void> {
    const stringToSign = snsStringToSign(message);
    const { Signature, SignatureVersion, SigningCertURL } = message;
    if (Signature === undefined || SignatureVersion === undefined || SigningCertURL === undefined) {
      throw new UnauthenticatedError(
        "an SNS message needs Signature, SignatureVersion and SigningCertURL",
        { reason: "SIGNATURE_MISSING" },
      );
    }
    const digest = DIGESTS.get(SignatureVersion);
    if (digest === undefined) {
      throw new UnauthenticatedError("SignatureVersion must be 1 or 2", {
        reason: "SIGNATURE_VERSION_UNSUPPORTED",
      });
    }
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(Signature) || Signature.length % 4 !== 0) {
      throw new UnauthenticatedError("Signature must be base64", { reason: "SIGNATURE_INVALID" });
    }
    const url = checkSnsUrl(SigningCertURL, this.#urlPattern, "SigningCertURL");

    const certificate = await this.#certificate(url);
    const now = this.#now().getTime();
    if (now < Date.parse(certificate.validFrom) || now > Date.parse(certificate.validTo)) {
      throw new UnauthenticatedError("the SNS signing certificate is expired or not yet valid", {
        reason: "SNS_CERT_INVALID",
      });
    }
    let valid: boolean;
    try {
      valid = verifySignature(
        digest,
        Buffer.from(stringToSign, "utf8"),
        certificate.publicKey,
        Buffer.from(Signature, "base64"),
      );
    } catch {
      valid = false;
    }
    if (!valid) {
      throw new UnauthenticatedError("SNS signature does not match", {
        reason: "SIGNATURE_INVALID",
      });
    }
  }

  /**
   * The parsed certificate at `url`, from the cache when fresh. The pending
   * fetch is cached, so concurrent verifications share it; a failed fetch
   * is forgotten at once, so the next delivery tries again.
   */
  #certificate(url: URL): Promise<X509Certificate> {
    const key = url.href;
    const now = this.#now().getTime();
    const cached = this.#cache.get(key);
    if (cached !== undefined) {
      this.#cache.delete(key);
      if (cached.expiresAt > now) {
        this.#cache.set(key, cached);
        return cached.certificate;
      }
    }
    const entry: CacheEntry = {
      certificate: this.#fetchCertificate(url),
      expiresAt: now + this.#ttlMs,
    };
    this.#makeRoom(now);
    this.#cache.set(key, entry);
    void entry.certificate.then(
      (certificate) => {
        entry.expiresAt = Math.min(entry.expiresAt, Date.parse(certificate.validTo));
      },
      () => {
        if (this.#cache.get(key) === entry) {
          this.#cache.delete(key);
        }
      },
    );
    return entry.certificate;
  }

  async #fetchCertificate(url: URL): Promise<X509Certificate> {
    let pem: string;
    try {
      pem = await this.#fetcher.fetch(url);
    } catch (error) {
      throw new UnavailableError("could not fetch the SNS signing certificate", {
        reason: "SNS_CERT_UNAVAILABLE",
        cause: error,
      });
    }
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(pem);
    } catch (error) {
      throw new UnauthenticatedError("the SNS signing certificate cannot be parsed", {
        reason: "SNS_CERT_INVALID",
        cause: error,
      });
    }
    if (certificate.publicKey.asymmetricKeyType !== "rsa") {
      throw new UnauthenticatedError("the SNS signing certificate does not hold an RSA key", {
        reason: "SNS_CERT_INVALID",
      });
    }
    if (
      Number.isNaN(Date.parse(certificate.validFrom)) ||
      Number.isNaN(Date.parse(certificate.validTo))
    ) {
      throw new UnauthenticatedError(
        "the SNS signing certificate has an unreadable validity period",
        {
          reason: "SNS_CERT_INVALID",
        },
      );
    }
    return certificate;
  }

  /** Drops expired entries, then the least recently used until one fits. */
  #makeRoom(now: number): void {
    if (this.#cache.size < this.#maxEntries) {
      return;
    }
    for (const [key, entry] of this.#cache) {
      if (entry.expiresAt <= now) {
        this.#cache.delete(key);
      }
    }
    for (const key of this.#cache.keys()) {
      if (this.#cache.size < this.#maxEntries) {
        break;
      }
      this.#cache.delete(key);
    }
  }
}
