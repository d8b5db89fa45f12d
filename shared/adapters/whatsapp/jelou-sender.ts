import { PermanentDeliveryError, type OutgoingWhatsApp, type WhatsAppSender } from '../../application/notifications/channels';
import { TransientDeliveryError } from '../../application/whatsapp/ports';
import { isE164, withoutPlus } from '../../domain/whatsapp/phone';
import { instruments } from '../../platform/telemetry';

/**
 * WhatsApp through Jelou's HTTP API (docs.jelou.ai; docs/whatsapp.md has the contract and links):
 *
 * - free text inside the 24-hour window: `POST {base}/v1/bots/{botId}/messages`
 *   `{ type: "text", text, userId }` → `{ success, messageId }`;
 * - an approved template (HSM): `POST {base}/v2/whatsapp/{botId}/hsm`
 *   `{ elementName, language, destinations: [number], parameters: [...], type: "text" }`
 *   → `[{ id, destination }]`;
 * - `Authorization: Basic base64(clientId:clientSecret)`; numbers without the `+`.
 *
 * No retry here: the bus retries the message (a blind in-process retry of a POST that may have been
 * delivered would send twice). Failures are classified for the caller: 429, 5xx, 408, timeouts and
 * network errors are TransientDeliveryError (with `Retry-After`); a refusal of the message itself
 * (invalid number, unknown template, other 4xx) is PermanentDeliveryError; our own credentials or
 * bot refused (401, 403, 404 `bot_not_found`) are transient too, so that a wrong or rotated secret
 * sends messages to the dead-letter queue for replay instead of marking them failed for good.
 */
export interface JelouSenderOptions {
  /** `https://api.jelou.ai` in production; the local fake's URL in tests. */
  readonly baseUrl: string;
  readonly botId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Per request; default 10 s. */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
  /** For `Retry-After` given as a date. */
  readonly now?: () => number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

export class JelouSender implements WhatsAppSender {
  private readonly base: string;
  private readonly authorization: string;
  private readonly doFetch: typeof fetch;
  private readonly now: () => number;

  constructor(private readonly options: JelouSenderOptions) {
    if (!options.botId || !options.clientId || !options.clientSecret)
      throw new Error('Jelou bot id and credentials are required');
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.authorization = `Basic ${Buffer.from(`${options.clientId}:${options.clientSecret}`, 'utf8').toString('base64')}`;
    this.doFetch = options.fetch ?? fetch;
    this.now = options.now ?? Date.now;
  }

  async send(message: OutgoingWhatsApp): Promise<{ readonly messageId?: string }> {
    if (!isE164(message.to)) throw new PermanentDeliveryError(`not an E.164 phone number: ${message.to}`);
    if ((message.template === undefined) === (message.text === undefined))
      throw new PermanentDeliveryError('a WhatsApp message has exactly one of template and text');
    try {
      return await this.call(message);
    } catch (err) {
      // One count per failed call to Jelou, by kind, as the e-mail and partner adapters count theirs
      // (what on-call alerts on); a message we refused before calling is not Jelou's failure.
      if (err instanceof PermanentDeliveryError) instruments.partnerFailed({ partner: 'jelou', kind: 'rejected' });
      else if (err instanceof TransientDeliveryError) instruments.partnerFailed({ partner: 'jelou', kind: 'unavailable' });
      throw err;
    }
  }

  private async call(message: OutgoingWhatsApp): Promise<{ readonly messageId?: string }> {
    const number = withoutPlus(message.to);
    const bot = encodeURIComponent(this.options.botId);
    const response = message.template
      ? await this.post(`/v2/whatsapp/${bot}/hsm`, {
          elementName: message.template.name,
          language: message.template.language,
          destinations: [number],
          parameters: message.template.parameters,
          type: 'text',
        })
      : await this.post(`/v1/bots/${bot}/messages`, { type: 'text', text: message.text, userId: number });
    const body = await readJson(response);
    if (!response.ok) throw this.failure(response, body, message);
    return messageIdOf(body, message);
  }

  private async post(path: string, body: unknown): Promise<Response> {
    try {
      return await this.doFetch(`${this.base}${path}`, {
        method: 'POST',
        headers: { authorization: this.authorization, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      });
    } catch (err) {
      const what = err instanceof Error && err.name === 'TimeoutError' ? 'timed out' : 'could not be reached';
      throw new TransientDeliveryError(`Jelou ${what}`, undefined, { cause: err });
    }
  }

  private failure(response: Response, body: unknown, message: OutgoingWhatsApp): Error {
    const status = response.status;
    const reason = `Jelou answered ${status}${describe(body)}`;
    if (status === 429 || status === 408 || status >= 500)
      return new TransientDeliveryError(reason, retryAfterMs(response.headers.get('retry-after'), this.now()));
    if (status === 401 || status === 403 || (status === 404 && codeOf(body) === 'bot_not_found'))
      return new TransientDeliveryError(`${reason} (check the Jelou bot id and credentials)`);
    return new PermanentDeliveryError(message.template ? `${reason} (template ${message.template.name})` : reason);
  }
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text().catch(() => '');
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text.slice(0, 200);
  }
}

function messageIdOf(body: unknown, message: OutgoingWhatsApp): { messageId?: string } {
  if (Array.isArray(body)) {
    const first = body[0] as { id?: unknown } | undefined;
    return typeof first?.id === 'string' ? { messageId: first.id } : {};
  }
  const b = body as { success?: unknown; messageId?: unknown } | undefined;
  // A 2xx that says it did not send is a refusal of this message, not an outage.
  if (b?.success === false) throw new PermanentDeliveryError(`Jelou did not send ${message.notificationId}${describe(body)}`);
  return typeof b?.messageId === 'string' ? { messageId: b.messageId } : {};
}

/** Jelou's error bodies: `{ code, description }`, `{ message: [...], status }` or `{ error: { code, key, description } }`. */
function codeOf(body: unknown): string | undefined {
  const b = body as { code?: unknown; error?: { code?: unknown; key?: unknown } } | undefined;
  const code = b?.code ?? b?.error?.key ?? b?.error?.code;
  return typeof code === 'string' ? code : undefined;
}

function describe(body: unknown): string {
  if (body === undefined) return '';
  if (typeof body === 'string') return `: ${body}`;
  const b = body as { description?: unknown; message?: unknown; error?: { description?: unknown } };
  const text = b.description ?? b.error?.description ?? (Array.isArray(b.message) ? b.message.join('; ') : b.message);
  const code = codeOf(body);
  const parts = [code, typeof text === 'string' ? text : undefined].filter(Boolean).join(' — ');
  return parts ? `: ${parts.slice(0, 300)}` : '';
}

/** `Retry-After` as seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (!header) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
