/**
 * `runframe`: the operator CLI for the team API (integrations, API keys,
 * services, incidents, a live tail) and for sending test alerts through the
 * real webhook path. Reference: docs/api/cli.md.
 */
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  Code,
  ConnectError,
  createClient,
  type Client,
  type Interceptor,
} from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import type { DescService } from "@bufbuild/protobuf";
import {
  ApiKeySchema,
  ApiKeyService,
  DeliveryOutcome,
  DeliverySchema,
  DeliveryService,
  GetDeliveryStatsResponseSchema,
  IngestAction,
  ReplayDeliveryResponseSchema,
  type Delivery,
  IncidentEventSchema,
  IncidentEventType,
  IncidentSchema,
  IncidentService,
  IncidentStatus,
  IntegrationOptionsSchema,
  IntegrationSchema,
  IntegrationService,
  IntegrationType,
  ServiceSchema,
  Severity,
  WatchIncidentsResponseSchema,
  type Incident,
  type Integration,
  type WatchIncidentsResponse,
} from "@runframe/contracts";
import { PROVIDERS } from "@runframe/providers";
import { Command, CommanderError, Option } from "commander";
import { fromJson, toJson, type JsonValue } from "@bufbuild/protobuf";
import {
  EXIT,
  HttpError,
  JSON_OPTIONS,
  NotAvailableError,
  Output,
  codeName,
  enumName,
  when,
} from "./output.js";
import { sample, SAMPLE_TYPES, type SampleType } from "./samples.js";
import { resolveSettings, SETTINGS, UsageError, type Settings } from "./settings.js";

interface Context {
  readonly settings: Settings;
  readonly out: Output;
  client<S extends DescService>(service: S, baseUrl: string): Client<S>;
}

type GlobalOptions = Record<string, unknown> & { json?: boolean };

const program = new Command("runframe")
  .description(
    "Operate Runframe Ingest: integrations, API keys, services, incidents, a live tail and test alerts.\nSettings: flags, then RUNFRAME_* environment variables, then the config file, then the npm start defaults.",
  )
  .option("--api-key <key>", "organization API key (env RUNFRAME_API_KEY)")
  .option("--auth-url <url>", "auth service (env RUNFRAME_AUTH_URL; default http://127.0.0.1:7001)")
  .option(
    "--incident-url <url>",
    "incident service (env RUNFRAME_INCIDENT_URL; default http://127.0.0.1:7002)",
  )
  .option("--edge-url <url>", "webhook edge (env RUNFRAME_EDGE_URL; default http://127.0.0.1:3000)")
  .option(
    "--config <path>",
    "config file (env RUNFRAME_CONFIG; default ~/.config/runframe/config.json)",
  )
  .option("--json", "print JSON (proto3 JSON names) instead of tables")
  .showHelpAfterError()
  .exitOverride();

/** Wraps an action: settings, clients and output in, one error line and an exit code out. */
function action<A extends unknown[]>(fn: (ctx: Context, ...args: A) => Promise<number | void>) {
  return async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    const flags = command.optsWithGlobals<GlobalOptions>();
    const out = new Output(flags.json === true);
    let code: number;
    try {
      const { settings } = resolveSettings(flags, process.env);
      const ctx: Context = {
        settings,
        out,
        client(service, baseUrl) {
          if (settings.apiKey === "") {
            throw new UsageError(
              "no API key: pass --api-key, set RUNFRAME_API_KEY or apiKey in the config file",
            );
          }
          const bearer: Interceptor = (next) => (req) => {
            req.header.set("authorization", `Bearer ${settings.apiKey}`);
            return next(req);
          };
          return createClient(
            service,
            createConnectTransport({ baseUrl, httpVersion: "2", interceptors: [bearer] }),
          );
        },
      };
      code = (await fn(ctx, ...(args.slice(0, -1) as A))) ?? EXIT.ok;
    } catch (error) {
      code = out.fail(error);
    }
    // Open HTTP/2 sessions would keep the process alive: leave now.
    process.exit(code);
  };
}

const incidents = (ctx: Context) => ctx.client(IncidentService, ctx.settings.incidentUrl);
const integrationsClient = (ctx: Context) => ctx.client(IntegrationService, ctx.settings.authUrl);
const apiKeysClient = (ctx: Context) => ctx.client(ApiKeyService, ctx.settings.authUrl);

/** Pages through a listing until `limit` items (0: all). */
async function paged<T>(
  limit: number,
  page: (pageSize: number, pageToken: string) => Promise<{ items: T[]; next: string }>,
): Promise<T[]> {
  const items: T[] = [];
  let token = "";
  do {
    const want = limit > 0 ? Math.min(100, limit - items.length) : 100;
    const { items: got, next } = await page(want, token);
    items.push(...got);
    token = next;
  } while (token !== "" && (limit === 0 || items.length < limit));
  return items;
}

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) {
      throw new UsageError(`${name} must be a whole number, got "${value}"`);
    }
    return n;
  };
}

// ---------------------------------------------------------------- integrations

/** Integration types by the provider registry's names (`custom`, `pagerduty`, …). */
const TYPE_NAMES: Record<string, IntegrationType> = Object.fromEntries(
  PROVIDERS.map((p) => [p.name, p.type]),
);

function integrationRows(i: Integration): [string, string][] {
  return [
    ["id", i.id],
    ["name", i.name],
    ["type", enumName(IntegrationType, i.type)],
    ["enabled", String(i.enabled)],
    ["default service", i.defaultServiceId || "-"],
    ["rate limit", `${i.rateLimitPerMinute}/min`],
    ["signed", String(i.signingSecretConfigured)],
    ["routing key", `…${i.routingKeyHint}`],
    ["options", i.options ? JSON.stringify(toJson(IntegrationOptionsSchema, i.options)) : "{}"],
    ...(i.snsTopicArns.length > 0
      ? [["sns topics", i.snsTopicArns.join(", ")] as [string, string]]
      : []),
    ["created", when(i.createTime)],
    ["updated", when(i.updateTime)],
  ];
}

function showRoutingKey(ctx: Context, integration: Integration, routingKey: string): void {
  if (ctx.out.json) {
    ctx.out.line(
      JSON.stringify({
        integration: toJson(IntegrationSchema, integration, JSON_OPTIONS),
        routingKey,
      }),
    );
    return;
  }
  ctx.out.one(IntegrationSchema, integration, integrationRows(integration));
  ctx.out.line(`routing key      ${routingKey}`);
  ctx.out.line(`webhook URL      ${ctx.settings.edgeUrl}/webhooks/${routingKey}`);
  ctx.out.note("The routing key is shown only now; Runframe keeps only its SHA-256.");
}

const integrations = program.command("integrations").description("manage integrations (auth)");
integrations
  .command("create")
  .description("create an integration and print its routing key (shown once)")
  .addOption(
    new Option("--type <type>", "integration type")
      .choices(Object.keys(TYPE_NAMES))
      .makeOptionMandatory(),
  )
  .requiredOption("--name <name>", "a human label")
  .option("--default-service <id>", "service for payloads that name none")
  .option("--rate-limit <n>", "webhooks per minute (default 100)", positiveInt("--rate-limit"))
  .option("--signing-secret <secret>", "require signatures (custom and sentry)")
  .option("--sns-topic-arn <arn...>", "accepted SNS topics (cloudwatch, required)")
  .action(
    action(
      async (
        ctx,
        o: {
          type: string;
          name: string;
          defaultService?: string;
          rateLimit?: number;
          signingSecret?: string;
          snsTopicArn?: string[];
        },
      ) => {
        const res = await integrationsClient(ctx).createIntegration({
          type: TYPE_NAMES[o.type]!,
          name: o.name,
          defaultServiceId: o.defaultService ?? "",
          ...(o.rateLimit !== undefined && { rateLimitPerMinute: o.rateLimit }),
          signingSecret: o.signingSecret ?? "",
          snsTopicArns: o.snsTopicArn ?? [],
        });
        showRoutingKey(ctx, res.integration!, res.routingKey);
      },
    ),
  );
integrations
  .command("list")
  .description("list the organization's integrations, oldest first")
  .option("--limit <n>", "at most this many (0: all)", positiveInt("--limit"), 0)
  .action(
    action(async (ctx, o: { limit: number }) => {
      const client = integrationsClient(ctx);
      const items = await paged(o.limit, async (pageSize, pageToken) => {
        const res = await client.listIntegrations({ pageSize, pageToken });
        return { items: res.integrations, next: res.nextPageToken };
      });
      ctx.out.many(IntegrationSchema, items, [
        ["id", (i) => i.id],
        ["type", (i) => enumName(IntegrationType, i.type)],
        ["enabled", (i) => (i.enabled ? "yes" : "no")],
        ["service", (i) => i.defaultServiceId || "-"],
        ["signed", (i) => (i.signingSecretConfigured ? "yes" : "no")],
        ["key", (i) => `…${i.routingKeyHint}`],
        ["name", (i) => i.name],
      ]);
    }),
  );
integrations
  .command("get <id>")
  .description("show one integration")
  .action(
    action(async (ctx, id: string) => {
      const { integration } = await integrationsClient(ctx).getIntegration({ integrationId: id });
      ctx.out.one(IntegrationSchema, integration!, integrationRows(integration!));
    }),
  );
integrations
  .command("rotate-key <id>")
  .description("replace the routing key (the old one stops working) and print the new one")
  .action(
    action(async (ctx, id: string) => {
      const res = await integrationsClient(ctx).rotateRoutingKey({ integrationId: id });
      showRoutingKey(ctx, res.integration!, res.routingKey);
    }),
  );
integrations
  .command("set-signing-secret <id>")
  .description("set, rotate or clear the signing secret (custom and sentry)")
  .option("--secret <secret>", "the new secret, 16 to 256 characters")
  .option("--clear", "stop requiring signatures")
  .option(
    "--grace-period <seconds>",
    "how long the previous secret keeps verifying",
    positiveInt("--grace-period"),
    0,
  )
  .action(
    action(
      async (ctx, id: string, o: { secret?: string; clear?: boolean; gracePeriod: number }) => {
        if ((o.secret === undefined) === (o.clear !== true)) {
          throw new UsageError("give either --secret <secret> or --clear");
        }
        const { integration } = await integrationsClient(ctx).setSigningSecret({
          integrationId: id,
          signingSecret: o.secret ?? "",
          gracePeriodSeconds: o.gracePeriod,
        });
        ctx.out.one(IntegrationSchema, integration!, integrationRows(integration!));
      },
    ),
  );
integrations
  .command("update <id>")
  .description("change an integration's name, default service, rate limit or options (admin)")
  .option("--name <name>", "a human label")
  .option("--default-service <id>", "service for payloads that name none ('' for none)")
  .option("--rate-limit <n>", "webhooks per minute", positiveInt("--rate-limit"))
  .option(
    "--options <json>",
    'every option at once, as proto JSON, e.g. \'{"heartbeat":{"intervalSeconds":60}}\' (docs/api/integration-options.md)',
  )
  .action(
    action(
      async (
        ctx,
        id: string,
        o: { name?: string; defaultService?: string; rateLimit?: number; options?: string },
      ) => {
        const paths = [
          ...(o.name !== undefined ? ["name"] : []),
          ...(o.defaultService !== undefined ? ["default_service_id"] : []),
          ...(o.rateLimit !== undefined ? ["rate_limit_per_minute"] : []),
          ...(o.options !== undefined ? ["options"] : []),
        ];
        if (paths.length === 0) {
          throw new UsageError(
            "give at least one of --name, --default-service, --rate-limit, --options",
          );
        }
        const { integration } = await integrationsClient(ctx).updateIntegration({
          integration: {
            id,
            name: o.name ?? "",
            defaultServiceId: o.defaultService ?? "",
            rateLimitPerMinute: o.rateLimit ?? 0,
            ...(o.options !== undefined && { options: optionsOf(o.options) }),
          },
          updateMask: { paths },
        });
        ctx.out.one(IntegrationSchema, integration!, integrationRows(integration!));
      },
    ),
  );

/** `--options` as IntegrationOptions; a usage error naming the flag when it is not. */
function optionsOf(json: string) {
  try {
    return fromJson(IntegrationOptionsSchema, JSON.parse(json) as JsonValue);
  } catch (error) {
    throw new UsageError(`--options: ${error instanceof Error ? error.message : String(error)}`);
  }
}

integrations
  .command("disable <id>")
  .description("stop accepting webhooks for the integration (its incidents are kept)")
  .action(
    action(async (ctx, id: string) => {
      const { integration } = await integrationsClient(ctx).disableIntegration({
        integrationId: id,
      });
      ctx.out.one(IntegrationSchema, integration!, integrationRows(integration!));
    }),
  );

// -------------------------------------------------------------------- api keys

const apiKeys = program
  .command("api-keys")
  .description("manage the organization's API keys (auth)");
apiKeys
  .command("create")
  .description("create an API key and print its secret (shown once)")
  .requiredOption("--name <name>", "a human label")
  .addOption(
    new Option("--role <role>", "what it may call")
      .choices(["admin", "viewer"])
      .makeOptionMandatory(),
  )
  .action(
    action(async (ctx, o: { name: string; role: string }) => {
      const { apiKey, secret } = await apiKeysClient(ctx).createApiKey(o);
      if (ctx.out.json) {
        ctx.out.line(
          JSON.stringify({ apiKey: toJson(ApiKeySchema, apiKey!, JSON_OPTIONS), secret }),
        );
        return;
      }
      ctx.out.table(
        ["id", "role", "name", "secret"],
        [[apiKey!.id, apiKey!.role, apiKey!.name, secret]],
      );
      ctx.out.note("The secret is shown only now; Runframe keeps only its SHA-256.");
    }),
  );
apiKeys
  .command("list")
  .description("list the organization's API keys, revoked ones included")
  .option("--limit <n>", "at most this many (0: all)", positiveInt("--limit"), 0)
  .action(
    action(async (ctx, o: { limit: number }) => {
      const client = apiKeysClient(ctx);
      const items = await paged(o.limit, async (pageSize, pageToken) => {
        const res = await client.listApiKeys({ pageSize, pageToken });
        return { items: res.apiKeys, next: res.nextPageToken };
      });
      ctx.out.many(ApiKeySchema, items, [
        ["id", (k) => k.id],
        ["role", (k) => k.role],
        ["secret", (k) => (k.secretHint ? `…${k.secretHint}` : "-")],
        ["created", (k) => when(k.createTime)],
        ["revoked", (k) => when(k.revokeTime)],
        ["name", (k) => k.name],
      ]);
    }),
  );
apiKeys
  .command("revoke <id>")
  .description("revoke an API key (refused everywhere within 10 s; never the last admin key)")
  .action(
    action(async (ctx, id: string) => {
      const { apiKey } = await apiKeysClient(ctx).revokeApiKey({ apiKeyId: id });
      ctx.out.one(ApiKeySchema, apiKey!, [
        ["id", apiKey!.id],
        ["role", apiKey!.role],
        ["revoked", when(apiKey!.revokeTime)],
        ["revoked by", apiKey!.revokedBy],
      ]);
    }),
  );

// -------------------------------------------------------------------- services

const services = program.command("services").description("manage the service catalog (incident)");
const serviceRows = (s: { id: string; name: string }): [string, string][] => [
  ["id", s.id],
  ["name", s.name],
];
services
  .command("create <id>")
  .description("add a service (the id is what payloads name in service_id)")
  .requiredOption("--name <name>", "a human label")
  .action(
    action(async (ctx, id: string, o: { name: string }) => {
      const { service } = await incidents(ctx).createService({ service: { id, name: o.name } });
      ctx.out.one(ServiceSchema, service!, serviceRows(service!));
    }),
  );
services
  .command("list")
  .description("list the catalog, by id")
  .option("--limit <n>", "at most this many (0: all)", positiveInt("--limit"), 0)
  .action(
    action(async (ctx, o: { limit: number }) => {
      const client = incidents(ctx);
      const items = await paged(o.limit, async (pageSize, pageToken) => {
        const res = await client.listServices({ pageSize, pageToken });
        return { items: res.services, next: res.nextPageToken };
      });
      ctx.out.many(ServiceSchema, items, [
        ["id", (s) => s.id],
        ["name", (s) => s.name],
      ]);
    }),
  );
services
  .command("get <id>")
  .description("show one service")
  .action(
    action(async (ctx, id: string) => {
      const { service } = await incidents(ctx).getService({ serviceId: id });
      ctx.out.one(ServiceSchema, service!, serviceRows(service!));
    }),
  );
services
  .command("update <id>")
  .description("rename a service")
  .requiredOption("--name <name>", "the new name")
  .action(
    action(async (ctx, id: string, o: { name: string }) => {
      const { service } = await incidents(ctx).updateService({ service: { id, name: o.name } });
      ctx.out.one(ServiceSchema, service!, serviceRows(service!));
    }),
  );
services
  .command("delete <id>")
  .description("delete a service no open incident or enabled integration uses")
  .action(
    action(async (ctx, id: string) => {
      await incidents(ctx).deleteService({ serviceId: id });
      if (ctx.out.json) {
        ctx.out.line(JSON.stringify({ deleted: id }));
      } else {
        ctx.out.line(`deleted service ${id}`);
      }
    }),
  );

// ------------------------------------------------------------------- incidents

const STATUS_NAMES: Record<string, IncidentStatus> = {
  new: IncidentStatus.NEW,
  investigating: IncidentStatus.INVESTIGATING,
  resolved: IncidentStatus.RESOLVED,
};

const statusName = (s: IncidentStatus) => enumName(IncidentStatus, s);
const severityName = (s: Severity) => enumName(Severity, s);

function incidentRows(i: Incident): [string, string][] {
  return [
    ["id", i.id],
    ["title", i.title],
    ["status", statusName(i.status)],
    ["severity", severityName(i.severity)],
    ["service", i.serviceId],
    ["integration", i.integrationId],
    ["dedup key", i.dedupKey || "-"],
    ["occurrences", String(i.occurrenceCount)],
    ["created", when(i.createTime)],
    ["updated", when(i.updateTime)],
    ["last seen", when(i.lastSeenTime)],
    ["acknowledged", i.acknowledgeTime ? `${when(i.acknowledgeTime)} by ${i.acknowledgedBy}` : "-"],
    ["resolved", when(i.resolveTime)],
    ...(i.description ? [["description", i.description] as [string, string]] : []),
    ...(i.sourceUrl ? [["source", i.sourceUrl] as [string, string]] : []),
  ];
}

const incidentCommands = program
  .command("incidents")
  .description("list and handle incidents (incident)");
incidentCommands
  .command("list")
  .description("list incidents, newest first")
  .addOption(new Option("--status <status>", "only this status").choices(Object.keys(STATUS_NAMES)))
  .option("--service <id>", "only this service")
  .option("--integration <id>", "only this integration")
  .option("--limit <n>", "at most this many (0: all)", positiveInt("--limit"), 50)
  .action(
    action(
      async (
        ctx,
        o: { status?: string; service?: string; integration?: string; limit: number },
      ) => {
        const client = incidents(ctx);
        const items = await paged(o.limit, async (pageSize, pageToken) => {
          const res = await client.listIncidents({
            pageSize,
            pageToken,
            ...(o.status && { status: STATUS_NAMES[o.status] }),
            serviceId: o.service ?? "",
            integrationId: o.integration ?? "",
          });
          return { items: res.incidents, next: res.nextPageToken };
        });
        ctx.out.many(IncidentSchema, items, [
          ["id", (i) => i.id],
          ["status", (i) => statusName(i.status)],
          ["sev", (i) => severityName(i.severity)],
          ["service", (i) => i.serviceId],
          ["count", (i) => String(i.occurrenceCount)],
          ["ack", (i) => (i.acknowledgeTime ? "yes" : "no")],
          ["updated", (i) => when(i.updateTime)],
          ["title", (i) => i.title],
        ]);
      },
    ),
  );
incidentCommands
  .command("get <id>")
  .description("show one incident")
  .action(
    action(async (ctx, id: string) => {
      const { incident } = await incidents(ctx).getIncident({ incidentId: id });
      ctx.out.one(IncidentSchema, incident!, incidentRows(incident!));
    }),
  );
incidentCommands
  .command("ack <id>")
  .description("acknowledge an open incident")
  .action(
    action(async (ctx, id: string) => {
      const { incident } = await incidents(ctx).acknowledgeIncident({ incidentId: id });
      ctx.out.one(IncidentSchema, incident!, incidentRows(incident!));
    }),
  );
incidentCommands
  .command("resolve <id>")
  .description("resolve an incident")
  .option("--note <text>", "recorded on the timeline")
  .action(
    action(async (ctx, id: string, o: { note?: string }) => {
      const { incident } = await incidents(ctx).resolveIncident({
        incidentId: id,
        note: o.note ?? "",
      });
      ctx.out.one(IncidentSchema, incident!, incidentRows(incident!));
    }),
  );
incidentCommands
  .command("events <id>")
  .description("show an incident's timeline, oldest first")
  .action(
    action(async (ctx, id: string) => {
      const client = incidents(ctx);
      const items = await paged(0, async (pageSize, pageToken) => {
        const res = await client.listIncidentEvents({ incidentId: id, pageSize, pageToken });
        return { items: res.events, next: res.nextPageToken };
      });
      ctx.out.many(IncidentEventSchema, items, [
        ["#", (e) => e.id],
        ["time", (e) => when(e.createTime)],
        ["type", (e) => enumName(IncidentEventType, e.type)],
        ["actor", (e) => e.actor],
        ["summary", (e) => e.summary],
      ]);
    }),
  );

// ------------------------------------------------------------------------ tail

/** `10m`, `2h`, `30s`, `1d` → milliseconds. */
function duration(value: string): number {
  const match = /^(\d+)(s|m|h|d)$/.exec(value);
  if (!match) {
    throw new UsageError(`--since must look like 30s, 10m, 2h or 1d, got "${value}"`);
  }
  return Number(match[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as "s"];
}

const RETRYABLE = new Set([
  Code.Unavailable,
  Code.DeadlineExceeded,
  Code.Internal,
  Code.Unknown,
  Code.Aborted,
  Code.Canceled,
]);

program
  .command("tail")
  .description("follow incident changes live (WatchIncidents), reconnecting from the last cursor")
  .option("--since <duration>", "first show incidents changed this long ago (30s, 10m, 2h, 1d)")
  .option("--cursor <cursor>", "resume after a message (a cursor printed by --json or at exit)")
  .option("--count <n>", "exit after this many changes", positiveInt("--count"))
  .action(
    action(async (ctx, o: { since?: string; cursor?: string; count?: number }) => {
      const client = incidents(ctx);
      let cursor = o.cursor ?? "";
      let startTime =
        o.since === undefined
          ? undefined
          : timestampFromDate(new Date(Date.now() - duration(o.since)));
      const revisions = new Map<string, number>();
      let shown = 0;
      let backoff = 1_000;
      process.once("SIGINT", () => {
        if (cursor !== "") {
          ctx.out.note(`stopped; resume with: runframe tail --cursor ${cursor}`);
        }
        process.exit(EXIT.ok);
      });
      for (;;) {
        try {
          for await (const message of client.watchIncidents({
            cursor,
            ...(startTime && { startTime }),
          })) {
            if (cursor === "" || backoff > 1_000) {
              ctx.out.note("watching incident changes (Ctrl-C to stop)…");
            }
            backoff = 1_000;
            cursor = message.cursor;
            startTime = undefined;
            if (
              message.incident === undefined ||
              (revisions.get(message.incident.id) ?? 0) >= message.revision
            ) {
              continue;
            }
            revisions.set(message.incident.id, message.revision);
            printChange(ctx, message);
            if (o.count !== undefined && ++shown >= o.count) {
              return;
            }
          }
        } catch (error) {
          const err = ConnectError.from(error);
          if (!RETRYABLE.has(err.code)) {
            throw err;
          }
          ctx.out.note(
            `connection lost (${codeName(err.code)}: ${err.rawMessage}); reconnecting in ${backoff / 1000} s…`,
          );
        }
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 15_000);
      }
    }),
  );

function printChange(ctx: Context, m: WatchIncidentsResponse): void {
  if (ctx.out.json) {
    ctx.out.line(JSON.stringify(toJson(WatchIncidentsResponseSchema, m, JSON_OPTIONS)));
    return;
  }
  const i = m.incident!;
  const event = m.latestEvent;
  ctx.out.line(
    [
      when(i.updateTime),
      i.id,
      (event ? enumName(IncidentEventType, event.type) : "changed").padEnd(12),
      severityName(i.severity),
      statusName(i.status).padEnd(13),
      i.serviceId,
      `×${i.occurrenceCount}`,
      i.title,
      event ? `(${event.actor})` : "",
    ]
      .join("  ")
      .trimEnd(),
  );
}

// ------------------------------------------------------------------- send-test

program
  .command("send-test")
  .description(
    "send a realistic sample alert through the real webhook path and show what deduplication did",
  )
  .requiredOption(
    "--routing-key <key>",
    "the integration's routing key (env RUNFRAME_ROUTING_KEY)",
    process.env["RUNFRAME_ROUTING_KEY"],
  )
  .addOption(
    new Option("--type <type>", "payload to send (else the type of --integration)").choices([
      ...SAMPLE_TYPES,
    ]),
  )
  .option("--integration <id>", "look the type up from this integration (needs an API key)")
  .option(
    "--signing-secret <secret>",
    "sign the request (custom and sentry integrations that require it)",
  )
  .option(
    "--dedup-key <key>",
    "the alert's dedup key (sending it again updates the incident)",
    "runframe-cli-test",
  )
  .option("--service <id>", "route to this service (custom, datadog, prometheus)")
  .option("--resolve", "send the resolve instead of the trigger")
  .option(
    "--dry-run",
    "only show what the webhook would do (the normalized alert and, per alert, create, update, resolve or ignore): nothing is stored and the key's quota is not used",
  )
  .action(
    action(
      async (
        ctx,
        o: {
          routingKey: string;
          type?: SampleType;
          integration?: string;
          signingSecret?: string;
          dedupKey: string;
          service?: string;
          resolve?: boolean;
          dryRun?: boolean;
        },
      ) => {
        let type = o.type;
        if (type === undefined) {
          if (o.integration === undefined) {
            throw new UsageError("give --type, or --integration to look the type up");
          }
          const { integration } = await integrationsClient(ctx).getIntegration({
            integrationId: o.integration,
          });
          type = enumName(IntegrationType, integration!.type) as SampleType;
        }
        let request;
        try {
          request = sample(type, {
            dedupKey: o.dedupKey,
            resolve: o.resolve === true,
            serviceId: o.service,
            signingSecret: o.signingSecret,
            now: new Date(),
          });
        } catch (error) {
          throw new NotAvailableError((error as Error).message);
        }
        ctx.out.note(
          `${o.dryRun ? "dry-running" : "sending"} a ${type} ${o.resolve ? "resolve" : "trigger"} to ${ctx.settings.edgeUrl}/webhooks/…${o.routingKey.slice(-4)}`,
        );
        let res: Response;
        try {
          res = await fetch(
            `${ctx.settings.edgeUrl}/webhooks/${encodeURIComponent(o.routingKey)}${o.dryRun ? "?dry_run=true" : ""}`,
            {
              method: "POST",
              headers: request.headers,
              body: request.body,
              signal: AbortSignal.timeout(30_000),
            },
          );
        } catch (error) {
          throw new ConnectError(
            `cannot reach the edge at ${ctx.settings.edgeUrl}: ${String((error as Error).cause ?? error)}`,
            Code.Unavailable,
          );
        }
        const text = await res.text();
        let body: {
          incidents?: {
            id: string | null;
            action: string;
            dedupKey: string | null;
            createdByAlert?: number;
          }[];
          alerts?: { action: string | null; title: string; severity: string | null }[];
          error?: {
            code?: string;
            message?: string;
            fields?: { field: string; description: string }[];
          };
        } = {};
        try {
          body = JSON.parse(text) as typeof body;
        } catch {
          // Not JSON (a proxy's page): reported by status below.
        }
        if (!res.ok) {
          throw new HttpError(
            res.status,
            `http_${res.status}`,
            `${body.error?.code ?? res.statusText}: ${body.error?.message ?? text.slice(0, 200)}`,
            body.error?.fields ?? [],
          );
        }
        if (ctx.out.json) {
          ctx.out.line(JSON.stringify({ ...body, httpStatus: res.status }));
          return;
        }
        ctx.out.line(o.dryRun ? "dry run: nothing was stored" : `${res.status} ${res.statusText}`);
        const results = body.incidents ?? [];
        if (results.length === 0) {
          ctx.out.line("no incident: the webhook was handled without one");
        } else if (o.dryRun) {
          ctx.out.table(
            ["alert", "severity", "title", "would", "incident", "dedup key"],
            results.map((r, i) => {
              const alert = body.alerts?.[i];
              return [
                `${i} ${alert?.action ?? "-"}`,
                alert?.severity ?? "-",
                alert?.title ?? "-",
                r.action.replace(/^would_/, ""),
                r.id ?? (r.createdByAlert === undefined ? "-" : `new (alert ${r.createdByAlert})`),
                r.dedupKey ?? "-",
              ];
            }),
          );
        } else {
          ctx.out.table(
            ["incident", "action", "dedup key"],
            results.map((r) => [r.id || "-", r.action, r.dedupKey ?? "-"]),
          );
        }
      },
    ),
  );

// ------------------------------------------------------------------ deliveries

const OUTCOME_NAMES: Record<string, DeliveryOutcome> = {
  accepted: DeliveryOutcome.ACCEPTED,
  throttled: DeliveryOutcome.THROTTLED,
  "refused-payload": DeliveryOutcome.REFUSED_PAYLOAD,
  "refused-signature": DeliveryOutcome.REFUSED_SIGNATURE,
  "too-large": DeliveryOutcome.TOO_LARGE,
  failed: DeliveryOutcome.FAILED,
};
const deliveriesClient = (ctx: Context) => ctx.client(DeliveryService, ctx.settings.incidentUrl);

function deliveryRows(d: Delivery): [string, string][] {
  return [
    ["id", d.id],
    ["integration", `${d.integrationId} (${enumName(IntegrationType, d.integrationType)})`],
    ["received", when(d.receiveTime)],
    ["outcome", enumName(DeliveryOutcome, d.outcome)],
    ["answer", `${d.status} ${d.reason}`.trim()],
    ["request id", d.requestId],
    ["source", d.sourceAddress],
    ["body size", `${d.bodySize} bytes`],
    ...d.fieldErrors.map((f): [string, string] => ["field error", `${f.field}: ${f.description}`]),
    ["replayable", d.replayable ? "yes" : "no"],
    ...(d.replayTime
      ? [
          ["replayed", `${when(d.replayTime)} by ${d.replayedBy}`] as [string, string],
          ...(d.replayError ? [["replay refused", d.replayError] as [string, string]] : []),
        ]
      : []),
    ...d.results.map((r): [string, string] => [
      "result",
      `${enumName(IngestAction, r.action)} ${r.incidentId || "-"} ${r.dedupKey}`.trim(),
    ]),
  ];
}

function timeOption(name: string) {
  return (value: string): Date => {
    const at = new Date(value);
    if (Number.isNaN(at.getTime())) {
      throw new UsageError(`${name} must be a date and time (RFC 3339), got "${value}"`);
    }
    return at;
  };
}

const deliveries = program
  .command("deliveries")
  .description("the delivery inbox: every webhook a known routing key received (incident)");
deliveries
  .command("list")
  .description("list deliveries, newest first")
  .option("--integration <id>", "only this integration's")
  .addOption(
    new Option("--outcome <outcome>", "only deliveries with this outcome").choices(
      Object.keys(OUTCOME_NAMES),
    ),
  )
  .option("--since <time>", "received at or after (RFC 3339)", timeOption("--since"))
  .option("--until <time>", "received before (RFC 3339)", timeOption("--until"))
  .option("--limit <n>", "at most this many (0: all)", positiveInt("--limit"), 50)
  .action(
    action(
      async (
        ctx,
        o: { integration?: string; outcome?: string; since?: Date; until?: Date; limit: number },
      ) => {
        const client = deliveriesClient(ctx);
        const items = await paged(o.limit, async (pageSize, pageToken) => {
          const res = await client.listDeliveries({
            pageSize,
            pageToken,
            integrationId: o.integration ?? "",
            ...(o.outcome !== undefined && { outcome: OUTCOME_NAMES[o.outcome]! }),
            ...(o.since && { startTime: timestampFromDate(o.since) }),
            ...(o.until && { endTime: timestampFromDate(o.until) }),
          });
          return { items: res.deliveries, next: res.nextPageToken };
        });
        ctx.out.many(DeliverySchema, items, [
          ["id", (d) => d.id],
          ["received", (d) => when(d.receiveTime)],
          ["integration", (d) => d.integrationId],
          ["outcome", (d) => enumName(DeliveryOutcome, d.outcome)],
          ["status", (d) => String(d.status)],
          ["reason", (d) => d.reason || "-"],
          ["replay", (d) => (d.replayTime ? d.replayedBy : d.replayable ? "replayable" : "-")],
          ["request id", (d) => d.requestId],
        ]);
      },
    ),
  );
deliveries
  .command("get <id>")
  .description("show one delivery; --body prints its raw body as received")
  .option("--body", "print only the raw body, byte for byte")
  .action(
    action(async (ctx, id: string, o: { body?: boolean }) => {
      const { delivery } = await deliveriesClient(ctx).getDelivery({ deliveryId: id });
      if (o.body === true) {
        process.stdout.write(delivery!.body);
        return;
      }
      ctx.out.one(DeliverySchema, delivery!, [
        ...deliveryRows(delivery!),
        ...delivery!.headers.map((h): [string, string] => ["header", `${h.name}: ${h.value}`]),
      ]);
    }),
  );
deliveries
  .command("replay <id>")
  .description("replay a throttled or failed delivery (applied at most once)")
  .action(
    action(async (ctx, id: string) => {
      const res = await deliveriesClient(ctx).replayDelivery({ deliveryId: id });
      if (ctx.out.json) {
        ctx.out.line(JSON.stringify(toJson(ReplayDeliveryResponseSchema, res, JSON_OPTIONS)));
        return;
      }
      ctx.out.one(DeliverySchema, res.delivery!, deliveryRows(res.delivery!));
      if (!res.replayed) {
        ctx.out.note("It had been applied before: these are the first replay's results.");
      }
    }),
  );
deliveries
  .command("stats")
  .description("count deliveries by outcome over the retention period")
  .option("--integration <id>", "only this integration's")
  .action(
    action(async (ctx, o: { integration?: string }) => {
      const stats = await deliveriesClient(ctx).getDeliveryStats({
        integrationId: o.integration ?? "",
      });
      ctx.out.one(GetDeliveryStatsResponseSchema, stats, [
        ["accepted", String(stats.accepted)],
        ["throttled", String(stats.throttled)],
        ["failed", String(stats.failed)],
        ...Object.entries(stats.refused).map(([reason, n]): [string, string] => [
          `refused ${reason}`,
          String(n),
        ]),
        ["alerts created", String(stats.created)],
        ["alerts updated", String(stats.updated)],
        ["alerts resolved", String(stats.resolved)],
        ["alerts ignored", String(stats.ignored)],
        ["last delivery", when(stats.lastDelivery?.receiveTime)],
        [
          "last error",
          stats.lastError
            ? `${when(stats.lastError.receiveTime)} ${stats.lastError.status} ${stats.lastError.reason}`
            : "-",
        ],
      ]);
    }),
  );

// ---------------------------------------------------------------------- config

program
  .command("config")
  .description("show the settings in effect and where each comes from")
  .action(
    action(async (ctx, ...rest: unknown[]) => {
      void rest;
      const flags = program.opts<GlobalOptions>();
      const { settings, sources, file } = resolveSettings(flags, process.env);
      const shown = (key: keyof Settings) =>
        key === "apiKey"
          ? settings.apiKey
            ? `…${settings.apiKey.slice(-4)}`
            : "(none)"
          : settings[key];
      if (ctx.out.json) {
        ctx.out.line(
          JSON.stringify({
            file,
            settings: Object.fromEntries(
              Object.keys(SETTINGS).map((k) => [
                k,
                { value: shown(k as keyof Settings), source: sources[k as keyof Settings] },
              ]),
            ),
          }),
        );
        return;
      }
      ctx.out.table(
        ["setting", "value", "source"],
        (Object.keys(SETTINGS) as (keyof Settings)[]).map((k) => [k, shown(k), sources[k]]),
      );
      ctx.out.note(`config file: ${file}`);
    }),
  );

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exit(error.exitCode === 0 ? EXIT.ok : EXIT.usage);
  }
  throw error;
}
