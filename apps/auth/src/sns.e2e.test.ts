/**
 * CloudWatch through SNS, end to end: auth fetches signing certificates over
 * HTTPS from a loopback host that plays AWS, with our own test CA trusted
 * through NODE_EXTRA_CA_CERTS, and with RUNFRAME_SNS_CERT_URL_PATTERN
 * pointing at that host — the only switch that makes auth accept another
 * host, and it logs a warning when set.
 */
import { snsStringToSign, type SnsMessage } from "@runframe/auth-domain";
import {
  createSnsTestPki,
  issueTlsCertificate,
  removeSnsTestPki,
  signSnsString,
  type SnsTestPki,
} from "@runframe/auth-domain/testing";
import { repoRoot, startStack, type Stack } from "@runframe/platform/testing";
import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const topic = "arn:aws:sns:us-east-1:123456789012:runframe-alarms";
const routingKey = `cw-${randomBytes(24).toString("base64url")}`;
const certUrl = "https://127.0.0.1/SimpleNotificationService-test.pem";

interface Answer {
  incidents: { id: string | null; action: string }[];
  message?: string;
}

describe("CloudWatch alarms through SNS, verified against a loopback certificate host", () => {
  let pki: SnsTestPki;
  let awsHost: Server;
  const requests: string[] = [];
  let stack: Stack;

  beforeAll(async () => {
    pki = createSnsTestPki();
    const tls = issueTlsCertificate(pki);
    awsHost = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
      requests.push(req.url ?? "");
      if (req.url === "/SimpleNotificationService-test.pem") {
        res.writeHead(200, { "content-type": "application/x-pem-file" }).end(pki.leafCertPem);
      } else if (req.url?.startsWith("/?Action=ConfirmSubscription&TopicArn=failing")) {
        res.writeHead(500).end();
      } else if (req.url?.startsWith("/?Action=ConfirmSubscription&TopicArn=moved")) {
        res.writeHead(302, { location: "https://127.0.0.2/elsewhere" }).end();
      } else if (req.url?.startsWith("/?Action=ConfirmSubscription")) {
        res.writeHead(200, { "content-type": "text/xml" }).end("<ConfirmSubscriptionResponse/>");
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => awsHost.listen(443, "127.0.0.1", resolve));
    stack = await startStack({
      normalizers: ["cloudwatch"],
      env: {
        RUNFRAME_SNS_CERT_URL_PATTERN: String.raw`^https://127\.0\.0\.1/[A-Za-z0-9_-]+\.pem$`,
        NODE_EXTRA_CA_CERTS: join(pki.dir, "ca.pem"),
      },
      bootstrap: {
        organizations: [
          {
            id: "org-aws",
            name: "AWS",
            services: [{ id: "SER-00001", name: "Checkout" }],
            integrations: [
              {
                id: "int-cw",
                type: "cloudwatch",
                name: "CloudWatch",
                routingKey,
                defaultServiceId: "SER-00001",
                snsTopicArns: [topic],
              },
            ],
          },
        ],
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await new Promise((resolve) => awsHost?.close(resolve));
    removeSnsTestPki(pki);
  });

  /** A CloudWatch fixture's SNS envelope, re-addressed and signed with our test key. */
  function message(
    fixture: string,
    changes: Partial<SnsMessage> = {},
    version: "1" | "2" = "2",
  ): SnsMessage {
    const path = join(repoRoot, "libs/normalizers/cloudwatch/src/fixtures", `${fixture}.json`);
    const { body } = JSON.parse(readFileSync(path, "utf8")) as { body: SnsMessage };
    const unsigned: SnsMessage = {
      ...body,
      MessageId: randomUUID(),
      TopicArn: topic,
      SigningCertURL: certUrl,
      SignatureVersion: version,
      ...changes,
    };
    return {
      ...unsigned,
      Signature: signSnsString(snsStringToSign(unsigned), pki.leafKeyPem, version),
    };
  }

  async function post(msg: SnsMessage): Promise<{ status: number; answer: Answer }> {
    const res = await stack.webhook(routingKey, JSON.stringify(msg), {
      "content-type": "text/plain; charset=UTF-8",
      "x-amz-sns-message-type": msg.Type ?? "",
    });
    return { status: res.status, answer: (await res.json()) as Answer };
  }

  it("opens an incident on ALARM (SignatureVersion 2) and resolves it on OK (SignatureVersion 1)", async () => {
    const alarm = await post(message("metric-alarm"));
    expect(alarm.status).toBe(202);
    expect(alarm.answer.incidents[0]?.action).toBe("created");
    const ok = await post(message("metric-alarm-ok", {}, "1"));
    expect(ok.answer.incidents[0]).toMatchObject({
      action: "resolved",
      id: alarm.answer.incidents[0]?.id,
    });
  });

  it("answers an SNS redelivery of the same MessageId with the first answer", async () => {
    const msg = message("insufficient-data");
    const first = await post(msg);
    const second = await post(msg);
    expect(second.answer).toEqual(first.answer);
    expect(first.answer.incidents[0]?.action).toBe("created");
  });

  it("confirms a subscription by visiting SubscribeURL only after verification", async () => {
    const token = randomBytes(16).toString("hex");
    const subscribe = message("subscription-confirmation", {
      Token: token,
      SubscribeURL: `https://127.0.0.1/?Action=ConfirmSubscription&TopicArn=${topic}&Token=${token}`,
    });
    const forged = { ...subscribe, Message: `${subscribe.Message ?? ""} (tampered)` };
    expect((await post(forged)).status).toBe(401);
    expect(requests.some((r) => r.includes(token))).toBe(false);

    const { status, answer } = await post(subscribe);
    expect(status).toBe(200);
    expect(answer.message).toBe("SNS subscription confirmed");
    expect(requests.filter((r) => r.includes(token))).toHaveLength(1);
  });

  it("records an unsubscribe confirmation without visiting anything", async () => {
    const token = randomBytes(16).toString("hex");
    const unsubscribe = message("subscription-confirmation", {
      Type: "UnsubscribeConfirmation",
      Token: token,
      SubscribeURL: `https://127.0.0.1/?Action=ConfirmSubscription&TopicArn=${topic}&Token=${token}`,
    });
    const { status } = await post(unsubscribe);
    expect(status).toBe(200);
    expect(requests.some((r) => r.includes(token))).toBe(false);
    // The log line may arrive a moment after the answer: poll for it.
    await expect
      .poll(() =>
        stack.auth[0]!.logs.some(
          (l) =>
            l["msg"] === "delivery handled by auth" &&
            l["outcome"] === "SNS unsubscribe confirmation recorded",
        ),
      )
      .toBe(true);
  });

  it.each([
    [
      "an http certificate URL",
      { SigningCertURL: "http://127.0.0.1/SimpleNotificationService-test.pem" },
    ],
    [
      "a look-alike host",
      { SigningCertURL: "https://127.0.0.1.evil.example/SimpleNotificationService-test.pem" },
    ],
    ["a non-.pem path", { SigningCertURL: "https://127.0.0.1/SimpleNotificationService-test.txt" }],
  ])("refuses %s without fetching anything", async (_, changes) => {
    const before = requests.length;
    const { status } = await post(message("metric-alarm", changes));
    expect(status).toBe(401);
    expect(requests.length).toBe(before);
  });

  it("refuses an unknown SignatureVersion, a missing signature and a tampered Message", async () => {
    const signed = message("metric-alarm");
    expect((await post({ ...signed, SignatureVersion: "3" })).status).toBe(401);
    const { Signature, ...unsigned } = signed;
    expect(Signature).not.toBe("");
    expect((await post(unsigned)).status).toBe(401);
    expect(
      (await post({ ...signed, Message: signed.Message!.replace("ALARM", "OK") })).status,
    ).toBe(401);
  });

  it("refuses a topic that is not on the integration's allow-list, even when AWS signed it", async () => {
    const { status, answer } = await post(
      message("metric-alarm", { TopicArn: "arn:aws:sns:us-east-1:999999999999:other" }),
    );
    expect(status).toBe(403);
    expect(answer).toMatchObject({ error: { code: "topic_not_allowed" } });
  });

  it("warns at start that the certificate URL pattern is not the default", () => {
    expect(
      stack.auth[0]!.logs.some((l) => String(l["msg"]).includes("RUNFRAME_SNS_CERT_URL_PATTERN")),
    ).toBe(true);
  });

  // Last: it uses up the failure allowance the tests above rely on.
  it("answers 503 with Retry-After when AWS refuses or redirects the confirmation, and counts it as a failure", async () => {
    for (const how of ["failing", "moved"]) {
      const token = randomBytes(16).toString("hex");
      const { status, answer } = await post(
        message("subscription-confirmation", {
          Token: token,
          SubscribeURL: `https://127.0.0.1/?Action=ConfirmSubscription&TopicArn=${how}&Token=${token}`,
        }),
      );
      expect(status, how).toBe(503);
      expect(JSON.stringify(answer)).not.toMatch(/unexpected|answered|redirect/);
      expect(requests.filter((r) => r.includes(token))).toHaveLength(1);
    }
    // Failed confirmations use up the key's failure allowance (30 a minute),
    // so nobody can make auth visit URLs without limit.
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const token = randomBytes(16).toString("hex");
      const res = await post(
        message("subscription-confirmation", {
          Token: token,
          SubscribeURL: `https://127.0.0.1/?Action=ConfirmSubscription&TopicArn=failing&Token=${token}`,
        }),
      );
      statuses.push(res.status);
    }
    expect(statuses).toContain(429);
    expect(statuses.filter((s) => s !== 503 && s !== 429)).toEqual([]);
  });
});
