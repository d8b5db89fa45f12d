import { createHash, createHmac } from 'node:crypto';
import {
  abandon,
  finishAttempt,
  FEED_SCHEDULE,
  isDue,
  newDelivery,
  nextInLane,
  startAttempt,
  STALE_IN_FLIGHT_MS,
  type Delivery,
  type FeedSchedule,
} from '../../domain/feed/delivery';
import { recordHealth, signingSecrets, wants } from '../../domain/feed/endpoint';
import { isFeedEventType } from '../../domain/feed/feed-events';
import {
  ATTEMPT_HEADER,
  EVENT_ID_HEADER,
  EVENT_TYPE_HEADER,
  SIGNATURE_HEADER,
  signatureHeader,
  signedPayload,
} from '../../domain/feed/signature';
import type { DomainEvent } from '../../domain/shared/events';
import { ConflictError, PreconditionFailedError } from '../errors';
import { messageFor, type MessagePublisher, type OutgoingMessage } from '../messaging';
import type { AppLogger, Clock, Versioned } from '../ports';
import type { FeedStore, Lane, WebhookSender } from './ports';

/**
 * The client event feed's delivery (docs/webhooks.md): every order event fans out to the client's
 * matching endpoints as one delivery each, queued in its lane (endpoint, order); a lane wake-up
 * (`feed.lane-due`, a bus message, scheduled for retries) performs one attempt of the lane's head
 * and schedules what comes next. Retries are scheduled messages, never a wait inside the function.
 */
export interface FeedDeliveryDeps {
  readonly feed: FeedStore;
  readonly sender: WebhookSender;
  readonly publisher: MessagePublisher;
  readonly clock: Clock;
  readonly logger: AppLogger;
  readonly schedule?: FeedSchedule;
  /** In [0, 1): the retry jitter (Math.random unless a test fixes it). */
  readonly random?: () => number;
}

/** The feed's ports for its HTTP use cases: the store, the bus (replays) and the clock. */
export type FeedAdminDeps = Pick<FeedDeliveryDeps, 'feed' | 'publisher' | 'clock'>;

export const FEED_SOURCE = 'algesta/feed';

/** The wake-up of a lane, due at `at`; `tag` makes its id (and the bus's messageId) unique per reason. */
export function laneDue(lane: Omit<Lane, 'holder'>, tag: string, at: Date, correlationId: string): OutgoingMessage {
  const event: DomainEvent<'feed.lane-due'> = {
    // Derived from (lane, reason), so a wake-up sent twice is one message (duplicate detection) and
    // one event (the consumer's record); hashed because a Service Bus messageId has at most 128 characters.
    id: `fwk_${createHash('sha256').update(`${lane.endpointId}|${lane.orderId}|${tag}`).digest('hex').slice(0, 40)}`,
    type: 'feed.lane-due',
    source: FEED_SOURCE,
    subject: lane.endpointId,
    time: at.toISOString(),
    dataVersion: 1,
    data: { clientId: lane.clientId, endpointId: lane.endpointId, orderId: lane.orderId },
    correlationId,
  };
  return messageFor(event, at);
}

/** An order event: one delivery per matching active endpoint of the event's own client (never another's). */
export async function fanOut(deps: FeedDeliveryDeps, event: DomainEvent): Promise<number> {
  if (!isFeedEventType(event.type)) return 0;
  const data = event.data as { clientId?: unknown; orderId?: unknown };
  if (typeof data.clientId !== 'string' || typeof data.orderId !== 'string') return 0;
  const { clientId, orderId } = data;
  const now = deps.clock.now();
  const schedule = deps.schedule ?? FEED_SCHEDULE;
  const endpoints = (await deps.feed.listEndpoints(clientId)).filter((e) => e.clientId === clientId && wants(e, event.type));
  const wakeUps: OutgoingMessage[] = [];
  for (const endpoint of endpoints) {
    // Deterministic id (endpoint, event): a second run of the fan-out creates nothing twice.
    const payload = { id: event.id, type: event.type, time: event.time, data: event.data };
    await deps.feed.createDelivery(newDelivery({ endpointId: endpoint.id, clientId, orderId, payload }, now));
    wakeUps.push(
      laneDue(
        { clientId, endpointId: endpoint.id, orderId },
        `new~${event.id}`,
        new Date(now.getTime() + schedule.settleMs),
        event.correlationId,
      ),
    );
  }
  if (wakeUps.length) await deps.publisher.publish(wakeUps);
  return endpoints.length;
}

/** Wakes a lane now (a replay, an enabled endpoint): its next due delivery starts. */
export async function wakeLane(
  deps: Pick<FeedDeliveryDeps, 'publisher' | 'clock'>,
  lane: Omit<Lane, 'holder'>,
  tag: string,
  correlationId: string,
) {
  await deps.publisher.publish([laneDue(lane, tag, deps.clock.now(), correlationId)]);
}

/**
 * One wake-up of a lane: if a delivery holds it, attempt it when its retry is due; else take the
 * lane for the earliest pending delivery and attempt it. At most one attempt per wake-up; what
 * follows (the retry, or the next delivery) is a new wake-up on the bus.
 */
export async function runLane(deps: FeedDeliveryDeps, key: LaneKey, correlationId: string): Promise<void> {
  const { feed } = deps;
  const now = deps.clock.now();
  const lane = await feed.getLane(key.clientId, key.endpointId, key.orderId);
  if (lane?.value.holder) {
    const held = await feed.getDelivery(key.clientId, key.endpointId, lane.value.holder);
    if (!held || held.value.status === 'delivered' || held.value.status === 'failed') {
      // The holder finished but the lane was not released (a crash in between): release it now.
      return releaseLane(deps, key, lane.etag, correlationId, `release~${lane.value.holder}`);
    }
    if (!attemptable(held.value, now)) return;
    return attempt(deps, key, held, lane.etag, correlationId);
  }
  const next = nextInLane(await feed.openDeliveries(key.clientId, key.endpointId, key.orderId));
  if (!next) return;
  const head = 'start' in next ? next.start : next.holder;
  let laneEtag: string;
  try {
    laneEtag = (await feed.putLane({ ...key, holder: head.eventId }, lane ? lane.etag : null)).etag;
  } catch (err) {
    if (err instanceof ConflictError || err instanceof PreconditionFailedError) return; // another wake-up took it
    throw err;
  }
  const held = await feed.getDelivery(key.clientId, key.endpointId, head.eventId);
  if (held && attemptable(held.value, now)) await attempt(deps, key, held, laneEtag, correlationId);
}

/**
 * Whether this wake-up may attempt the delivery now: pending, or its retry is due. One in flight is
 * left to the invocation attempting it (its end releases the lane and wakes it), unless it has been
 * in flight far longer than any request takes: then it died with its process, and the wake-up the
 * bus redelivers after the message lock takes it over.
 */
function attemptable(d: Delivery, now: Date): boolean {
  if (d.status === 'in-flight') return now.getTime() - Date.parse(d.inFlightSince ?? '') >= STALE_IN_FLIGHT_MS;
  return isDue(d, now);
}

type LaneKey = Omit<Lane, 'holder'>;

async function releaseLane(deps: FeedDeliveryDeps, key: LaneKey, etag: string, correlationId: string, tag: string) {
  try {
    await deps.feed.putLane({ ...key }, etag);
  } catch (err) {
    if (err instanceof PreconditionFailedError) return;
    throw err;
  }
  // The lane's next delivery, if any, starts on its own wake-up.
  await wakeLane(deps, key, tag, correlationId);
}

async function attempt(
  deps: FeedDeliveryDeps,
  key: LaneKey,
  current: Versioned<Delivery>,
  laneEtag: string,
  correlationId: string,
): Promise<void> {
  const { feed } = deps;
  const schedule = deps.schedule ?? FEED_SCHEDULE;
  const startedAt = deps.clock.now();
  const endpoint = await feed.getEndpoint(key.clientId, key.endpointId);
  const d = current.value;
  const n = d.attempts.length + 1;
  if (!endpoint || endpoint.value.status !== 'active') {
    await feed.replaceDelivery(abandon(d, endpoint ? 'endpoint disabled' : 'endpoint deleted', startedAt), current.etag);
    return releaseLane(deps, key, laneEtag, correlationId, `next~${d.eventId}~${n}`);
  }
  // Claimed with the delivery's ETag: a duplicate wake-up running the same attempt loses here. An
  // attempt that died in flight is taken over.
  const claimed = d.status === 'in-flight' ? { ...d, inFlightSince: startedAt.toISOString() } : startAttempt(d, startedAt);
  let inFlight: Versioned<Delivery>;
  try {
    inFlight = await feed.replaceDelivery(claimed, current.etag);
  } catch (err) {
    if (err instanceof PreconditionFailedError) return; // another wake-up claimed this attempt
    throw err;
  }
  const body = JSON.stringify(d.payload);
  const timestamp = Math.floor(startedAt.getTime() / 1000);
  const signatures = signingSecrets(endpoint.value, startedAt).map((s) =>
    createHmac('sha256', s.value).update(signedPayload(timestamp, body)).digest('hex'),
  );
  const result = await deps.sender.post({
    url: endpoint.value.url,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Algesta-Webhooks/1',
      [SIGNATURE_HEADER]: signatureHeader(timestamp, signatures),
      [EVENT_ID_HEADER]: d.eventId,
      [EVENT_TYPE_HEADER]: d.eventType,
      [ATTEMPT_HEADER]: String(n),
    },
    body,
  });
  const succeeded = result.status !== undefined && result.status >= 200 && result.status < 300;
  const finished = finishAttempt(
    inFlight.value,
    {
      succeeded,
      latencyMs: result.latencyMs,
      ...(result.status !== undefined ? { responseCode: result.status } : {}),
      ...(result.error ? { error: result.error } : {}),
    },
    startedAt,
    deps.clock.now(),
    schedule,
    (deps.random ?? Math.random)(),
  );
  await feed.replaceDelivery(finished, inFlight.etag);
  await recordEndpointHealth(deps, key, succeeded, correlationId);
  deps.logger.info('feed delivery attempt', {
    endpointId: key.endpointId,
    eventId: d.eventId,
    attempt: n,
    status: finished.status,
    ...(result.status !== undefined ? { responseCode: result.status } : {}),
    latencyMs: result.latencyMs,
  });
  if (finished.status === 'retry-scheduled' && finished.nextAttemptAt)
    await deps.publisher.publish([laneDue(key, `retry~${d.eventId}~${n}`, new Date(finished.nextAttemptAt), correlationId)]);
  else await releaseLane(deps, key, laneEtag, correlationId, `next~${d.eventId}~${n}`);
}

/** The outcome on the endpoint's health; the notice when it disables the endpoint. Read fresh: lanes record concurrently. */
async function recordEndpointHealth(deps: FeedDeliveryDeps, key: LaneKey, succeeded: boolean, correlationId: string) {
  for (let tries = 0; tries < 5; tries++) {
    const fresh = await deps.feed.getEndpoint(key.clientId, key.endpointId);
    if (!fresh) return;
    const now = deps.clock.now();
    const change = recordHealth(fresh.value, succeeded, now);
    if (change.endpoint === fresh.value) return;
    try {
      await deps.feed.replaceEndpoint(change.endpoint, fresh.etag);
    } catch (err) {
      if (err instanceof PreconditionFailedError) continue;
      throw err;
    }
    if (!change.disabledNow) return;
    const failingSince = change.endpoint.failingSince ?? now.toISOString();
    const event: DomainEvent<'feed.endpoint-disabled'> = {
      id: `feed~disabled~${key.endpointId}~${failingSince}`,
      type: 'feed.endpoint-disabled',
      source: FEED_SOURCE,
      subject: key.endpointId,
      time: now.toISOString(),
      dataVersion: 1,
      data: { clientId: key.clientId, endpointId: key.endpointId, url: fresh.value.url, failingSince },
      correlationId,
    };
    await deps.publisher.publish([messageFor(event)]);
    return;
  }
}
