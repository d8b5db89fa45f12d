import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signJelouBody } from '../../shared/adapters/whatsapp/jelou-webhook';

/**
 * A local stand-in for Jelou, speaking the part of its documented API that Algesta uses
 * (docs/whatsapp.md): text messages (`POST /v1/bots/{botId}/messages`) and templates
 * (`POST /v2/whatsapp/{botId}/hsm`) with Basic authentication and Jelou's error shapes; and, in the
 * other direction, inbound `message_event`s signed with `X-Jelou-Signature` posted to a webhook.
 * It also serves media files (`GET /media/{name}`) as Jelou's storage would, for inbound photos.
 */
export interface JelouSandboxOptions {
  readonly botId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  readonly host?: string;
  /** Approved templates: name → number of parameters. Absent: any template is accepted. */
  readonly templates?: Readonly<Record<string, number>>;
  /** Numbers (E.164 or digits) Jelou refuses as not reachable on WhatsApp. */
  readonly invalidNumbers?: readonly string[];
  /** Where `sendInbound` posts, and the signing secret. */
  readonly webhook?: { readonly url: string; readonly secret: string };
}

export interface RecordedJelouRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly rawBody: string;
  readonly body: unknown;
  /** What the fake answered. */
  readonly status: number;
}

/** A message the fake accepted. */
export interface AcceptedJelouMessage {
  readonly messageId: string;
  /** Digits, as Jelou names WhatsApp users. */
  readonly to: string;
  readonly text?: string;
  readonly template?: { readonly name: string; readonly language: string; readonly parameters: readonly string[] };
}

/** An inbound event to post: a text, or an image (hosted by the fake or anywhere). */
export interface InboundSpec {
  /** E.164 or digits. */
  readonly from: string;
  readonly text?: string;
  readonly image?: { readonly url: string; readonly mimeType?: string; readonly caption?: string };
  /** Jelou's message id; default a fresh one. Reuse it to simulate a redelivery. */
  readonly eventId?: string;
  readonly timestamp?: number;
  readonly name?: string;
  /** Any other `value.type` (e.g. "audio"), with `content` as given. */
  readonly raw?: { readonly type: string; readonly content?: unknown };
}

interface Failure {
  remaining: number;
  readonly status: number;
  readonly retryAfterSeconds?: number;
}

type Answer = { status: number; body?: unknown; headers?: Record<string, string> };

const DIGITS = /^[1-9]\d{7,14}$/;
const MAX_BODY = 1_000_000;

export class JelouSandbox {
  readonly requests: RecordedJelouRequest[] = [];
  readonly accepted: AcceptedJelouMessage[] = [];
  private readonly failures: Failure[] = [];
  private readonly media = new Map<string, { bytes: Uint8Array; contentType: string }>();
  private webhook: { url: string; secret: string } | undefined;
  private counter = 0;

  private readonly server: Server;
  private baseUrl = '';

  private constructor(private readonly options: JelouSandboxOptions) {
    this.webhook = options.webhook;
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  static async start(options: JelouSandboxOptions): Promise<JelouSandbox> {
    const sandbox = new JelouSandbox(options);
    await new Promise<void>((resolve, reject) => {
      sandbox.server.once('error', reject);
      sandbox.server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
    });
    const { port, address } = sandbox.server.address() as AddressInfo;
    sandbox.baseUrl = `http://${address}:${port}`;
    return sandbox;
  }

  /** The fake's base URL, `http://127.0.0.1:<port>`: the adapter's `baseUrl`. */
  get url(): string {
    return this.baseUrl;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The next `n` API requests answer `status` (with `Retry-After` when given), whatever they carry. */
  failNext(n: number, status: number, retryAfterSeconds?: number): void {
    this.failures.push({ remaining: n, status, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) });
  }

  /** Serves the bytes at `GET /media/{name}`; answers their URL (for inbound images). */
  hostMedia(name: string, bytes: Uint8Array, contentType: string): string {
    this.media.set(name, { bytes, contentType });
    return `${this.url}/media/${encodeURIComponent(name)}`;
  }

  setWebhook(url: string, secret: string): void {
    this.webhook = { url, secret };
  }

  /** The documented `message_event` envelope for an inbound message (unsigned). */
  inboundEnvelope(spec: InboundSpec): { eventId: string; body: Record<string, unknown> } {
    return jelouInboundEnvelope(spec, this.options.botId);
  }

  /**
   * Posts a signed inbound event to the webhook, as Jelou does. `signature` overrides the header
   * (`null` leaves it out) and `rawBody` the bytes sent, for tests of refusals.
   */
  async sendInbound(
    spec: InboundSpec,
    tamper: { signature?: string | null; rawBody?: string } = {},
  ): Promise<{ status: number; body: string; eventId: string }> {
    if (!this.webhook) throw new Error('JelouSandbox: no webhook configured (options.webhook or setWebhook)');
    const { eventId, body } = this.inboundEnvelope(spec);
    const raw = JSON.stringify(body);
    const signature = tamper.signature === undefined ? signJelouBody(raw, this.webhook.secret) : tamper.signature;
    const response = await fetch(this.webhook.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(signature === null ? {} : { 'x-jelou-signature': signature }) },
      body: tamper.rawBody ?? raw,
    });
    return { status: response.status, body: await response.text(), eventId };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req).catch(() => undefined);
    const path = new URL(req.url ?? '/', this.url).pathname;
    const answer = raw === undefined ? { status: 413, body: { code: 'payload_too_large' } } : this.answer(req, path, raw);
    this.requests.push({
      method: req.method ?? '',
      path,
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')])),
      rawBody: raw ?? '',
      body: safeJson(raw ?? ''),
      status: answer.status,
    });
    if (path.startsWith('/media/') && answer.status === 200) {
      const file = this.media.get(decodeURIComponent(path.slice('/media/'.length)));
      res.writeHead(200, {
        'content-type': file?.contentType ?? 'application/octet-stream',
        'content-length': file?.bytes.length ?? 0,
      });
      res.end(file?.bytes);
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.headers ?? {}) });
    res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
  }

  private answer(req: IncomingMessage, path: string, raw: string): Answer {
    if (req.method === 'GET' && path.startsWith('/media/'))
      return this.media.has(decodeURIComponent(path.slice('/media/'.length))) ? { status: 200 } : { status: 404 };
    const failure = this.failures[0];
    if (failure) {
      if (--failure.remaining <= 0) this.failures.shift();
      return {
        status: failure.status,
        body: {
          code: failure.status === 429 ? 'too_many_requests' : 'sandbox_failure',
          description: 'failure requested by the test',
        },
        ...(failure.retryAfterSeconds === undefined ? {} : { headers: { 'retry-after': String(failure.retryAfterSeconds) } }),
      };
    }
    const route = /^\/v1\/bots\/([^/]+)\/messages$/.exec(path) ?? /^\/v2\/whatsapp\/([^/]+)\/hsm$/.exec(path);
    if (!route || req.method !== 'POST')
      return { status: 404, body: { code: 'not_found', description: `no route ${req.method} ${path}` } };
    if (req.headers.authorization !== this.expectedAuthorization())
      return { status: 401, body: { code: 'unauthorized', description: 'You are not authorized to perform this request.' } };
    if (decodeURIComponent(route[1] as string) !== this.options.botId)
      return { status: 404, body: { code: 'bot_not_found', description: 'Bot is not assigned to your company' } };
    if (!(req.headers['content-type'] ?? '').startsWith('application/json'))
      return unprocessable('Content-Type must be application/json');
    const body = safeJson(raw);
    if (!body || typeof body !== 'object' || Array.isArray(body)) return unprocessable('the body must be a JSON object');
    return path.startsWith('/v1/') ? this.text(body as Record<string, unknown>) : this.template(body as Record<string, unknown>);
  }

  private text(b: Record<string, unknown>): Answer {
    if (b.type !== 'text') return unprocessable('type must be "text" (the sandbox sends text only)');
    if (typeof b.text !== 'string' || !b.text.trim() || b.text.length > 4096) return unprocessable('text is required (1..4096)');
    if (typeof b.userId !== 'string' || !b.userId) return unprocessable('userId is required');
    if (b.botId !== undefined && b.botId !== this.options.botId) return unprocessable('botId must match the path');
    const refused = this.refuseNumber(b.userId);
    if (refused) return refused;
    const messageId = `msg_${String(++this.counter).padStart(9, '0')}`;
    this.accepted.push({ messageId, to: b.userId, text: b.text });
    return { status: 200, body: { success: true, messageId } };
  }

  private template(b: Record<string, unknown>): Answer {
    const { elementName, language, destinations, parameters = [], type = 'text' } = b;
    if (typeof elementName !== 'string' || !elementName) return unprocessable('elementName is required');
    if (typeof language !== 'string' || !language) return unprocessable('language is required');
    if (!Array.isArray(destinations) || !destinations.length || !destinations.every((d) => typeof d === 'string'))
      return unprocessable('destinations must be a non-empty array of numbers');
    if (!Array.isArray(parameters) || !parameters.every((p) => typeof p === 'string'))
      return unprocessable('parameters must be an array of strings');
    if (!['text', 'image', 'document', 'video'].includes(String(type)))
      return unprocessable('type must be text, image, document or video');
    const expected = this.options.templates?.[elementName];
    if (this.options.templates && expected === undefined)
      return { status: 400, body: { message: ['Template does not exist'], status: 'failed' } };
    if (expected !== undefined && parameters.length !== expected)
      return { status: 400, body: { message: [`Template expects ${expected} parameters`], status: 'failed' } };
    for (const d of destinations as string[]) {
      const refused = this.refuseNumber(d);
      if (refused) return refused;
    }
    const sent = (destinations as string[]).map((destination) => ({ id: randomUUID(), destination }));
    for (const s of sent)
      this.accepted.push({
        messageId: s.id,
        to: s.destination,
        template: { name: elementName, language, parameters: parameters as string[] },
      });
    return { status: 200, body: sent };
  }

  private refuseNumber(number: string): Answer | undefined {
    const invalid = (this.options.invalidNumbers ?? []).map((n) => n.replace(/^\+/, ''));
    if (DIGITS.test(number) && !invalid.includes(number)) return undefined;
    return {
      status: 400,
      body: {
        code: 'message_could_not_be_send',
        description: `The message could not be sent: ${number} is not a WhatsApp number`,
      },
    };
  }

  private expectedAuthorization(): string {
    return `Basic ${Buffer.from(`${this.options.clientId}:${this.options.clientSecret}`).toString('base64')}`;
  }
}

/**
 * Jelou's documented `message_event` envelope for an inbound message, unsigned (sign the JSON with
 * `signJelouBody`). The sandbox's `sendInbound` and the local console's WhatsApp simulator build
 * what they post with this.
 */
export function jelouInboundEnvelope(spec: InboundSpec, botId: string): { eventId: string; body: Record<string, unknown> } {
  const digits = spec.from.replace(/^\+/, '');
  const eventId = spec.eventId ?? `wamid.${randomUUID()}`;
  const value = spec.image
    ? {
        id: eventId,
        type: 'image',
        content: {
          url: spec.image.url,
          mime_type: spec.image.mimeType ?? 'image/jpeg',
          ...(spec.image.caption ? { caption: spec.image.caption } : {}),
        },
      }
    : spec.raw
      ? { id: eventId, type: spec.raw.type, ...(spec.raw.content === undefined ? {} : { content: spec.raw.content }) }
      : { id: eventId, type: 'text', content: { body: spec.text ?? '' } };
  const body = {
    field: 'messages',
    object: 'message_event',
    event_type: 'message',
    timestamp: spec.timestamp ?? Date.now(),
    project_id: 'sandbox-project',
    room_id: `room-${digits}`,
    contact: { id: digits, name: spec.name ?? 'Sandbox user' },
    conversation: { id: `conversation-${digits}` },
    bot: { id: botId, name: 'Algesta (sandbox)' },
    value,
  };
  return { eventId, body };
}

function unprocessable(description: string): Answer {
  return { status: 422, body: { code: 'unprocessable_entity', description } };
}

function safeJson(raw: string): unknown {
  try {
    return raw ? (JSON.parse(raw) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
