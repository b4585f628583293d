/**
 * AWS CloudWatch through SNS, at a glance (the rules in full are on
 * createCloudWatchNormalizer below):
 *
 * - Dedup:   `cloudwatch:<AlarmArn>`, else
 *            `cloudwatch:<AWSAccountId>:<Region>:<AlarmName>`.
 * - Resolve: `NewStateValue` is `OK` (and `INSUFFICIENT_DATA` when the
 *            integration is set to resolve on it).
 * - Example: src/fixtures/metric-alarm.json.
 *
 * CloudWatch alarms reach us through SNS: an envelope whose `Message` is the
 * alarm, serialized a second time. The auth service has already verified the
 * SNS signature and answered subscription confirmations, so only
 * `Notification` envelopes matter here.
 *
 * Native payloads are not under the sender's control: over-long fields are
 * truncated with a marker, and fields CloudWatch omits for some alarm kinds
 * (metric-math alarms have no MetricName, composite alarms no Trigger) fall
 * back to sensible defaults. Only what makes a message unreadable is refused.
 */

import {
  AlertAction,
  InsufficientDataAction,
  Severity,
  type NormalizedAlert,
} from "@runframe/contracts";
import {
  SEVERITY_BY_NAME,
  Violations,
  arrayField,
  field,
  nativeAlert,
  objectField,
  parseTime,
  severityOverride,
  stringField,
  textField,
  type JsonObject,
} from "@runframe/normalizers-kit";
import {
  ValidationError,
  decodeJsonObject,
  isJsonObject,
  type Normalize,
  type NormalizeInput,
} from "@runframe/util";

/** The states a CloudWatch alarm reports in `NewStateValue`. */
export type AlarmState = "ALARM" | "OK" | "INSUFFICIENT_DATA";

/**
 * Severity of each alarm state. CloudWatch has no severity of its own, so:
 *
 * | NewStateValue       | severity | `severity=SEVn` in AlarmDescription |
 * |---------------------|----------|-------------------------------------|
 * | `ALARM`             | SEV2     | overrides                           |
 * | `OK` (a resolve)    | SEV2     | overrides                           |
 * | `INSUFFICIENT_DATA` | SEV4     | ignored                             |
 *
 * SEV2 ("partial degradation") is the honest default for a threshold an
 * owner chose without telling us how bad crossing it is; the description
 * token lets them say. An `OK` carries the alarm's own severity so that a
 * resolve recorded without an open incident still reads right. Missing data
 * is a monitoring gap, not a confirmed failure, so it stays SEV4 whatever the
 * alarm's rating.
 */
export const CLOUDWATCH_SEVERITY: Readonly<Record<AlarmState, Severity>> = {
  ALARM: Severity.SEV2,
  OK: Severity.SEV2,
  INSUFFICIENT_DATA: Severity.SEV4,
};

/**
 * What an `INSUFFICIENT_DATA` state change becomes:
 * - `trigger`: a SEV4 trigger with the alarm's dedup key. It resolves
 *   nothing; while an `ALARM` incident is open it updates that incident
 *   (occurrence +1, and its latest severity becomes SEV4), and the next `OK`
 *   resolves it.
 * - `resolve`: a resolve, as if the alarm had returned to `OK`, for teams
 *   whose metrics stop reporting when the problem is gone.
 * - `ignore`: no alert at all.
 */
export type InsufficientDataMode = "trigger" | "resolve" | "ignore";

/** Options of {@link createCloudWatchNormalizer}. */
export interface CloudWatchNormalizerOptions {
  /**
   * How `INSUFFICIENT_DATA` is handled for integrations that do not say
   * (their `options.cloudwatch_insufficient_data` is unspecified); see
   * {@link InsufficientDataMode}.
   */
  readonly insufficientData: InsufficientDataMode;
}

/** An integration's own `INSUFFICIENT_DATA` mode, if it names one. */
const MODE_OF_OPTION: ReadonlyMap<InsufficientDataAction, InsufficientDataMode> = new Map([
  [InsufficientDataAction.TRIGGER, "trigger"],
  [InsufficientDataAction.RESOLVE, "resolve"],
  [InsufficientDataAction.IGNORE, "ignore"],
]);

const INSUFFICIENT_DATA_MODES: readonly InsufficientDataMode[] = ["trigger", "resolve", "ignore"];

const STATES: ReadonlyMap<string, AlarmState> = new Map(
  (["ALARM", "OK", "INSUFFICIENT_DATA"] as const).map((state) => [state, state]),
);

/**
 * Builds the CloudWatch-via-SNS normalizer. One delivery holds exactly one
 * alarm state change, so the result has at most one alert.
 *
 * Rules, each a deliberate choice:
 * - An envelope whose `Type` is not `Notification` (SubscriptionConfirmation,
 *   UnsubscribeConfirmation) yields no alert: the auth service answers those
 *   before the normalizer is called, and one that slips through must not
 *   open an incident.
 * - `ALARM` triggers, `OK` resolves, `INSUFFICIENT_DATA` follows the
 *   integration's `options.cloudwatch_insufficient_data`, else
 *   `options.insufficientData` (the app's setting).
 * - Dedup key: `cloudwatch:<AlarmArn>`, else
 *   `cloudwatch:<AWSAccountId>:<Region>:<AlarmName>` (a missing part left
 *   empty), else none; a key over 255 characters becomes
 *   `cloudwatch:sha256:<hex of the whole key>`.
 * - Severity: {@link CLOUDWATCH_SEVERITY}; the integration's
 *   `severity_overrides` for the state (`alarm`, `ok`, `insufficient_data`)
 *   win over it, and a token `severity=SEV0`…`SEV4` (any case, e.g.
 *   `severity=sev1`) in `AlarmDescription`, the alarm's own say, over both
 *   (except for `INSUFFICIENT_DATA`, which ignores the token).
 * - Service: a token `service_id=<id>` in `AlarmDescription`, else the
 *   integration's default service.
 * - Title: the SNS `Subject`, else `<state>: "<AlarmName>" in <Region>`,
 *   which is how CloudWatch writes its subjects.
 * - Description: `NewStateReason`, then `AlarmDescription` on its own line.
 * - Source URL: the alarm in the CloudWatch console, when its region code
 *   (from `AlarmArn`, or `Region` when that already is a code; the long
 *   "US East (N. Virginia)" form is not guessed at) and name are known.
 * - Occurred at: `StateChangeTime` (CloudWatch writes `+0000` offsets), else
 *   the envelope's `Timestamp`, else the receive time.
 *
 * @throws RangeError when `options.insufficientData` is not a known mode: a
 * bad setting is a deployment bug to catch at start, not per request.
 */
export function createCloudWatchNormalizer(options: CloudWatchNormalizerOptions): Normalize {
  const fallback = options.insufficientData;
  if (!INSUFFICIENT_DATA_MODES.includes(fallback)) {
    throw new RangeError(
      `insufficientData must be one of ${INSUFFICIENT_DATA_MODES.join(", ")}, got ${String(fallback)}`,
    );
  }
  return (input) => {
    const notification = readNotification(input);
    if (notification === undefined) {
      return [];
    }
    const { envelope, alarm, state } = notification;
    const option = input.integration.options?.cloudwatchInsufficientData;
    const mode = (option === undefined ? undefined : MODE_OF_OPTION.get(option)) ?? fallback;
    if (state === "INSUFFICIENT_DATA" && mode === "ignore") {
      return [];
    }
    const resolves = state === "OK" || (state === "INSUFFICIENT_DATA" && mode === "resolve");
    return [toAlert(input, envelope, alarm, state, resolves)];
  };
}

/**
 * The CloudWatch normalizer with the documented defaults: `INSUFFICIENT_DATA`
 * becomes a SEV4 trigger that resolves nothing.
 *
 * @throws ValidationError naming `Type`, `Message` or `Message.NewStateValue`
 * when the envelope cannot be read, or `body` when it is not a JSON object.
 */
export const normalizeCloudWatch: Normalize = createCloudWatchNormalizer({
  insufficientData: "trigger",
});

interface Notification {
  readonly envelope: JsonObject;
  readonly alarm: JsonObject;
  readonly state: AlarmState;
}

/**
 * Reads the envelope and the alarm inside it, collecting every structural
 * problem at once; undefined for envelope types that carry no alarm.
 */
function readNotification(input: NormalizeInput): Notification | undefined {
  const envelope = decodeJsonObject(input.body);
  const violations = new Violations();
  const type = violations.string(
    "Type",
    field(envelope, "Type"),
    "is required (an SNS envelope; raw message delivery is not supported)",
  );
  if (type !== undefined && type !== "Notification") {
    return undefined;
  }
  const alarm = readMessage(envelope, violations);
  const state =
    alarm === undefined
      ? undefined
      : violations.oneOf(
          "Message.NewStateValue",
          field(alarm, "NewStateValue"),
          STATES,
          "is required",
        );
  violations.throwIfAny();
  if (alarm === undefined || state === undefined) {
    throw violations.error();
  }
  return { envelope, alarm, state };
}

/** `Message` is JSON inside a string; it gets the same checks as a body. */
function readMessage(envelope: JsonObject, violations: Violations): JsonObject | undefined {
  const message = field(envelope, "Message");
  if (message === undefined) {
    violations.add("Message", "is required");
    return undefined;
  }
  if (typeof message !== "string") {
    violations.mustBe("Message", "a JSON string holding the alarm", message);
    return undefined;
  }
  try {
    return decodeJsonObject(new TextEncoder().encode(message));
  } catch (error) {
    if (!(error instanceof ValidationError)) {
      throw error;
    }
    for (const { description } of error.violations) {
      violations.add("Message", description);
    }
    return undefined;
  }
}

function toAlert(
  input: NormalizeInput,
  envelope: JsonObject,
  alarm: JsonObject,
  state: AlarmState,
  resolves: boolean,
): NormalizedAlert {
  const arn = parseAlarmArn(stringField(alarm, "AlarmArn"));
  const alarmName = stringField(alarm, "AlarmName") ?? arn?.name;
  const account = stringField(alarm, "AWSAccountId") ?? arn?.account;
  const regionName = stringField(alarm, "Region");
  const regionCode =
    arn?.region ??
    (regionName !== undefined && REGION_CODE.test(regionName) ? regionName : undefined);
  const alarmDescription = stringField(alarm, "AlarmDescription");

  // CloudWatch's own subjects name the region in its long form, when it has one.
  const where = regionName ?? regionCode;
  const title =
    textField(envelope, "Subject") ??
    `${state}: "${alarmName ?? "unnamed alarm"}"${where === undefined ? "" : ` in ${where}`}`;
  const description = [stringField(alarm, "NewStateReason"), alarmDescription]
    .filter((part) => part !== undefined && part !== "")
    .join("\n");
  const override = severityOverride(input.integration, state);
  const severity =
    state === "INSUFFICIENT_DATA"
      ? (override ?? CLOUDWATCH_SEVERITY.INSUFFICIENT_DATA)
      : (severityToken(alarmDescription) ?? override ?? CLOUDWATCH_SEVERITY[state]);
  const occurTime =
    parseTime(field(alarm, "StateChangeTime"), "rfc3339") ??
    parseTime(field(envelope, "Timestamp"), "rfc3339") ??
    input.receiveTime;

  return nativeAlert({
    action: resolves ? AlertAction.RESOLVE : AlertAction.TRIGGER,
    title,
    description,
    severity,
    serviceId: serviceIdToken(alarmDescription) ?? input.integration.defaultServiceId,
    links: [consoleUrl(regionCode, alarmName)],
    namespace: "cloudwatch",
    naturalKey: alarmKey(stringField(alarm, "AlarmArn"), account, regionName, alarmName),
    metadata: metadata(envelope, alarm, {
      alarmName,
      account,
      region: regionCode ?? regionName,
      newState: state,
    }),
    occurTime,
  });
}

/** The ARN, else account, region and name; undefined when nothing names the alarm. */
function alarmKey(
  alarmArn: string | undefined,
  account: string | undefined,
  region: string | undefined,
  alarmName: string | undefined,
): string | undefined {
  if (alarmArn !== undefined && alarmArn !== "") {
    return alarmArn;
  }
  if (alarmName !== undefined && alarmName !== "") {
    return `${account ?? ""}:${region ?? ""}:${alarmName}`;
  }
  return undefined;
}

/*
 * Description tokens. The key must stand alone (not the tail of
 * `old_service_id=`), and the value stops at whitespace or punctuation that
 * ends a sentence, so "… (service_id=SER-00002)." reads as `SER-00002`.
 */
const SEVERITY_TOKEN = /(?<![\p{L}\p{N}_])severity=(sev[0-4])(?![\p{L}\p{N}_])/iu;
const SERVICE_ID_TOKEN = /(?<![\p{L}\p{N}_])service_id=([\w.:/-]*\w)/iu;

function severityToken(alarmDescription: string | undefined): Severity | undefined {
  const match = alarmDescription === undefined ? null : SEVERITY_TOKEN.exec(alarmDescription);
  return match?.[1] === undefined ? undefined : SEVERITY_BY_NAME.get(match[1].toUpperCase());
}

function serviceIdToken(alarmDescription: string | undefined): string | undefined {
  const match = alarmDescription === undefined ? null : SERVICE_ID_TOKEN.exec(alarmDescription);
  return match?.[1];
}

/** `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`, … */
const REGION_CODE = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;

/** `arn:<partition>:cloudwatch:<region>:<account>:alarm:<name>`; names may hold colons. */
const ALARM_ARN = /^arn:[a-z-]+:cloudwatch:([a-z0-9-]*):(\d*):alarm:(.+)$/s;

interface AlarmArn {
  readonly region: string | undefined;
  readonly account: string | undefined;
  readonly name: string;
}

function parseAlarmArn(arn: string | undefined): AlarmArn | undefined {
  const match = arn === undefined ? null : ALARM_ARN.exec(arn);
  if (match === null) {
    return undefined;
  }
  const [, region = "", account = "", name = ""] = match;
  return {
    region: REGION_CODE.test(region) ? region : undefined,
    account: account === "" ? undefined : account,
    name,
  };
}

function consoleUrl(region: string | undefined, alarmName: string | undefined): string {
  const origin = region === undefined ? undefined : consoleOrigin(region);
  if (origin === undefined || alarmName === undefined || alarmName === "") {
    return "";
  }
  return `${origin}/cloudwatch/home?region=${region}#alarmsV2:alarm/${encodeURIComponent(alarmName)}`;
}

/**
 * The console is per partition; the isolated (ISO) partitions have no public
 * console, so they get no link rather than a broken one.
 */
function consoleOrigin(region: string): string | undefined {
  if (/-iso[a-z]?-/.test(region)) {
    return undefined;
  }
  if (region.startsWith("cn-")) {
    return "https://console.amazonaws.cn";
  }
  if (region.startsWith("us-gov-")) {
    return "https://console.amazonaws-us-gov.com";
  }
  return `https://${region}.console.aws.amazon.com`;
}

type AlarmKind = "metric" | "metric-math" | "composite";

/**
 * Up to ten pairs, chosen so an on-call engineer can tell which alarm, where,
 * and on what, without opening the console. Absent values are left out.
 */
function metadata(
  envelope: JsonObject,
  alarm: JsonObject,
  known: {
    alarmName: string | undefined;
    account: string | undefined;
    region: string | undefined;
    newState: AlarmState;
  },
): [string, string | undefined][] {
  const trigger = objectField(alarm, "Trigger");
  const metrics = trigger === undefined ? undefined : arrayField(trigger, "Metrics");
  let kind: AlarmKind = "composite";
  if (trigger !== undefined) {
    kind =
      stringField(trigger, "MetricName") === undefined && metrics !== undefined
        ? "metric-math"
        : "metric";
  }

  const pairs: [string, string | undefined][] = [
    ["alarm_name", known.alarmName],
    ["account_id", known.account],
    ["region", known.region],
  ];
  if (kind === "metric" && trigger !== undefined) {
    const comparison = stringField(trigger, "ComparisonOperator");
    const threshold = scalar(trigger, "Threshold");
    pairs.push(
      ["namespace", stringField(trigger, "Namespace")],
      ["metric_name", stringField(trigger, "MetricName")],
      ["dimensions", formatDimensions(field(trigger, "Dimensions"))],
      [
        "threshold",
        comparison === undefined || threshold === undefined
          ? undefined
          : `${comparison} ${threshold}`,
      ],
    );
  } else if (kind === "metric-math") {
    const stats = (metrics ?? []).map((m) =>
      isJsonObject(m) ? objectField(m, "MetricStat") : undefined,
    );
    const watched = stats.map((s) => (s === undefined ? undefined : objectField(s, "Metric")));
    pairs.push(
      [
        "namespace",
        distinct(watched.map((m) => (m === undefined ? undefined : stringField(m, "Namespace")))),
      ],
      ["metric_name", "metric-math"],
      [
        "dimensions",
        distinct(
          watched.map((m) =>
            m === undefined ? undefined : formatDimensions(field(m, "Dimensions")),
          ),
        ),
      ],
      ["expression", returnedExpression(metrics ?? [])],
    );
  } else {
    pairs.push(["metric_name", "composite"], ["alarm_rule", stringField(alarm, "AlarmRule")]);
  }
  pairs.push(
    ["old_state", stringField(alarm, "OldStateValue")],
    ["new_state", known.newState],
    ["topic_arn", stringField(envelope, "TopicArn")],
  );

  return pairs;
}

/** The expression whose result the alarm compares: the one with ReturnData. */
function returnedExpression(metrics: readonly unknown[]): string | undefined {
  const queries = metrics.filter(isJsonObject);
  const returned = queries.find(
    (q) => field(q, "ReturnData") === true && stringField(q, "Expression") !== undefined,
  );
  return stringField(
    returned ?? queries.find((q) => stringField(q, "Expression") !== undefined) ?? {},
    "Expression",
  );
}

/**
 * `name=value,…`. SNS writes dimensions as `[{value, name}]`; the API's
 * `[{Name, Value}]` and EventBridge's `{name: value}` are read too, so a
 * relay that reshapes them still gets its dimensions shown.
 */
function formatDimensions(dimensions: unknown): string | undefined {
  let pairs: [string | undefined, string | undefined][] = [];
  if (Array.isArray(dimensions)) {
    pairs = dimensions
      .filter(isJsonObject)
      .map((d) => [
        stringField(d, "name") ?? stringField(d, "Name"),
        scalar(d, "value") ?? scalar(d, "Value"),
      ]);
  } else if (isJsonObject(dimensions)) {
    pairs = Object.keys(dimensions).map((name) => [name, scalar(dimensions, name)]);
  }
  const shown = pairs
    .filter((pair): pair is [string, string] => pair[0] !== undefined && pair[1] !== undefined)
    .map(([name, value]) => `${name}=${value}`);
  return shown.length === 0 ? undefined : shown.join(",");
}

/** Distinct non-empty values in order, comma-separated. */
function distinct(values: readonly (string | undefined)[]): string | undefined {
  const kept = [...new Set(values.filter((v): v is string => v !== undefined && v !== ""))];
  return kept.length === 0 ? undefined : kept.join(",");
}

/** A string, number or boolean field as text (`Threshold` is a number). */
function scalar(obj: JsonObject, name: string): string | undefined {
  const value = field(obj, name);
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean"
    ? String(value)
    : undefined;
}
