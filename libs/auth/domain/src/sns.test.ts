import { DomainError, ValidationError } from "@runframe/util";
import { X509Certificate } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_SNS_CERT_URL_PATTERN,
  SnsVerifier,
  checkSnsUrl,
  isAllowedTopic,
  parseSnsEnvelope,
  snsStringToSign,
  type SnsMessage,
  type SnsVerifierOptions,
} from "./sns.js";
import {
  FakeCertificateFetcher,
  createSnsTestPki,
  removeSnsTestPki,
  signSnsString,
  type SnsTestPki,
} from "./testing/sns-fixtures.js";

const CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem";
const OTHER_CERT_URL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-eu.pem";
const THIRD_CERT_URL = "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-cn.pem";
const TOPIC = "arn:aws:sns:us-east-1:123456789012:cloudwatch-alarms";
const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

const pattern = new RegExp(DEFAULT_SNS_CERT_URL_PATTERN);

const notification = {
  Type: "Notification",
  MessageId: "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
  TopicArn: TOPIC,
  Subject: 'ALARM: "cpu-high" in US East (N. Virginia) — é',
  Message: '{"AlarmName":"cpu-high",\n"NewStateValue":"ALARM"}',
  Timestamp: "2026-11-27T12:00:00.000Z",
  UnsubscribeURL:
    "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-east-1:123456789012:cloudwatch-alarms:c9135db0",
} satisfies SnsMessage;

const confirmation = {
  Type: "SubscriptionConfirmation",
  MessageId: "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
  Token: "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3",
  TopicArn: TOPIC,
  Message: `You have chosen to subscribe to the topic ${TOPIC}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
  SubscribeURL: `https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${TOPIC}&Token=2336412f37fb`,
  Timestamp: "2026-11-27T12:00:00.000Z",
} satisfies SnsMessage;

let pki: SnsTestPki;
let issuedAt: number;

beforeAll(() => {
  pki = createSnsTestPki();
  issuedAt = Date.now();
}, 60_000);

afterAll(() => {
  removeSnsTestPki(pki);
});

/** `message` as SNS would send it, signed with the leaf key unless told otherwise. */
function signed(
  message: SnsMessage,
  version: "1" | "2" = "1",
  keyPem = pki.leafKeyPem,
  certUrl = CERT_URL,
): SnsMessage & { readonly Signature: string } {
  return {
    ...message,
    SignatureVersion: version,
    Signature: signSnsString(snsStringToSign(message), keyPem, version),
    SigningCertURL: certUrl,
  };
}

/** `message` without `fields`. */
function without(message: SnsMessage, ...fields: readonly (keyof SnsMessage)[]): SnsMessage {
  return Object.fromEntries(
    Object.entries(message).filter(([key]) => !(fields as readonly string[]).includes(key)),
  );
}

function setup(options: Partial<SnsVerifierOptions> & { certPem?: string } = {}) {
  const clock = { ms: issuedAt };
  const fetcher = new FakeCertificateFetcher().serve(CERT_URL, options.certPem ?? pki.leafCertPem);
  const verifier = new SnsVerifier({
    fetcher,
    urlPattern: pattern,
    now: () => new Date(clock.ms),
    ...options,
  });
  return { clock, fetcher, verifier };
}

/**
 * What verification came to: undefined when it passed, the reason of a
 * refusal, or `invalid:` and the fields of a ValidationError.
 */
async function outcome(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ValidationError) {
      return `invalid:${error.violations.map((v) => v.field).join(",")}`;
    }
    if (error instanceof DomainError) {
      return `${error.kind}:${error.reason}`;
    }
    throw error;
  }
  return undefined;
}

function refusalOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) {
      return `${error.kind}:${error.reason}`;
    }
    throw error;
  }
  return undefined;
}

describe("snsStringToSign", () => {
  it("signs a Notification's fields in AWS's order, Subject included when present", () => {
    expect(snsStringToSign(notification)).toBe(
      "Message\n" +
        '{"AlarmName":"cpu-high",\n"NewStateValue":"ALARM"}\n' +
        "MessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n" +
        'Subject\nALARM: "cpu-high" in US East (N. Virginia) — é\n' +
        "Timestamp\n2026-11-27T12:00:00.000Z\n" +
        "TopicArn\narn:aws:sns:us-east-1:123456789012:cloudwatch-alarms\n" +
        "Type\nNotification\n",
    );
  });

  it("leaves Subject out entirely when the Notification has none", () => {
    expect(snsStringToSign(without(notification, "Subject"))).toBe(
      "Message\n" +
        '{"AlarmName":"cpu-high",\n"NewStateValue":"ALARM"}\n' +
        "MessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n" +
        "Timestamp\n2026-11-27T12:00:00.000Z\n" +
        "TopicArn\narn:aws:sns:us-east-1:123456789012:cloudwatch-alarms\n" +
        "Type\nNotification\n",
    );
  });

  it.each(["SubscriptionConfirmation", "UnsubscribeConfirmation"])(
    "signs SubscribeURL and Token in a %s",
    (Type) => {
      expect(snsStringToSign({ ...confirmation, Type })).toBe(
        `Message\n${confirmation.Message}\n` +
          "MessageId\n165545c9-2a5c-472c-8df2-7ff2be2b3b1b\n" +
          `SubscribeURL\n${confirmation.SubscribeURL}\n` +
          "Timestamp\n2026-11-27T12:00:00.000Z\n" +
          `Token\n${confirmation.Token}\n` +
          `TopicArn\n${TOPIC}\n` +
          `Type\n${Type}\n`,
      );
    },
  );

  it("lists every missing signed field at once", () => {
    const partial = without(notification, "MessageId", "TopicArn");
    expect(() => snsStringToSign(partial)).toThrow(
      expect.objectContaining({
        violations: [
          { field: "MessageId", description: "is required in an SNS Notification" },
          { field: "TopicArn", description: "is required in an SNS Notification" },
        ],
      }),
    );
  });

  it.each([undefined, "", "notification", "constructor", "__proto__"])(
    "refuses Type %j",
    (Type) => {
      const message: SnsMessage = Type === undefined ? {} : { ...notification, Type };
      expect(() => snsStringToSign(message)).toThrow(ValidationError);
      expect(() => snsStringToSign(message)).toThrow(/^Type: /);
    },
  );
});

describe("checkSnsUrl", () => {
  it.each([
    CERT_URL,
    "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-3250158c6506d40628c2d5e3b3fa1d37.pem",
    "https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-abc.pem",
    "https://sns.ap-southeast-2.amazonaws.com/certs/SimpleNotificationService-abc.pem",
  ])("accepts %s", (url) => {
    expect(checkSnsUrl(url, pattern, "SigningCertURL").href).toBe(url);
  });

  it.each([
    ["plain http", "http://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem"],
    [
      "a longer host",
      "https://sns.us-east-1.amazonaws.com.evil.com/SimpleNotificationService-test.pem",
    ],
    ["a longer .cn host", "https://sns.cn-north-1.amazonaws.com.cn.evil.com/x.pem"],
    ["a host prefix", "https://evilsns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem"],
    ["a subdomain", "https://x.sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem"],
    [
      "another AWS service",
      "https://s3.us-east-1.amazonaws.com/SimpleNotificationService-test.pem",
    ],
    ["no region", "https://sns.amazonaws.com/SimpleNotificationService-test.pem"],
    ["a trailing dot", "https://sns.us-east-1.amazonaws.com./SimpleNotificationService-test.pem"],
    ["a fullwidth dot", "https://sns.us-east-1.amazonaws.com\u3002evil.com/x.pem"],
    ["a userinfo host swap", "https://sns.us-east-1.amazonaws.com@evil.com/x.pem"],
    ["userinfo", "https://user:pw@sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem"],
    [
      "an empty userinfo",
      "https://@sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem",
    ],
    ["a port", "https://sns.us-east-1.amazonaws.com:8443/SimpleNotificationService-test.pem"],
    [
      "the default port",
      "https://sns.us-east-1.amazonaws.com:443/SimpleNotificationService-test.pem",
    ],
    ["an empty port", "https://sns.us-east-1.amazonaws.com:/SimpleNotificationService-test.pem"],
    ["a non-.pem path", "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.crt"],
    [
      "a .pem lookalike",
      "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem.txt",
    ],
    ["a bare .pem", "https://sns.us-east-1.amazonaws.com/.pem"],
    ["a query", "https://sns.us-east-1.amazonaws.com/x.pem?a=b"],
    ["a .pem in the query", "https://sns.us-east-1.amazonaws.com/?x=.pem"],
    ["a fragment", "https://sns.us-east-1.amazonaws.com/x.pem#y"],
    ["a percent-encoded path", "https://sns.us-east-1.amazonaws.com/x%2Fy.pem"],
    ["a backslash", "https:\\\\sns.us-east-1.amazonaws.com\\x.pem"],
    ["a newline", "https://sns.us-east-1.amazonaws.com/x\n.pem"],
    ["a leading space", " https://sns.us-east-1.amazonaws.com/x.pem"],
    ["a relative URL", "//sns.us-east-1.amazonaws.com/x.pem"],
    ["an empty string", ""],
    ["another scheme", "file:///sns.us-east-1.amazonaws.com/x.pem"],
  ])("refuses %s", (_, url) => {
    expect(refusalOf(() => checkSnsUrl(url, pattern, "SigningCertURL"))).toBe(
      "unauthenticated:SNS_CERT_URL_REJECTED",
    );
  });

  it("names the field it refused", () => {
    expect(() => checkSnsUrl("http://x/", pattern, "SubscribeURL")).toThrow(/^SubscribeURL /);
  });

  it("matches the whole href even when the pattern is unanchored or global", () => {
    const loose = /https:\/\/certs\.example\.test\/[a-z]+\.pem/g;
    expect(checkSnsUrl("https://certs.example.test/a.pem", loose, "u").host).toBe(
      "certs.example.test",
    );
    expect(checkSnsUrl("https://certs.example.test/b.pem", loose, "u").host).toBe(
      "certs.example.test",
    );
    expect(
      refusalOf(() =>
        checkSnsUrl("https://evil.test/?https://certs.example.test/a.pem", loose, "u"),
      ),
    ).toBe("unauthenticated:SNS_CERT_URL_REJECTED");
  });
});

describe("SnsVerifier", () => {
  it.each(["1", "2"] as const)("accepts a Notification with SignatureVersion %s", async (v) => {
    const { verifier, fetcher } = setup();
    expect(await outcome(verifier.verify(signed(notification, v)))).toBeUndefined();
    expect(fetcher.requests).toEqual([CERT_URL]);
  });

  it.each([
    ["SubscriptionConfirmation", "1"],
    ["SubscriptionConfirmation", "2"],
    ["UnsubscribeConfirmation", "1"],
    ["UnsubscribeConfirmation", "2"],
  ] as const)("accepts a %s with SignatureVersion %s", async (Type, v) => {
    const { verifier } = setup();
    expect(await outcome(verifier.verify(signed({ ...confirmation, Type }, v)))).toBeUndefined();
  });

  it("accepts a signature made over the literal AWS string, independent of snsStringToSign", async () => {
    const message = { ...confirmation, Type: "UnsubscribeConfirmation" };
    const literal =
      `Message\n${message.Message}\nMessageId\n${message.MessageId}\n` +
      `SubscribeURL\n${message.SubscribeURL}\nTimestamp\n${message.Timestamp}\n` +
      `Token\n${message.Token}\nTopicArn\n${TOPIC}\nType\nUnsubscribeConfirmation\n`;
    const { verifier } = setup();
    const sent = {
      ...message,
      SignatureVersion: "2",
      Signature: signSnsString(literal, pki.leafKeyPem, "2"),
      SigningCertURL: CERT_URL,
    };
    expect(await outcome(verifier.verify(sent))).toBeUndefined();
  });

  it("tells a Subject that was signed from one that was not", async () => {
    const bare = without(notification, "Subject");
    const { verifier } = setup();
    expect(await outcome(verifier.verify(signed(bare)))).toBeUndefined();
    const stripped = without(signed(notification), "Subject");
    expect(await outcome(verifier.verify(stripped))).toBe("unauthenticated:SIGNATURE_INVALID");
    const added = { ...signed(bare), Subject: "injected" };
    expect(await outcome(verifier.verify(added))).toBe("unauthenticated:SIGNATURE_INVALID");
    const empty = { ...signed(bare), Subject: "" };
    expect(await outcome(verifier.verify(empty))).toBe("unauthenticated:SIGNATURE_INVALID");
  });

  it.each([
    ["Message", { Message: '{"AlarmName":"cpu-high",\n"NewStateValue":"OK"}' }],
    ["Subject", { Subject: 'OK: "cpu-high" in US East (N. Virginia) — é' }],
    ["TopicArn", { TopicArn: "arn:aws:sns:us-east-1:123456789012:other-topic" }],
    ["Timestamp", { Timestamp: "2026-11-27T12:00:01.000Z" }],
    ["MessageId", { MessageId: "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf325" }],
    ["SignatureVersion (1 signed, 2 claimed)", { SignatureVersion: "2" }],
  ])("refuses a tampered %s", async (_, change) => {
    const { verifier } = setup();
    const message = { ...signed(notification, "1"), ...change };
    expect(await outcome(verifier.verify(message))).toBe("unauthenticated:SIGNATURE_INVALID");
  });

  it("refuses a signature taken from another message", async () => {
    const { verifier } = setup();
    const message = { ...signed(notification), Signature: signed(confirmation).Signature };
    expect(await outcome(verifier.verify(message))).toBe("unauthenticated:SIGNATURE_INVALID");
  });

  it("refuses a tampered SubscribeURL in a confirmation", async () => {
    const { verifier } = setup();
    const message = {
      ...signed(confirmation, "2"),
      SubscribeURL: "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=other",
    };
    expect(await outcome(verifier.verify(message))).toBe("unauthenticated:SIGNATURE_INVALID");
  });

  it("refuses a message signed by a key other than the certificate's", async () => {
    const { verifier } = setup({ certPem: pki.otherCertPem });
    expect(await outcome(verifier.verify(signed(notification, "2")))).toBe(
      "unauthenticated:SIGNATURE_INVALID",
    );
  });

  it.each([
    "http://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem",
    "https://sns.us-east-1.amazonaws.com.evil.com/SimpleNotificationService-test.pem",
    "https://evilsns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem",
    "https://sns.us-east-1.amazonaws.com@evil.com/SimpleNotificationService-test.pem",
    "https://user@sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem",
    "https://sns.us-east-1.amazonaws.com:443/SimpleNotificationService-test.pem",
    "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.txt",
    "https://evil.example/SimpleNotificationService-test.pem",
  ])("never fetches from a refused SigningCertURL: %s", async (url) => {
    const { verifier, fetcher } = setup();
    fetcher.serve(url, pki.leafCertPem);
    const message = signed(notification, "2", pki.leafKeyPem, url);
    expect(await outcome(verifier.verify(message))).toBe("unauthenticated:SNS_CERT_URL_REJECTED");
    expect(fetcher.requests).toEqual([]);
  });

  it.each(["3", "0", "", " 1", "1.0", "toString"])(
    "refuses SignatureVersion %j without fetching",
    async (SignatureVersion) => {
      const { verifier, fetcher } = setup();
      const message = { ...signed(notification), SignatureVersion };
      expect(await outcome(verifier.verify(message))).toBe(
        "unauthenticated:SIGNATURE_VERSION_UNSUPPORTED",
      );
      expect(fetcher.requests).toEqual([]);
    },
  );

  it.each(["Signature", "SignatureVersion", "SigningCertURL"] as const)(
    "refuses a message without %s without fetching",
    async (field) => {
      const { verifier, fetcher } = setup();
      const message = without(signed(notification), field);
      expect(await outcome(verifier.verify(message))).toBe("unauthenticated:SIGNATURE_MISSING");
      expect(fetcher.requests).toEqual([]);
    },
  );

  it.each(["not base64!", "abc", ""])("refuses Signature %j without fetching", async (bad) => {
    const { verifier, fetcher } = setup();
    const message = { ...signed(notification), Signature: bad };
    expect(await outcome(verifier.verify(message))).toBe("unauthenticated:SIGNATURE_INVALID");
    expect(fetcher.requests).toEqual([]);
  });

  it("refuses an unknown Type or a missing signed field as invalid input, without fetching", async () => {
    const { verifier, fetcher } = setup();
    expect(await outcome(verifier.verify({ ...signed(notification), Type: "Other" }))).toBe(
      "invalid:Type",
    );
    const noToken = without(signed(confirmation), "Token");
    expect(await outcome(verifier.verify(noToken))).toBe("invalid:Token");
    expect(fetcher.requests).toEqual([]);
  });

  it("refuses an expired certificate and one not yet valid", async () => {
    const shortLived = setup({ certPem: pki.shortLivedCertPem });
    expect(await outcome(shortLived.verifier.verify(signed(notification)))).toBeUndefined();
    shortLived.clock.ms = issuedAt + 10 * DAY_MS;
    expect(await outcome(shortLived.verifier.verify(signed(notification)))).toBe(
      "unauthenticated:SNS_CERT_INVALID",
    );

    const early = setup();
    early.clock.ms = issuedAt - 10 * DAY_MS;
    expect(await outcome(early.verifier.verify(signed(notification)))).toBe(
      "unauthenticated:SNS_CERT_INVALID",
    );
  });

  it("refuses a certificate that does not parse", async () => {
    const { verifier } = setup({ certPem: "-----BEGIN CERTIFICATE-----\nnope\n" });
    expect(await outcome(verifier.verify(signed(notification)))).toBe(
      "unauthenticated:SNS_CERT_INVALID",
    );
  });

  it("reports a failed fetch as unavailable and does not cache it", async () => {
    const { verifier, fetcher } = setup();
    const message = signed(notification, "1", pki.leafKeyPem, OTHER_CERT_URL);
    expect(await outcome(verifier.verify(message))).toBe("unavailable:SNS_CERT_UNAVAILABLE");
    fetcher.serve(OTHER_CERT_URL, pki.leafCertPem);
    expect(await outcome(verifier.verify(message))).toBeUndefined();
    expect(fetcher.requests).toEqual([OTHER_CERT_URL, OTHER_CERT_URL]);
  });

  describe("certificate cache", () => {
    it("fetches a certificate once for many verifications", async () => {
      const { verifier, fetcher } = setup();
      await verifier.verify(signed(notification, "1"));
      await verifier.verify(signed(confirmation, "2"));
      expect(await outcome(verifier.verify({ ...signed(notification), Message: "x" }))).toBe(
        "unauthenticated:SIGNATURE_INVALID",
      );
      expect(fetcher.requests).toEqual([CERT_URL]);
    });

    it("fetches again once an entry is older than cacheTtlMs", async () => {
      const { verifier, fetcher, clock } = setup({ cacheTtlMs: 60_000 });
      await verifier.verify(signed(notification));
      clock.ms += 59_999;
      await verifier.verify(signed(notification));
      expect(fetcher.requests).toHaveLength(1);
      clock.ms += 1;
      await verifier.verify(signed(notification));
      expect(fetcher.requests).toHaveLength(2);
    });

    it("defaults to one hour", async () => {
      const { verifier, fetcher, clock } = setup();
      await verifier.verify(signed(notification));
      clock.ms += HOUR_MS - 1;
      await verifier.verify(signed(notification));
      expect(fetcher.requests).toHaveLength(1);
      clock.ms += 1;
      await verifier.verify(signed(notification));
      expect(fetcher.requests).toHaveLength(2);
    });

    it("never keeps a certificate past its own expiry", async () => {
      const { verifier, fetcher, clock } = setup({
        certPem: pki.shortLivedCertPem,
        cacheTtlMs: 30 * DAY_MS,
      });
      const validTo = Date.parse(new X509Certificate(pki.shortLivedCertPem).validTo);
      await verifier.verify(signed(notification));
      clock.ms = validTo - 1000;
      await verifier.verify(signed(notification));
      expect(fetcher.requests).toHaveLength(1);
      clock.ms = validTo + 1000;
      expect(await outcome(verifier.verify(signed(notification)))).toBe(
        "unauthenticated:SNS_CERT_INVALID",
      );
      expect(fetcher.requests).toHaveLength(2);
    });

    it("shares one fetch among concurrent verifications of one URL", async () => {
      const { verifier, fetcher } = setup();
      fetcher.pause();
      const pending = [
        verifier.verify(signed(notification, "1")),
        verifier.verify(signed(notification, "2")),
        verifier.verify(signed(confirmation, "1")),
        outcome(verifier.verify({ ...signed(notification), Subject: "forged" })),
      ];
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(fetcher.requests).toEqual([CERT_URL]);
      fetcher.release();
      const results = await Promise.all(pending);
      expect(results).toEqual([
        undefined,
        undefined,
        undefined,
        "unauthenticated:SIGNATURE_INVALID",
      ]);
      expect(fetcher.requests).toEqual([CERT_URL]);
    });

    it("shares a failed fetch among concurrent verifications, then forgets it", async () => {
      const { verifier, fetcher } = setup();
      const message = signed(notification, "1", pki.leafKeyPem, OTHER_CERT_URL);
      fetcher.pause();
      const pending = [outcome(verifier.verify(message)), outcome(verifier.verify(message))];
      fetcher.release();
      expect(await Promise.all(pending)).toEqual([
        "unavailable:SNS_CERT_UNAVAILABLE",
        "unavailable:SNS_CERT_UNAVAILABLE",
      ]);
      expect(fetcher.requests).toEqual([OTHER_CERT_URL]);
    });

    it("holds at most maxCacheEntries certificates, dropping the least recently used", async () => {
      const { verifier, fetcher } = setup({ maxCacheEntries: 2 });
      fetcher.serve(OTHER_CERT_URL, pki.leafCertPem).serve(THIRD_CERT_URL, pki.leafCertPem);
      const at = (url: string) => verifier.verify(signed(notification, "2", pki.leafKeyPem, url));
      await at(CERT_URL);
      await at(OTHER_CERT_URL);
      await at(CERT_URL);
      await at(THIRD_CERT_URL);
      await at(CERT_URL);
      expect(fetcher.requests).toEqual([CERT_URL, OTHER_CERT_URL, THIRD_CERT_URL]);
      await at(OTHER_CERT_URL);
      expect(fetcher.requests).toEqual([CERT_URL, OTHER_CERT_URL, THIRD_CERT_URL, OTHER_CERT_URL]);
    });
  });

  it.each([
    [{ cacheTtlMs: 0 }, /cacheTtlMs/],
    [{ cacheTtlMs: Number.NaN }, /cacheTtlMs/],
    [{ maxCacheEntries: 0 }, /maxCacheEntries/],
    [{ maxCacheEntries: 1.5 }, /maxCacheEntries/],
  ])("refuses the option %j", (options, message) => {
    expect(() => setup(options)).toThrow(message);
  });
});

describe("parseSnsEnvelope", () => {
  const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

  it("keeps the envelope fields and ignores others such as MessageAttributes", () => {
    const sent = signed(notification);
    const parsed = parseSnsEnvelope(
      encode({ ...sent, MessageAttributes: { team: { Type: "String", Value: "sre" } } }),
    );
    expect(parsed).toEqual(sent);
    expect(parsed).not.toHaveProperty("MessageAttributes");
  });

  it.each([
    ["a number", encode({ ...notification, MessageId: 7 })],
    ["null", encode({ ...notification, Subject: null })],
    ["an object", encode({ ...notification, Message: { AlarmName: "x" } })],
    ["an array", encode([notification])],
    ["not JSON", new TextEncoder().encode("Type=Notification")],
    ["empty", new Uint8Array()],
  ])("refuses a body with %s", (_, body) => {
    let error: unknown;
    try {
      parseSnsEnvelope(body);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).violations.map((v) => v.field)).toEqual(["body"]);
  });

  it("says which field has the wrong type", () => {
    expect(() => parseSnsEnvelope(encode({ ...notification, MessageId: 7 }))).toThrow(
      "body: MessageId must be a string, got a number",
    );
  });

  it("does not let __proto__ through as a field", () => {
    const parsed = parseSnsEnvelope(
      new TextEncoder().encode('{"__proto__":{"Type":"Notification"},"Message":"m"}'),
    );
    expect(parsed).toEqual({ Message: "m" });
    expect(parsed.Type).toBeUndefined();
  });
});

describe("isAllowedTopic", () => {
  const allowed = [TOPIC, "arn:aws-cn:sns:cn-north-1:123456789012:alarms"];

  it.each([
    [TOPIC, true],
    ["arn:aws-cn:sns:cn-north-1:123456789012:alarms", true],
    ["arn:aws:sns:us-east-1:123456789012:cloudwatch-alarms-2", false],
    ["arn:aws:sns:us-east-1:123456789012:CLOUDWATCH-ALARMS", false],
    ["arn:aws:sns:us-east-1:999999999999:cloudwatch-alarms", false],
    ["", false],
  ])("%s → %s", (arn, expected) => {
    expect(isAllowedTopic(arn, allowed)).toBe(expected);
  });

  it("allows nothing when no topic is configured", () => {
    expect(isAllowedTopic(TOPIC, [])).toBe(false);
  });
});
