import type { FeedPayload } from './feed-events';

/**
 * One event's delivery to one endpoint, as a state machine (docs/webhooks.md, "Retries"):
 *
 *   pending ──start──► in-flight ──succeeded──► delivered
 *      ▲                 │   ▲ └──failed, 24 h not over──► retry-scheduled ──start (due)──┘
 *      │                 └───────failed, 24 h over───────► failed
 *      └──────────────────replay (delivered | failed)──────────┘
 *
 * A lane is one (endpoint, order): at most one of its deliveries is in flight or waiting for a retry
 * at a time, and the next one to start is the lane's earliest pending delivery in the order's event
 * sequence, so a receiver sees an order's events in order. Pure: time and randomness are arguments.
 */
export const DELIVERY_STATUSES = ['pending', 'in-flight', 'retry-scheduled', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface DeliveryAttempt {
  /** 1-based over the delivery's life (replays continue the count). */
  readonly n: number;
  readonly at: string;
  readonly outcome: 'succeeded' | 'failed';
  /** The receiver's HTTP status; absent when no answer came (refused, timeout, connection error). */
  readonly responseCode?: number;
  readonly latencyMs: number;
  readonly error?: string;
}

export interface Delivery {
  /** = the event id: the receiver's idempotency key, the same on every attempt and replay. */
  readonly eventId: string;
  readonly endpointId: string;
  readonly clientId: string;
  readonly orderId: string;
  readonly eventType: string;
  /** The order's event sequence: `<event time>~<event id>`, sorting as the events were recorded. */
  readonly seq: string;
  /** What the receiver gets, the same on every attempt and replay. */
  readonly payload: FeedPayload;
  readonly status: DeliveryStatus;
  /** When the attempt in flight started (a wake-up finding it much older knows the attempt died). */
  readonly inFlightSince?: string;
  readonly attempts: readonly DeliveryAttempt[];
  /** The first attempt of the current run (reset by a replay): retries end 24 h after it. */
  readonly runStartedAt?: string;
  readonly nextAttemptAt?: string;
  readonly replays: number;
  readonly createdAt: string;
}

export interface FeedSchedule {
  /** The wait after the first failed attempt; doubled after each further failure… */
  readonly firstDelayMs: number;
  /** …up to this. */
  readonly maxDelayMs: number;
  /** Up to this share of the wait is added at random (receivers recovering are not hit all at once). */
  readonly jitter: number;
  /** No attempt starts later than this after the run's first attempt: then the delivery has failed. */
  readonly giveUpAfterMs: number;
  /** A new event waits this long before its lane is looked at, so events recorded together arrive together first. */
  readonly settleMs: number;
}

/** 30 s, 1, 2, 4, 8, 16, 32 min, then hourly (+ up to 20 %), for 24 h from the first attempt. */
export const FEED_SCHEDULE: FeedSchedule = {
  firstDelayMs: 30_000,
  maxDelayMs: 3_600_000,
  jitter: 0.2,
  giveUpAfterMs: 24 * 3_600_000,
  settleMs: 2_000,
};

export class DeliveryStateError extends Error {
  constructor(
    readonly from: DeliveryStatus,
    readonly move: string,
  ) {
    super(`a ${from} delivery cannot ${move}`);
    this.name = 'DeliveryStateError';
  }
}

export function newDelivery(input: Pick<Delivery, 'endpointId' | 'clientId' | 'orderId' | 'payload'>, now: Date): Delivery {
  const { payload } = input;
  return {
    ...input,
    eventId: payload.id,
    eventType: payload.type,
    seq: `${payload.time}~${payload.id}`,
    status: 'pending',
    attempts: [],
    replays: 0,
    createdAt: now.toISOString(),
  };
}

/** The wait after failed attempt `failedInRun` (1-based within the run), `random` in [0, 1). */
export function backoffMs(failedInRun: number, schedule: FeedSchedule, random: number): number {
  const base = Math.min(schedule.maxDelayMs, schedule.firstDelayMs * 2 ** Math.max(0, failedInRun - 1));
  return Math.round(base + base * schedule.jitter * random);
}

/** Whether a start is allowed now: pending, or a retry that is due. */
export function isDue(d: Delivery, now: Date): boolean {
  return d.status === 'pending' || (d.status === 'retry-scheduled' && Date.parse(d.nextAttemptAt ?? '') <= now.getTime());
}

/** pending | retry-scheduled (due) → in-flight. */
export function startAttempt(d: Delivery, now: Date): Delivery {
  if (!isDue(d, now)) throw new DeliveryStateError(d.status, 'start an attempt now');
  const { nextAttemptAt: _n, ...rest } = d;
  return { ...rest, status: 'in-flight', inFlightSince: now.toISOString(), runStartedAt: d.runStartedAt ?? now.toISOString() };
}

export interface AttemptResult {
  readonly succeeded: boolean;
  readonly responseCode?: number;
  readonly latencyMs: number;
  readonly error?: string;
}

/** The attempts of the current run (since the last replay). */
function attemptsInRun(d: Delivery): number {
  const start = Date.parse(d.runStartedAt ?? '');
  return d.attempts.filter((a) => Date.parse(a.at) >= start).length;
}

/**
 * in-flight → delivered, or retry-scheduled (the next attempt after the backoff, when it starts
 * within `giveUpAfterMs` of the run's first attempt), or failed. `at` is when the attempt started.
 */
export function finishAttempt(
  d: Delivery,
  result: AttemptResult,
  at: Date,
  now: Date,
  schedule: FeedSchedule,
  random: number,
): Delivery {
  if (d.status !== 'in-flight') throw new DeliveryStateError(d.status, 'finish an attempt');
  const attempt: DeliveryAttempt = {
    n: d.attempts.length + 1,
    at: at.toISOString(),
    outcome: result.succeeded ? 'succeeded' : 'failed',
    ...(result.responseCode !== undefined ? { responseCode: result.responseCode } : {}),
    latencyMs: Math.max(0, Math.round(result.latencyMs)),
    ...(result.error ? { error: result.error.slice(0, 300) } : {}),
  };
  const { inFlightSince: _s, ...rest } = d;
  const next = { ...rest, attempts: [...d.attempts, attempt] };
  if (result.succeeded) return { ...next, status: 'delivered' };
  const retryAt = now.getTime() + backoffMs(attemptsInRun(next), schedule, random);
  const deadline = Date.parse(d.runStartedAt ?? at.toISOString()) + schedule.giveUpAfterMs;
  if (retryAt > deadline) return { ...next, status: 'failed' };
  return { ...next, status: 'retry-scheduled', nextAttemptAt: new Date(retryAt).toISOString() };
}

/** A delivery abandoned without an attempt (its endpoint was disabled or deleted meanwhile). */
export function abandon(d: Delivery, reason: string, now: Date): Delivery {
  if (d.status === 'delivered' || d.status === 'failed') throw new DeliveryStateError(d.status, 'be abandoned');
  const { nextAttemptAt: _n, inFlightSince: _s, ...rest } = d;
  const attempt: DeliveryAttempt = {
    n: d.attempts.length + 1,
    at: now.toISOString(),
    outcome: 'failed',
    latencyMs: 0,
    error: reason,
  };
  return { ...rest, status: 'failed', attempts: [...d.attempts, attempt] };
}

/** delivered | failed → pending: sent again with the same event id, a new 24 h run, its place in the lane kept. */
export function replay(d: Delivery): Delivery {
  if (d.status !== 'delivered' && d.status !== 'failed') throw new DeliveryStateError(d.status, 'be replayed');
  const { runStartedAt: _r, nextAttemptAt: _n, ...rest } = d;
  return { ...rest, status: 'pending', replays: d.replays + 1 };
}

/**
 * An attempt in flight longer than this died with its process (a request times out after 10 s): the
 * wake-up the bus redelivers after its message lock (60 s) attempts the delivery again.
 */
export const STALE_IN_FLIGHT_MS = 30_000;

/** The lane is held by this delivery: in flight, or waiting for its retry. */
export const holdsLane = (d: Pick<Delivery, 'status'>): boolean => d.status === 'in-flight' || d.status === 'retry-scheduled';

/**
 * What the lane does next: keep waiting for the delivery that holds it, or start its earliest
 * pending delivery (in `seq` order), or nothing.
 */
export function nextInLane(lane: readonly Delivery[]): { readonly holder: Delivery } | { readonly start: Delivery } | undefined {
  const holder = lane.find(holdsLane);
  if (holder) return { holder };
  const pending = lane.filter((d) => d.status === 'pending').sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0));
  return pending[0] ? { start: pending[0] } : undefined;
}
