import { Client } from '@sendgrid/client';
import { MailService } from '@sendgrid/mail';
import { PermanentDeliveryError, type EmailSender, type OutgoingEmail } from '../../application/notifications/channels';
import { instruments } from '../../platform/telemetry';

/**
 * E-mail through SendGrid's v3 Mail Send API with `@sendgrid/mail`. The notification id and its
 * recipient travel as `custom_args`, which SendGrid echoes in every Event Webhook report, so a
 * delivery or bounce finds its record. A 4xx other than 408/429 is a permanent refusal (the record
 * fails with SendGrid's reason); 408, 429, 5xx and network errors are transient (the bus retries).
 */
export interface SendGridOptions {
  readonly apiKey: string;
  readonly from: { readonly email: string; readonly name?: string };
  /** Another host speaking the same API (EU data residency `https://api.eu.sendgrid.com`, a test fake). */
  readonly baseUrl?: string;
  readonly timeoutMs?: number;
}

export class TransientSendError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'TransientSendError';
  }
}

export class SendGridMailer implements EmailSender {
  private readonly mail: MailService;

  constructor(private readonly options: SendGridOptions) {
    const client = new Client();
    client.setApiKey(options.apiKey);
    if (options.baseUrl) client.setDefaultRequest('baseUrl', options.baseUrl);
    this.mail = new MailService();
    this.mail.setClient(client);
    this.mail.setTimeout(options.timeoutMs ?? 10_000);
  }

  async send(email: OutgoingEmail): Promise<void> {
    try {
      await this.mail.send({
        to: { email: email.to, ...(email.toName ? { name: email.toName } : {}) },
        from: { email: this.options.from.email, ...(this.options.from.name ? { name: this.options.from.name } : {}) },
        subject: email.subject,
        text: email.text,
        html: email.html,
        customArgs: { notificationId: email.notificationId, recipientUserId: email.recipientUserId },
      });
    } catch (err) {
      const failure = classify(err);
      instruments.partnerFailed({
        partner: 'sendgrid',
        kind: failure instanceof PermanentDeliveryError ? 'rejected' : 'unavailable',
      });
      throw failure;
    }
  }
}

interface SendGridError {
  code?: number;
  response?: { headers?: Record<string, string>; body?: { errors?: { message?: string; field?: string }[] } };
}

function classify(err: unknown): Error {
  const e = err as SendGridError;
  const status = typeof e.code === 'number' ? e.code : undefined;
  const reasons = (e.response?.body?.errors ?? []).map((x) => (x.field ? `${x.field}: ${x.message}` : String(x.message)));
  const detail = reasons.length ? reasons.join('; ') : (err as Error).message;
  if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) {
    return new PermanentDeliveryError(`SendGrid refused the message (${status}): ${detail}`, { cause: err });
  }
  const retryAfter = Number(e.response?.headers?.['retry-after']);
  return new TransientSendError(
    `SendGrid unavailable${status ? ` (${status})` : ''}: ${detail}`,
    Number.isFinite(retryAfter) ? retryAfter * 1000 : undefined,
  );
}
