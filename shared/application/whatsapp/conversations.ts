import type { Principal } from '../../domain/access/principal';
import type { DialogState, Party, Reply, UserMessage } from '../../domain/whatsapp/dialog';
import { advance } from '../../domain/whatsapp/machine';
import { render } from '../../domain/whatsapp/texts';
import { DEFAULT_PREFERENCES, type Locale, type UserProfile } from '../../domain/users/user';
import { trustProfile } from '../access';
import type { CallContext } from '../context';
import { PreconditionFailedError } from '../errors';
import { PermanentDeliveryError, type OutgoingWhatsApp, type WhatsAppSender } from '../notifications/channels';
import type { Versioned } from '../ports';
import { execute, type CommandDeps } from './commands';
import { idsForEvent, replyNotificationId } from './event-ids';
import type { ConversationRecord, ConversationStore, InboundWhatsApp, PhoneDirectory } from './ports';

export interface WhatsAppDeps extends CommandDeps {
  readonly phones: PhoneDirectory;
  readonly conversations: ConversationStore;
  readonly sender: WhatsAppSender;
}

export interface InboundOutcome {
  /** `duplicate`: the event was handled before and had no effect this time. */
  readonly status: 'handled' | 'duplicate';
  /** Replies sent during this call (a duplicate may still send replies left unsent before). */
  readonly sent: number;
}

/** Inbound event ids remembered per phone: far more than any redelivery window holds. */
const REMEMBERED_EVENTS = 200;
/** Requests one inbound message may chain (the machine asks for at most one today). */
const MAX_REQUESTS = 3;
/** Concurrent deliveries for one phone: the loser of the conditional write tries again this often. */
const WRITE_ATTEMPTS = 3;

/**
 * One inbound WhatsApp event: find who wrote (phone → profile), run one turn of the conversation
 * machine, carry out what it asks through the application commands, save the conversation with the
 * replies in its outbox (one conditional write), then send them.
 *
 * At most once: an event id already in the record has no effect (it only flushes replies left
 * unsent). A reply's notification id is derived from the event id and its position.
 */
export async function handleInboundWhatsApp(deps: WhatsAppDeps, inbound: InboundWhatsApp): Promise<InboundOutcome> {
  // The phone names the profile; it acts only if it passes the same trust rule as a token's profile.
  const { profile } = trustProfile(await deps.phones.findByPhone(inbound.from));
  const party = partyOf(profile);
  const locale: Locale = profile?.preferences.locale ?? DEFAULT_PREFERENCES.locale;
  for (let attempt = 1; ; attempt++) {
    const stored = await deps.conversations.get(inbound.from);
    if (stored?.value.processedEventIds.includes(inbound.eventId))
      return { status: 'duplicate', sent: await flush(deps, inbound.from) };
    const now = deps.clock.now().toISOString();
    const { state, replies } = await converse(deps, stored?.value.state, inbound, party, profile, now);
    const outgoing = replies.map((r, i): OutgoingWhatsApp => ({
      notificationId: replyNotificationId(inbound.eventId, i),
      to: inbound.from,
      text: render(r, locale),
    }));
    const record: ConversationRecord = {
      phone: inbound.from,
      state,
      processedEventIds: [...(stored?.value.processedEventIds ?? []), inbound.eventId].slice(-REMEMBERED_EVENTS),
      outbox: [...(stored?.value.outbox ?? []), ...outgoing],
      updatedAt: now,
    };
    try {
      await deps.conversations.put(record, stored?.etag);
    } catch (err) {
      // Another delivery for this phone saved first: run the turn again on what it saved.
      if (err instanceof PreconditionFailedError && attempt < WRITE_ATTEMPTS) continue;
      throw err;
    }
    return { status: 'handled', sent: await flush(deps, inbound.from) };
  }
}

async function converse(
  deps: WhatsAppDeps,
  current: DialogState | undefined,
  inbound: InboundWhatsApp,
  party: Party,
  profile: UserProfile | undefined,
  now: string,
): Promise<{ state: DialogState; replies: Reply[] }> {
  const ids = idsForEvent(inbound.eventId, inbound.at);
  const call: CallContext | undefined = profile && {
    principal: principalOf(profile),
    correlationId: `whatsapp:${inbound.eventId}`,
  };
  let step = advance(current, { kind: 'message', message: messageOf(inbound) }, party, now);
  const replies: Reply[] = [...step.replies];
  for (let i = 0; step.request && call && i < MAX_REQUESTS; i++) {
    const result = await execute(deps, call, step.request, ids);
    step = advance(step.state, { kind: 'result', result }, party, now);
    replies.push(...step.replies);
  }
  return { state: step.state, replies };
}

/**
 * Sends the record's outbox and removes what went out. A permanent refusal (invalid number) is
 * dropped with a log line, never retried; any other failure stops here and propagates, leaving the
 * rest in the outbox for the next delivery.
 */
async function flush(deps: WhatsAppDeps, phone: string): Promise<number> {
  const stored = await deps.conversations.get(phone);
  if (!stored?.value.outbox.length) return 0;
  const done = new Set<string>();
  let failure: unknown;
  for (const message of stored.value.outbox) {
    try {
      await deps.sender.send(message);
    } catch (err) {
      if (!(err instanceof PermanentDeliveryError)) {
        failure = err;
        break;
      }
      deps.logger?.warn('whatsapp reply refused for good', { notificationId: message.notificationId, reason: err.reason });
    }
    done.add(message.notificationId);
  }
  await removeFromOutbox(deps, stored, done);
  if (failure) throw failure;
  return done.size;
}

async function removeFromOutbox(
  deps: WhatsAppDeps,
  first: Versioned<ConversationRecord>,
  done: ReadonlySet<string>,
): Promise<void> {
  let current: Versioned<ConversationRecord> | undefined = first;
  for (let attempt = 1; current && done.size; attempt++) {
    const outbox = current.value.outbox.filter((m) => !done.has(m.notificationId));
    if (outbox.length === current.value.outbox.length) return;
    try {
      await deps.conversations.put({ ...current.value, outbox }, current.etag);
      return;
    } catch (err) {
      if (!(err instanceof PreconditionFailedError) || attempt >= WRITE_ATTEMPTS) throw err;
      current = await deps.conversations.get(first.value.phone);
    }
  }
}

function partyOf(profile: UserProfile | undefined): Party {
  // A profile set aside by trustProfile (its role and scope disagree) cannot act for anyone: unknown.
  if (!profile) return { role: 'unknown' };
  const role = profile.role === 'client' || profile.role === 'provider' ? profile.role : 'staff';
  return profile.name ? { role, name: profile.name } : { role };
}

function principalOf(p: UserProfile): Principal {
  return {
    userId: p.userId,
    role: p.role,
    ...(p.clientId ? { clientId: p.clientId } : {}),
    ...(p.providerId ? { providerId: p.providerId } : {}),
    ...(p.name ? { name: p.name } : {}),
    ...(p.email ? { email: p.email } : {}),
  };
}

function messageOf(inbound: InboundWhatsApp): UserMessage {
  if (inbound.kind === 'location' && inbound.location) return { kind: 'location', position: inbound.location };
  if (inbound.kind === 'image' && inbound.mediaUrl) {
    const media = { url: inbound.mediaUrl, ...(inbound.mediaContentType ? { contentType: inbound.mediaContentType } : {}) };
    return inbound.text ? { kind: 'image', media, caption: inbound.text } : { kind: 'image', media };
  }
  // An interactive reply counts as what it says (its id, e.g. "1", or its title).
  const text =
    inbound.kind === 'interactive' ? (inbound.buttonId ?? inbound.text) : inbound.kind === 'text' ? inbound.text : undefined;
  return text !== undefined && text.trim() ? { kind: 'text', text } : { kind: 'other' };
}
