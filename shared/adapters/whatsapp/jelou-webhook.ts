import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { InboundWhatsApp } from '../../application/whatsapp/ports';
import { toE164 } from '../../domain/whatsapp/phone';

/**
 * Inbound WhatsApp from Jelou. Jelou posts each event JSON-encoded with
 * `X-Jelou-Signature: sha256=<hex HMAC-SHA256 of the body, keyed with the signing secret>`
 * (docs.jelou.ai, "Firma HMAC-SHA256"). The payload is the `message_event` envelope of the
 * external-support webhook ("Recibir mensaje del usuario final"); docs/whatsapp.md lists what is
 * documented and what is assumed.
 */

const PREFIX = 'sha256=';
const HEX_SHA256 = /^[0-9a-f]{64}$/i;

/**
 * True only for the signature of exactly these bytes. The raw body is what counts: a body parsed
 * and serialized again (other spacing or key order) is refused. Compared in constant time.
 */
export function verifyJelouSignature(rawBody: Uint8Array, header: string | undefined, secret: string): boolean {
  // An empty key is no secret at all: anyone could compute the HMAC.
  if (!secret || !header) return false;
  const value = header.trim();
  if (!value.startsWith(PREFIX)) return false;
  const hex = value.slice(PREFIX.length);
  if (!HEX_SHA256.test(hex)) return false;
  const given = Buffer.from(hex, 'hex');
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The signature Jelou would send for these bytes (the local fake and tests sign with it). */
export function signJelouBody(rawBody: Uint8Array | string, secret: string): string {
  return `${PREFIX}${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

const text = z.object({ type: z.literal('text'), content: z.object({ body: z.string() }) });
const image = z.object({
  type: z.literal('image'),
  content: z.object({ url: z.url({ protocol: /^https?$/ }), mime_type: z.string().optional(), caption: z.string().optional() }),
  caption: z.string().optional(),
});
// Assumed, not in Jelou's documentation: interactive (button / list) replies carry the chosen
// option's id and title.
const interactive = z.object({
  type: z.enum(['interactive', 'button', 'quick_reply', 'list_reply', 'button_reply']),
  content: z
    .object({
      id: z.string().optional(),
      payload: z.string().optional(),
      title: z.string().optional(),
      body: z.string().optional(),
    })
    .optional(),
});

// A shared location. Jelou documents it as `type: "location"` with `coordinates: { lat, long }`
// in decimal degrees (docs.jelou.ai/webhook/messages-events, "Location": the bubble carries
// `coordinates` beside a Google Maps link in `text`). Assumed for the message_event envelope: the
// coordinates come in `value.content` like other contents, or directly on `value` as in the bubble.
const coordinates = z.object({ lat: z.number().min(-90).max(90), long: z.number().min(-180).max(180) });
const location = z.object({
  type: z.literal('location'),
  content: z.object({ coordinates }).optional(),
  coordinates: coordinates.optional(),
});

export const messageEvent = z.object({
  object: z.literal('message_event'),
  event_type: z.string(),
  timestamp: z.number().int().positive(),
  contact: z.object({ id: z.union([z.string(), z.number()]).transform(String), name: z.string().optional() }),
  value: z.object({ id: z.string().min(1).max(200), type: z.string() }).passthrough(),
});

export type ParsedJelouInbound =
  | { readonly kind: 'message'; readonly inbound: InboundWhatsApp }
  /** A well-formed event that is not a user's message (e.g. a status change): acknowledge it. */
  | { readonly kind: 'ignored'; readonly reason: string }
  /** Not JSON, or not Jelou's shape: answer 400. */
  | { readonly kind: 'invalid'; readonly reason: string };

/** Jelou's inbound payload (raw bytes, already verified) as a normalized InboundWhatsApp. */
export function parseJelouInbound(rawBody: Uint8Array): ParsedJelouInbound {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(rawBody).toString('utf8'));
  } catch {
    return { kind: 'invalid', reason: 'the body is not JSON' };
  }
  const envelope = messageEvent.safeParse(json);
  if (!envelope.success)
    return { kind: 'invalid', reason: `not a Jelou message_event: ${envelope.error.issues[0]?.message ?? ''}` };
  const e = envelope.data;
  if (e.event_type !== 'message') return { kind: 'ignored', reason: `event_type ${e.event_type}` };
  const from = toE164(e.contact.id);
  // Assumed: for WhatsApp, Jelou's contact id is the user's number (international, without "+").
  if (!from) return { kind: 'invalid', reason: 'contact.id is not a phone number' };
  const base = { eventId: e.value.id, from, at: new Date(e.timestamp).toISOString() };
  return { kind: 'message', inbound: { ...base, ...contentOf(e.value) } };
}

function contentOf(value: unknown): Omit<InboundWhatsApp, 'eventId' | 'from' | 'at'> {
  const t = text.safeParse(value);
  if (t.success) return { kind: 'text', text: t.data.content.body };
  const i = image.safeParse(value);
  if (i.success) {
    const caption = i.data.content.caption ?? i.data.caption;
    return {
      kind: 'image',
      mediaUrl: i.data.content.url,
      ...(i.data.content.mime_type ? { mediaContentType: i.data.content.mime_type } : {}),
      ...(caption ? { text: caption } : {}),
    };
  }
  const l = location.safeParse(value);
  const at = l.success ? (l.data.content?.coordinates ?? l.data.coordinates) : undefined;
  if (at) return { kind: 'location', location: { lat: at.lat, lon: at.long } };
  const b = interactive.safeParse(value);
  if (b.success) {
    const id = b.data.content?.id ?? b.data.content?.payload;
    const title = b.data.content?.title ?? b.data.content?.body;
    return { kind: 'interactive', ...(id ? { buttonId: id } : {}), ...(title ? { text: title } : {}) };
  }
  return { kind: 'other' };
}
