/**
 * Webhook senders for the multi-replica test: a steady load that stops by
 * itself, sent to every live edge in turn, where each webhook is delivered
 * the way real senders deliver (SNS, or anything that sends an
 * Idempotency-Key): refused with 503/504 or cut off without an answer, it
 * is sent again with the same key after Retry-After, until accepted.
 * Everything happens on loopback, and every attempt is recorded.
 */
import { setTimeout as sleep } from "node:timers/promises";

/** One incident in a webhook's success answer. */
export interface IncidentRef {
  readonly id: string | null;
  readonly action: string;
  readonly dedupKey: string | null;
}

/** One POST of a webhook and what came back. */
export interface Attempt {
  /** Index of the edge it went to. */
  readonly edge: number;
  readonly sentAt: number;
  readonly answeredAt: number;
  /** The HTTP status, or 0 when the connection ended without an answer. */
  readonly status: number;
  readonly retryAfter: string | null;
  readonly incidents: readonly IncidentRef[];
  /** Why there was no answer, for status 0. */
  readonly error?: string;
}

/** A webhook, the same bytes and Idempotency-Key on every attempt. */
export class Delivery {
  readonly attempts: Attempt[] = [];

  constructor(
    /** What it is, such as `custom` or `burst`, for the figures. */
    readonly kind: string,
    readonly routingKey: string,
    readonly body: string,
    readonly headers: Readonly<Record<string, string>>,
  ) {}

  get first(): Attempt | undefined {
    return this.attempts[0];
  }

  /** Its first 2xx answer, if it got one. */
  get accepted(): Attempt | undefined {
    return this.attempts.find((a) => isSuccess(a.status));
  }
}

export const isSuccess = (status: number) => status >= 200 && status < 300;

/** What a sender retries: 503 and 504 (which promise Retry-After), and no answer at all. */
export const isRetryable = (status: number) => status === 0 || status === 503 || status === 504;

/** The edges a sender knows, used in turn; a killed one is left out from then on. */
export class Edges {
  readonly #alive: boolean[];
  #next = 0;

  constructor(readonly urls: readonly string[]) {
    this.#alive = urls.map(() => true);
  }

  pick(): number {
    for (let i = 0; i < this.urls.length; i++) {
      const edge = this.#next++ % this.urls.length;
      if (this.#alive[edge]) {
        return edge;
      }
    }
    throw new Error("no edge left");
  }

  remove(edge: number): void {
    this.#alive[edge] = false;
  }
}

/** Longest wait for one answer: the edge's own deadline is 10 s. */
const ANSWER_TIMEOUT_MS = 30_000;

/** Posts a delivery once to `edge` and records the attempt. */
export async function post(
  edges: Edges,
  delivery: Delivery,
  edge = edges.pick(),
): Promise<Attempt> {
  const sentAt = Date.now();
  let attempt: Attempt;
  try {
    const res = await fetch(`${edges.urls[edge]}/webhooks/${delivery.routingKey}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...delivery.headers },
      body: delivery.body,
      signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS),
    });
    const body = (await res.json()) as { incidents?: IncidentRef[] };
    attempt = {
      edge,
      sentAt,
      answeredAt: Date.now(),
      status: res.status,
      retryAfter: res.headers.get("retry-after"),
      incidents: body.incidents ?? [],
    };
  } catch (error) {
    attempt = {
      edge,
      sentAt,
      answeredAt: Date.now(),
      status: 0,
      retryAfter: null,
      incidents: [],
      error: String((error as Error).cause ?? error),
    };
  }
  delivery.attempts.push(attempt);
  return attempt;
}

/**
 * Delivers until accepted or refused for good (any 4xx), retrying 503, 504
 * and lost connections after Retry-After seconds (1 s without one), on the
 * next live edge, for at most `giveUpAfterMs`.
 */
export async function deliver(
  edges: Edges,
  delivery: Delivery,
  giveUpAfterMs = 60_000,
): Promise<void> {
  const giveUpAt = Date.now() + giveUpAfterMs;
  for (;;) {
    const { status, retryAfter } = await post(edges, delivery);
    if (!isRetryable(status)) {
      return;
    }
    const wait = 1_000 * Math.max(1, Number(retryAfter ?? 1) || 1);
    if (Date.now() + wait > giveUpAt) {
      return;
    }
    await sleep(wait);
  }
}

/** A load that is running: the deliveries sent so far, and when it is over. */
export interface Load {
  readonly deliveries: readonly Delivery[];
  /** Resolves when the last webhook has been sent and every delivery has settled. */
  readonly done: Promise<void>;
}

/**
 * Sends `make(n)` at `perSecond` for `durationMs` (open loop: the schedule
 * does not wait for answers), each delivered with retries; then stops.
 */
export function startLoad(options: {
  readonly edges: Edges;
  readonly perSecond: number;
  readonly durationMs: number;
  readonly make: (n: number) => Delivery;
}): Load {
  const deliveries: Delivery[] = [];
  const settling: Promise<void>[] = [];
  const interval = 1_000 / options.perSecond;
  const count = Math.round((options.durationMs / 1_000) * options.perSecond);
  const started = Date.now();
  const done = (async () => {
    for (let n = 0; n < count; n++) {
      const due = started + n * interval;
      if (due > Date.now()) {
        await sleep(due - Date.now());
      }
      const delivery = options.make(n);
      deliveries.push(delivery);
      settling.push(deliver(options.edges, delivery));
    }
    await Promise.all(settling);
  })();
  return { deliveries, done };
}

/** First attempts by outcome: accepted (2xx), refused (by status), cut off (no answer). */
export function tally(deliveries: readonly Delivery[]): {
  accepted: number;
  refused: Record<number, number>;
  cutOff: number;
} {
  const refused: Record<number, number> = {};
  let accepted = 0;
  let cutOff = 0;
  for (const d of deliveries) {
    const status = d.first?.status ?? 0;
    if (isSuccess(status)) {
      accepted++;
    } else if (status === 0) {
      cutOff++;
    } else {
      refused[status] = (refused[status] ?? 0) + 1;
    }
  }
  return { accepted, refused, cutOff };
}
