import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { IncidentService, IncidentStatus, Severity } from "@runframe/contracts";
import { customSignature, startStack, teamClient, type Stack } from "@runframe/platform/testing";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);

// Fresh routing keys each run: rate-limit windows live in the shared Redis.
const routingKey = (name: string) => `${name}-${randomBytes(24).toString("base64url")}`;
const keys = {
  open: routingKey("open"),
  signed: routingKey("signed"),
  signedSmall: routingKey("signed-small"),
  limited: routingKey("limited"),
  limited2: routingKey("limited2"),
  orgB: routingKey("org-b"),
};
const secret = "whsec-test-signing-secret-1234567890";
const apiKeyA = "org-a-api-key-secret-000000000000000000000000";
const apiKeyB = "org-b-api-key-secret-000000000000000000000000";

const bootstrap = {
  organizations: [
    {
      id: "org-a",
      name: "A",
      apiKeys: [{ id: "key-a", secret: apiKeyA, role: "admin" }],
      services: [
        { id: "SER-00001", name: "Checkout API" },
        { id: "SER-00002", name: "Payments" },
      ],
      integrations: [
        {
          id: "int-open",
          type: "custom",
          name: "Scripts",
          routingKey: keys.open,
          rateLimitPerMinute: 5000,
        },
        {
          id: "int-signed",
          type: "custom",
          name: "Signed",
          routingKey: keys.signed,
          signingSecret: secret,
        },
        {
          id: "int-signed-small",
          type: "custom",
          name: "Signed, 5 a minute",
          routingKey: keys.signedSmall,
          signingSecret: secret,
          rateLimitPerMinute: 5,
        },
        { id: "int-limited", type: "custom", name: "Limited", routingKey: keys.limited },
        { id: "int-limited-2", type: "custom", name: "Limited 2", routingKey: keys.limited2 },
      ],
    },
    {
      id: "org-b",
      name: "B",
      apiKeys: [{ id: "key-b", secret: apiKeyB, role: "admin" }],
      services: [{ id: "SER-00001", name: "B's service" }],
      integrations: [{ id: "int-b", type: "custom", name: "B", routingKey: keys.orgB }],
    },
  ],
};

describe.each([
  { storage: "MongoDB and Redis", embedded: false },
  { storage: "the embedded SQLite store and in-memory limits", embedded: true },
])(
  "custom webhooks end to end on $storage (edge → auth → normalizer-custom → incident)",
  ({ embedded }) => {
    let stack: Stack;
    let teamA: Client<typeof IncidentService>;
    let teamB: Client<typeof IncidentService>;

    beforeAll(async () => {
      stack = await startStack({
        bootstrap,
        replicas: embedded ? {} : { auth: 2, edge: 2 },
        embedded,
      });
      const team = (apiKey: string) => teamClient(IncidentService, stack.incident.url, apiKey);
      teamA = team(apiKeyA);
      teamB = team(apiKeyB);
    });
    afterAll(() => stack?.stop());

    const count = async (client = teamA) =>
      (await client.listIncidents({ pageSize: 100 })).incidents.length;
    const signed = (body: string, timestamp: number, key = secret) =>
      customSignature(body, key, timestamp);
    const now = () => Math.floor(Date.now() / 1000);

    it("creates an incident from the published example payload", async () => {
      const body = JSON.stringify({
        title: "Database connection pool exhaustion",
        service_id: "SER-00002",
        description: "Database connections exhausted. API returning 500 errors.",
        severity: "SEV1",
        dedup_key: "db-pool-prod-001",
        metadata: { environment: "production", region: "us-east-1" },
      });
      const res = await stack.webhook(keys.open, body);
      expect(res.status).toBe(202);
      const answer = (await res.json()) as {
        status: string;
        incidents: { id: string; action: string; dedupKey: string }[];
      };
      expect(answer).toEqual({
        status: "accepted",
        incidents: [
          {
            id: expect.stringMatching(/^INC-\d{5}$/),
            action: "created",
            dedupKey: "db-pool-prod-001",
          },
        ],
      });
      expect(res.headers.get("x-ratelimit-limit")).toBe("5000");
      expect(res.headers.get("x-ratelimit-remaining")).toMatch(/^\d+$/);
      const { incident } = await teamA.getIncident({ incidentId: answer.incidents[0]!.id });
      expect(incident).toMatchObject({
        title: "Database connection pool exhaustion",
        severity: Severity.SEV1,
        status: IncidentStatus.NEW,
        serviceId: "SER-00002",
        dedupKey: "db-pool-prod-001",
        occurrenceCount: 1,
        metadata: { environment: "production", region: "us-east-1" },
      });
    });

    describe("signatures", () => {
      it("accepts the public docs' bash example unchanged", async () => {
        const script = `
TIMESTAMP=$(date +%s)
BODY='{"title":"Deploy failed","service_id":"SER-00002","severity":"SEV2"}'
SIGNATURE=$(echo -n "\${TIMESTAMP}.\${BODY}" | openssl dgst -sha256 -hmac "your-signing-secret" | awk '{print $2}')

curl -X POST https://api.runframe.io/webhooks/YOUR_ROUTING_KEY \\
  -H "Content-Type: application/json" \\
  -H "X-Runframe-Signature: sha256=\${SIGNATURE}" \\
  -H "X-Runframe-Timestamp: \${TIMESTAMP}" \\
  -d "\${BODY}"
`
          .replace("your-signing-secret", secret)
          .replace("https://api.runframe.io", stack.edge.url)
          .replace("YOUR_ROUTING_KEY", keys.signed);
        const { stdout } = await run("bash", ["-c", script]);
        expect(JSON.parse(stdout)).toMatchObject({
          status: "accepted",
          incidents: [{ action: "created" }],
        });
      });

      it("accepts the public docs' Python example unchanged", async () => {
        const example = `
import hmac, hashlib, time, json, requests, os

webhook_url = os.environ['RUNFRAME_WEBHOOK_URL']
signing_secret = os.environ['RUNFRAME_SIGNING_SECRET']

payload = {"title": "High memory usage", "service_id": "SER-00001", "severity": "SEV2"}
body = json.dumps(payload)
timestamp = str(int(time.time()))
signature = hmac.new(
    signing_secret.encode(),
    f"{timestamp}.{body}".encode(),
    hashlib.sha256
).hexdigest()

response = requests.post(webhook_url, data=body, headers={
    'Content-Type': 'application/json',
    'X-Runframe-Signature': f'sha256={signature}',
    'X-Runframe-Timestamp': timestamp
})
print(response.status_code, response.text)
`;
        const { stdout } = await run("python3", ["-c", example], {
          env: {
            ...process.env,
            RUNFRAME_WEBHOOK_URL: `${stack.edge.url}/webhooks/${keys.signed}`,
            RUNFRAME_SIGNING_SECRET: secret,
          },
        });
        const [status, ...body] = stdout.trim().split(" ");
        expect(status).toBe("202");
        expect(JSON.parse(body.join(" "))).toMatchObject({ incidents: [{ action: "created" }] });
      });

      const body = JSON.stringify({ title: "Signed alert", service_id: "SER-00001" });
      it.each([
        [
          "a wrong secret",
          () => ({ ts: now(), sig: signed(body, now(), "not-the-secret-at-all!!") }),
          401,
        ],
        ["a timestamp 301 s old", () => ({ ts: now() - 301, sig: signed(body, now() - 301) }), 401],
        ["a timestamp 61 s ahead", () => ({ ts: now() + 61, sig: signed(body, now() + 61) }), 401],
        [
          "a signature over differently formatted JSON",
          () => ({ ts: now(), sig: signed(JSON.stringify(JSON.parse(body), null, 2), now()) }),
          401,
        ],
      ])("refuses %s and stores nothing", async (_, make, status) => {
        const before = await count();
        const { ts, sig } = make();
        const res = await stack.webhook(keys.signed, body, {
          "x-runframe-signature": `sha256=${sig}`,
          "x-runframe-timestamp": String(ts),
        });
        expect(res.status).toBe(status);
        const text = await res.text();
        expect(text).not.toContain(secret);
        expect(await count()).toBe(before);
      });

      it("refuses missing headers and a non-numeric timestamp, storing nothing", async () => {
        const before = await count();
        const missing = await stack.webhook(keys.signed, body);
        expect(missing.status).toBe(401);
        expect(await missing.json()).toMatchObject({ error: { code: "signature_missing" } });
        const onlySignature = await stack.webhook(keys.signed, body, {
          "x-runframe-signature": `sha256=${signed(body, now())}`,
        });
        expect(onlySignature.status).toBe(401);
        const nonNumeric = await stack.webhook(keys.signed, body, {
          "x-runframe-signature": `sha256=${signed(body, now())}`,
          "x-runframe-timestamp": "yesterday",
        });
        expect(nonNumeric.status).toBe(401);
        expect(await nonNumeric.json()).toMatchObject({ error: { code: "timestamp_invalid" } });
        expect(await count()).toBe(before);
      });

      it("accepts a timestamp 50 s ahead", async () => {
        const ts = now() + 50;
        const res = await stack.webhook(keys.signed, body, {
          "x-runframe-signature": `sha256=${signed(body, ts)}`,
          "x-runframe-timestamp": String(ts),
        });
        expect(res.status).toBe(202);
      });

      it("treats a re-signed retry with the same Idempotency-Key as the same delivery", async () => {
        const payload = JSON.stringify({
          title: "Retried",
          service_id: "SER-00001",
          dedup_key: `idem-${embedded}`,
        });
        const idempotencyKey = `deploy-${randomBytes(8).toString("hex")}`;
        const attempt = (ts: number) =>
          stack.webhook(keys.signed, payload, {
            "x-runframe-signature": `sha256=${signed(payload, ts)}`,
            "x-runframe-timestamp": String(ts),
            "idempotency-key": idempotencyKey,
          });
        const first = await attempt(now() - 5);
        const retry = await attempt(now());
        const firstBody = (await first.json()) as { incidents: { id: string }[] };
        expect(await retry.json()).toEqual(firstBody);
        const { incident } = await teamA.getIncident({ incidentId: firstBody.incidents[0]!.id });
        expect(incident?.occurrenceCount).toBe(1);
      });

      it("answers a captured signed request replayed with new Idempotency-Keys as the same delivery (red-team finding 2)", async () => {
        const payload = JSON.stringify({ title: "Captured", service_id: "SER-00001" });
        const ts = now();
        const headers = {
          "x-runframe-signature": `sha256=${signed(payload, ts)}`,
          "x-runframe-timestamp": String(ts),
        };
        const first = await stack.webhook(keys.signed, payload, headers);
        expect(first.status).toBe(202);
        const firstBody = await first.json();
        const before = await count();
        for (const idempotencyKey of ["a", "b", "c"]) {
          const replay = await stack.webhook(keys.signed, payload, {
            ...headers,
            "idempotency-key": idempotencyKey,
          });
          expect(replay.status).toBe(202);
          expect(await replay.json()).toEqual(firstBody);
        }
        expect(await count()).toBe(before);
      });

      it("never lets replays of one signed request starve fresh deliveries (red-team finding 3)", async () => {
        const payload = JSON.stringify({ title: "Replayed", service_id: "SER-00001" });
        const ts = now();
        const headers = {
          "x-runframe-signature": `sha256=${signed(payload, ts)}`,
          "x-runframe-timestamp": String(ts),
        };
        const first = await stack.webhook(keys.signedSmall, payload, headers);
        expect(first.status).toBe(202);
        const firstBody = await first.json();
        const before = await count();
        const replays: number[] = [];
        for (let i = 0; i < 20; i++) {
          const replay = await stack.webhook(keys.signedSmall, payload, headers);
          replays.push(replay.status);
          if (replay.status === 202) {
            expect(await replay.json()).toEqual(firstBody);
          }
        }
        // Repeats have an allowance of their own (the key's limit), then 429.
        expect(replays.filter((status) => status === 202)).toHaveLength(5);
        expect(replays.filter((status) => status === 429)).toHaveLength(15);
        expect(await count()).toBe(before);
        // The key's quota is untouched by the replays: four fresh deliveries
        // still fit in its 5 a minute, and the sixth delivery is refused.
        for (let i = 0; i < 5; i++) {
          const fresh = JSON.stringify({ title: `Fresh ${i}`, service_id: "SER-00001" });
          const res = await stack.webhook(keys.signedSmall, fresh, {
            "x-runframe-signature": `sha256=${signed(fresh, ts)}`,
            "x-runframe-timestamp": String(ts),
          });
          expect(res.status).toBe(i < 4 ? 202 : 429);
        }
      });

      it("answers a byte-identical redelivery with the original answer and one occurrence", async () => {
        const payload = JSON.stringify({
          title: "Redelivered",
          service_id: "SER-00001",
          dedup_key: "redelivery-1",
        });
        const ts = now();
        const headers = {
          "x-runframe-signature": `sha256=${signed(payload, ts)}`,
          "x-runframe-timestamp": String(ts),
        };
        const first = await stack.webhook(keys.signed, payload, headers);
        const second = await stack.webhook(keys.signed, payload, headers);
        expect(first.status).toBe(202);
        expect(second.status).toBe(202);
        const firstBody = (await first.json()) as { incidents: { id: string }[] };
        expect(await second.json()).toEqual(firstBody);
        const { incident } = await teamA.getIncident({ incidentId: firstBody.incidents[0]!.id });
        expect(incident?.occurrenceCount).toBe(1);
      });
    });

    describe("deduplication", () => {
      it("turns 200 concurrent requests with one new dedup_key into one incident with 200 occurrences", async () => {
        const body = JSON.stringify({
          title: "Burst",
          service_id: "SER-00001",
          dedup_key: "burst-200",
        });
        const responses = await Promise.all(
          Array.from({ length: 200 }, () => stack.webhook(keys.open, body)),
        );
        expect(responses.map((r) => r.status)).toEqual(Array(200).fill(202));
        const answers = (await Promise.all(responses.map((r) => r.json()))) as {
          incidents: { id: string; action: string }[];
        }[];
        const ids = new Set(answers.map((a) => a.incidents[0]!.id));
        expect(ids.size).toBe(1);
        expect(answers.filter((a) => a.incidents[0]!.action === "created")).toHaveLength(1);
        const { incident } = await teamA.getIncident({ incidentId: [...ids][0]! });
        expect(incident?.occurrenceCount).toBe(200);
      });

      it("opens a new incident for a trigger after the previous one was resolved", async () => {
        const trigger = JSON.stringify({
          title: "Flapping",
          service_id: "SER-00001",
          dedup_key: "flap",
        });
        const resolve = JSON.stringify({
          title: "Flapping",
          service_id: "SER-00001",
          dedup_key: "flap",
          status: "resolved",
        });
        const first = (
          (await (await stack.webhook(keys.open, trigger)).json()) as {
            incidents: { id: string }[];
          }
        ).incidents[0]!;
        const resolved = await (await stack.webhook(keys.open, resolve)).json();
        expect(resolved).toMatchObject({ incidents: [{ id: first.id, action: "resolved" }] });
        const again = await (await stack.webhook(keys.open, trigger)).json();
        expect(again).toMatchObject({ incidents: [{ action: "created" }] });
        expect((again as { incidents: { id: string }[] }).incidents[0]!.id).not.toBe(first.id);
      });

      it("answers a resolve with no open incident as ignored and creates nothing", async () => {
        const before = await count();
        const res = await stack.webhook(
          keys.open,
          JSON.stringify({
            title: "Never opened",
            service_id: "SER-00001",
            dedup_key: "ghost",
            status: "resolved",
          }),
        );
        expect(res.status).toBe(202);
        expect(await res.json()).toEqual({
          status: "accepted",
          incidents: [{ id: null, action: "ignored", dedupKey: "ghost" }],
        });
        expect(await count()).toBe(before);
      });

      it("creates a new incident for every request without a dedup_key", async () => {
        const body = JSON.stringify({ title: "No key", service_id: "SER-00001" });
        const a = (await (await stack.webhook(keys.open, body)).json()) as {
          incidents: { id: string }[];
        };
        const b = (await (await stack.webhook(keys.open, body)).json()) as {
          incidents: { id: string }[];
        };
        expect(a.incidents[0]!.id).not.toBe(b.incidents[0]!.id);
      });
    });

    describe("bad input", () => {
      it.each([
        ["title", "missing", { service_id: "SER-00001" }],
        ["severity", "not SEV0-SEV4", { title: "t", service_id: "SER-00001", severity: "P1" }],
        ["title", "501 characters", { title: "x".repeat(501), service_id: "SER-00001" }],
        ["status", "unknown", { title: "t", service_id: "SER-00001", status: "closed" }],
        ["metadata.n", "not a string", { title: "t", service_id: "SER-00001", metadata: { n: 1 } }],
        ["service_id", "51 characters", { title: "t", service_id: "S".repeat(51) }],
      ])(
        "refuses %s (%s) with 400 naming the field and stores nothing",
        async (field, _, payload) => {
          const before = await count();
          const res = await stack.webhook(keys.open, JSON.stringify(payload));
          expect(res.status).toBe(400);
          const body = (await res.json()) as { error: { fields: { field: string }[] } };
          expect(body.error.fields.map((f) => f.field)).toContain(field);
          expect(await count()).toBe(before);
        },
      );

      it.each([
        ["invalid JSON", "{not json"],
        ["a JSON array", "[1,2]"],
        ["deep nesting", "[".repeat(100_000)],
      ])("refuses %s with 400 on body", async (_, body) => {
        const res = await stack.webhook(keys.open, body);
        expect(res.status).toBe(400);
        expect(await res.json()).toMatchObject({ error: { fields: [{ field: "body" }] } });
      });

      it("refuses invalid UTF-8 with 400", async () => {
        const res = await stack.webhook(
          keys.open,
          new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
        );
        expect(res.status).toBe(400);
      });

      it("refuses an unknown service_id and stores nothing", async () => {
        const before = await count();
        const res = await stack.webhook(
          keys.open,
          JSON.stringify({ title: "t", service_id: "SER-99999" }),
        );
        expect(res.status).toBe(400);
        expect(await res.json()).toMatchObject({ error: { fields: [{ field: "service_id" }] } });
        expect(await count()).toBe(before);
      });

      it("refuses an unknown routing key with 401", async () => {
        const res = await stack.webhook(
          "unknown-routing-key-00000000000000000000000",
          JSON.stringify({ title: "t", service_id: "SER-00001" }),
        );
        expect(res.status).toBe(401);
        expect(await res.json()).toMatchObject({ error: { code: "routing_key_invalid" } });
      });
    });

    describe("rate limit", () => {
      const burst = async (routingKey: string, edges: readonly { url: string }[]) => {
        const body = JSON.stringify({ title: "Burst", service_id: "SER-00001", dedup_key: "rate" });
        const responses = await Promise.all(
          Array.from({ length: 150 }, (_, i) =>
            fetch(`${edges[i % edges.length]!.url}/webhooks/${routingKey}`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body,
            }),
          ),
        );
        await Promise.all(responses.map((r) => r.arrayBuffer()));
        return responses;
      };

      const expectExactly100 = (responses: Response[]) => {
        expect(responses.filter((r) => r.status === 202)).toHaveLength(100);
        const refused = responses.filter((r) => r.status === 429);
        expect(refused).toHaveLength(50);
        for (const r of refused) {
          expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
          expect(r.headers.get("x-ratelimit-limit")).toBe("100");
          expect(r.headers.get("x-ratelimit-remaining")).toBe("0");
        }
      };

      it("accepts exactly 100 of a burst of 150 and answers the rest 429 with Retry-After", async () => {
        expectExactly100(await burst(keys.limited, [stack.edge]));
      });

      // In-memory limits are per process by design; only Redis is shared.
      if (!embedded) {
        it("holds exactly with two auth processes sharing Redis", async () => {
          expect(stack.auth).toHaveLength(2);
          expectExactly100(await burst(keys.limited2, stack.edges));
        });
      }
    });

    describe("organizations and credentials", () => {
      it("keeps organization A's incidents out of organization B's reach", async () => {
        const res = await stack.webhook(
          keys.orgB,
          JSON.stringify({ title: "B only", service_id: "SER-00001" }),
        );
        const id = ((await res.json()) as { incidents: { id: string }[] }).incidents[0]!.id;
        expect((await teamB.getIncident({ incidentId: id })).incident?.title).toBe("B only");
        const aList = await teamA.listIncidents({ pageSize: 100 });
        expect(aList.incidents.every((i) => i.organizationId === "org-a")).toBe(true);
        const bList = await teamB.listIncidents({ pageSize: 100 });
        expect(bList.incidents.map((i) => i.title)).toEqual(["B only"]);
      });

      it("refuses team calls without a valid API key", async () => {
        const anonymous = createClient(
          IncidentService,
          createGrpcTransport({ baseUrl: stack.incident.url }),
        );
        await expect(anonymous.listIncidents({})).rejects.toSatisfy(
          (e) => ConnectError.from(e).code === Code.Unauthenticated,
        );
        const wrong = createClient(
          IncidentService,
          createGrpcTransport({
            baseUrl: stack.incident.url,
            interceptors: [
              (next) => (req) => (req.header.set("authorization", "Bearer not-a-key"), next(req)),
            ],
          }),
        );
        await expect(wrong.listIncidents({})).rejects.toSatisfy(
          (e) => ConnectError.from(e).code === Code.Unauthenticated,
        );
      });

      it("refuses internal RPCs to callers without the service credential, even with an API key", async () => {
        await expect(
          teamA.ingest({ organizationId: "org-b", integrationId: "int-b", alerts: [] }),
        ).rejects.toSatisfy((e) => ConnectError.from(e).code === Code.Unauthenticated);
      });
    });
  },
);
