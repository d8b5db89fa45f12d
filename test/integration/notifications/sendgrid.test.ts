import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SendGridMailer, TransientSendError } from '../../../shared/adapters/email/sendgrid-mailer';
import { PermanentDeliveryError, type OutgoingEmail } from '../../../shared/application/notifications/channels';
import { startSendGridFake, type SendGridFake } from '../../support/fakes/sendgrid-fake';

/**
 * The SendGrid adapter (`@sendgrid/mail`) against a local fake of the v3 Mail Send API: the request
 * SendGrid documents (auth, personalizations, content, custom_args), and how its answers map to
 * permanent and transient failures.
 */
const KEY = 'SG.test-key';
let fake: SendGridFake;
let mailer: SendGridMailer;

beforeAll(async () => {
  fake = await startSendGridFake(KEY);
  mailer = new SendGridMailer({ apiKey: KEY, from: { email: 'no-reply@algesta.co', name: 'Algesta' }, baseUrl: fake.url });
});
afterAll(async () => {
  await fake?.close();
});

const email = (to = 'ana@x.test'): OutgoingEmail => ({
  notificationId: 'evt_1.email.u-client',
  recipientUserId: 'u-client',
  to,
  toName: 'Ana Pérez',
  subject: 'Orden recibida: Aire',
  text: 'Hola Ana',
  html: '<p>Hola Ana</p>',
});

describe('SendGrid adapter', () => {
  it('sends the documented request: bearer key, personalizations, from, subject, text and HTML, custom_args', async () => {
    await mailer.send(email());
    const { headers, body } = fake.received.at(-1)!;
    expect(headers.authorization).toBe(`Bearer ${KEY}`);
    expect(headers['content-type']).toMatch(/^application\/json/);
    expect(body.personalizations[0].to).toEqual([{ email: 'ana@x.test', name: 'Ana Pérez' }]);
    expect(body.from).toEqual({ email: 'no-reply@algesta.co', name: 'Algesta' });
    expect(body.subject).toBe('Orden recibida: Aire');
    expect(body.content).toEqual([
      { type: 'text/plain', value: 'Hola Ana' },
      { type: 'text/html', value: '<p>Hola Ana</p>' },
    ]);
    // SendGrid echoes custom_args in every Event Webhook report: how a bounce finds its record.
    expect(body.custom_args).toEqual({ notificationId: 'evt_1.email.u-client', recipientUserId: 'u-client' });
  });

  it('an invalid address (400) and a bad key (401) are permanent refusals with SendGrid’s reason', async () => {
    const refused = await mailer.send(email('not-an-address')).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PermanentDeliveryError);
    expect((refused as PermanentDeliveryError).reason).toMatch(
      /400.*personalizations\.0\.to\.0\.email: Does not contain a valid address/,
    );
    const wrongKey = new SendGridMailer({ apiKey: 'SG.wrong', from: { email: 'no-reply@algesta.co' }, baseUrl: fake.url });
    expect(await wrongKey.send(email()).catch((e: unknown) => e)).toBeInstanceOf(PermanentDeliveryError);
  });

  it('429 with Retry-After and 5xx are transient (the bus retries); the key never appears in the error', async () => {
    fake.failNext(1, 429, { errors: [{ message: 'too many requests' }] }, { 'retry-after': '7' });
    const limited = await mailer.send(email()).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(TransientSendError);
    expect((limited as TransientSendError).retryAfterMs).toBe(7000);
    fake.failNext(1, 503, { errors: [{ message: 'service unavailable' }] });
    const down = await mailer.send(email()).catch((e: unknown) => e);
    expect(down).toBeInstanceOf(TransientSendError);
    expect(String((down as Error).message)).not.toContain(KEY);
    await mailer.send(email()); // recovered
    expect(fake.received.length).toBeGreaterThanOrEqual(5);
  });

  it('a partner that does not answer at all is transient too', async () => {
    const nowhere = new SendGridMailer({
      apiKey: KEY,
      from: { email: 'no-reply@algesta.co' },
      baseUrl: 'http://127.0.0.1:9',
      timeoutMs: 2000,
    });
    expect(await nowhere.send(email()).catch((e: unknown) => e)).toBeInstanceOf(TransientSendError);
  });
});
