import { create, type MessageInitShape } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { ConnectError } from "@connectrpc/connect";
import {
  DeliveryOutcome,
  HeaderSchema,
  IntegrationSchema,
  type DeliveryEnvelopeSchema,
  type DeliveryReportSchema,
  type Header,
  type Integration,
} from "@runframe/contracts";
import { runframeErrorInfo, type Logger } from "@runframe/platform";
import type { IncomingHttpHeaders } from "node:http";
import type { HttpError } from "./http-errors.js";

export type DeliveryReportInit = MessageInitShape<typeof DeliveryReportSchema>;
type EnvelopeInit = MessageInitShape<typeof DeliveryEnvelopeSchema>;

/** What replaces a secret header's value in the inbox. */
export const REDACTED = "[redacted]";

/** Headers whose values the inbox never keeps: credentials, cookies, signatures. */
const SECRET_HEADER = /authorization|cookie|signature|secret|token|api-?key|password/i;

/**
 * Every request header as the inbox keeps it: in order, each value of a
 * repeated header apart, secrets replaced by `[redacted]`.
 */
export function inboxHeaders(incoming: IncomingHttpHeaders): Header[] {
  const headers: Header[] = [];
  for (const [name, value] of Object.entries(incoming)) {
    for (const v of Array.isArray(value) ? value : [value ?? ""]) {
      headers.push(create(HeaderSchema, { name, value: SECRET_HEADER.test(name) ? REDACTED : v }));
    }
  }
  return headers;
}

/** A delivery as the edge received it, before anyone looked at it. */
export interface Received {
  readonly requestId: string;
  readonly sourceAddress: string;
  readonly headers: readonly Header[];
  /** The body, or of a body refused as too large its first 64 KiB. */
  readonly body: Uint8Array;
  readonly bodySize: number;
  readonly receiveTime: Timestamp;
}

/** The envelope of a delivery to `integration`: what the inbox keeps of it. */
export function envelopeOf(
  received: Received,
  integration: Integration,
  verified: boolean,
  deliveryKey = "",
): EnvelopeInit {
  return {
    requestId: received.requestId,
    sourceAddress: received.sourceAddress,
    headers: [...received.headers],
    body: received.body,
    bodySize: BigInt(received.bodySize),
    receiveTime: received.receiveTime,
    integration,
    verified,
    deliveryKey,
  };
}

/** Where in the chain a webhook failed: auth decides trust, the others come after it. */
export type Stage = "auth" | "normalize" | "ingest";

/**
 * What the inbox calls a failed webhook's answer, and whether the delivery
 * was trusted (its routing key and signature verified) when it failed.
 * Throttling comes after verification; so does anything normalize or
 * ingest answered.
 */
export function outcomeOf(
  stage: Stage,
  answer: HttpError,
  error: unknown,
): { outcome: DeliveryOutcome; verified: boolean } {
  const verified = stage !== "auth";
  const { status } = answer;
  if (status === 429) {
    const reason = runframeErrorInfo(ConnectError.from(error))?.reason;
    // Refused attempts have limits of their own: a throttle of bad signatures.
    return reason === "RATE_LIMITED"
      ? { outcome: DeliveryOutcome.THROTTLED, verified: true }
      : { outcome: DeliveryOutcome.REFUSED_SIGNATURE, verified: false };
  }
  if (status === 401 || status === 403) {
    return { outcome: DeliveryOutcome.REFUSED_SIGNATURE, verified: false };
  }
  if (status === 413) {
    return { outcome: DeliveryOutcome.TOO_LARGE, verified };
  }
  if (status >= 500) {
    return { outcome: DeliveryOutcome.FAILED, verified };
  }
  return { outcome: DeliveryOutcome.REFUSED_PAYLOAD, verified };
}

/** The integration a refusal of auth's names (a known routing key), if any. */
export function refusedIntegration(error: unknown): Integration | undefined {
  return ConnectError.from(error).findDetails(IntegrationSchema)[0];
}

/** The report of a delivery the edge did not ingest. */
export function reportOf(
  envelope: EnvelopeInit,
  outcome: DeliveryOutcome,
  answer: HttpError,
): DeliveryReportInit {
  const { error } = answer.body;
  return {
    envelope,
    outcome,
    status: answer.status,
    reason: error.code,
    answer: JSON.stringify(answer.body),
    fieldErrors: [...(error.fields ?? [])],
  };
}

export interface InboxRecorderOptions {
  /** Records reports (DeliveryService.RecordDeliveries). */
  readonly send: (reports: DeliveryReportInit[]) => Promise<void>;
  readonly logger: Logger;
  /** The most body bytes kept in memory while incident cannot be reached; oldest out first. */
  readonly maxPendingBytes?: number;
  /** The first wait before sending again; it doubles up to 30 s. */
  readonly retryMs?: number;
}

/**
 * Sends the edge's reports to the inbox. A throttled delivery is recorded
 * before the sender is answered (`now`); the others on the side (`later`),
 * kept in memory and sent again while incident cannot be reached, so a
 * failure of incident itself is recorded once it is back. What is kept
 * is bounded; past the bound the oldest reports are dropped and logged (the
 * senders of failed deliveries got a 5xx and retry them anyway).
 */
export class InboxRecorder {
  readonly #send: InboxRecorderOptions["send"];
  readonly #logger: Logger;
  readonly #maxBytes: number;
  readonly #firstRetryMs: number;
  #pending: { report: DeliveryReportInit; bytes: number }[] = [];
  #pendingBytes = 0;
  #retryMs: number;
  #timer: NodeJS.Timeout | undefined;
  #flushing = false;

  constructor(options: InboxRecorderOptions) {
    this.#send = options.send;
    this.#logger = options.logger;
    this.#maxBytes = options.maxPendingBytes ?? 32 * 1024 * 1024;
    this.#firstRetryMs = options.retryMs ?? 1_000;
    this.#retryMs = this.#firstRetryMs;
  }

  /** Records a report before answering; rejects when it cannot be stored. */
  now(report: DeliveryReportInit): Promise<void> {
    return this.#send([report]);
  }

  /** Records a report on the side, trying again while incident cannot be reached. */
  later(report: DeliveryReportInit): void {
    this.#send([report]).catch((error: unknown) => {
      this.#logger.warn({ err: error }, "could not record a delivery yet; trying again");
      this.#keep(report);
    });
  }

  /** How many reports wait to be sent again. */
  get pending(): number {
    return this.#pending.length;
  }

  /** Stops trying again (at shutdown); what is still pending is logged as lost. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length > 0) {
      this.#logger.warn({ lost: this.#pending.length }, "delivery records not sent at shutdown");
    }
  }

  #keep(report: DeliveryReportInit): void {
    const bytes = report.envelope?.body?.length ?? 0;
    this.#pending.push({ report, bytes });
    this.#pendingBytes += bytes;
    let dropped = 0;
    while (this.#pendingBytes > this.#maxBytes && this.#pending.length > 1) {
      this.#pendingBytes -= this.#pending.shift()!.bytes;
      dropped++;
    }
    if (dropped > 0) {
      this.#logger.error({ dropped }, "delivery records dropped: too many waiting to be sent");
    }
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer === undefined && !this.#flushing && this.#pending.length > 0) {
      this.#timer = setTimeout(() => void this.#flush(), this.#retryMs);
      this.#timer.unref();
    }
  }

  async #flush(): Promise<void> {
    this.#timer = undefined;
    this.#flushing = true;
    try {
      while (this.#pending.length > 0) {
        const next = this.#pending[0]!;
        await this.#send([next.report]);
        if (this.#pending[0] === next) {
          this.#pending.shift();
          this.#pendingBytes -= next.bytes;
        }
      }
      this.#retryMs = this.#firstRetryMs;
    } catch {
      this.#retryMs = Math.min(this.#retryMs * 2, 30_000);
    } finally {
      this.#flushing = false;
      this.#schedule();
    }
  }
}
