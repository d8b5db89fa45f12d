import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { JelouSandbox } from '../../../local/sandboxes/jelou';
import { HttpMediaFetcher } from '../../../shared/adapters/whatsapp/http-media-fetcher';
import { JelouSender } from '../../../shared/adapters/whatsapp/jelou-sender';
import { PermanentDeliveryError } from '../../../shared/application/notifications/channels';
import { TransientDeliveryError } from '../../../shared/application/whatsapp/ports';

/**
 * The Jelou adapter against the local fake that speaks Jelou's documented API (docs/whatsapp.md):
 * the request each message makes, and how each answer is classified for the retry policy.
 */
const CREDENTIALS = { botId: 'bot-algesta', clientId: 'algesta-client', clientSecret: 's3cr3t:with-colon' };
let jelou: JelouSandbox;
let sender: JelouSender;

beforeAll(async () => {
  jelou = await JelouSandbox.start({
    ...CREDENTIALS,
    templates: { order_submitted: 2 },
    invalidNumbers: ['+573000000000'],
  });
  sender = new JelouSender({ baseUrl: `${jelou.url}/`, ...CREDENTIALS, now: () => Date.parse('2026-02-02T15:00:00.000Z') });
});
afterAll(() => jelou.close());
beforeEach(() => {
  jelou.requests.length = 0;
  jelou.accepted.length = 0;
});

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the send to fail');
}

describe('JelouSender: requests', () => {
  it('a text: POST /v1/bots/{botId}/messages, Basic auth, JSON { type, text, userId } with the number without "+"', async () => {
    const result = await sender.send({ notificationId: 'n1', to: '+573001112233', text: 'Hola, ¿cómo va?' });
    expect(result.messageId).toMatch(/^msg_/);
    const [req] = jelou.requests;
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/v1/bots/bot-algesta/messages');
    expect(req?.headers.authorization).toBe(`Basic ${Buffer.from('algesta-client:s3cr3t:with-colon').toString('base64')}`);
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.body).toEqual({ type: 'text', text: 'Hola, ¿cómo va?', userId: '573001112233' });
    expect(jelou.accepted).toEqual([{ messageId: result.messageId, to: '573001112233', text: 'Hola, ¿cómo va?' }]);
  });

  it('a template: POST /v2/whatsapp/{botId}/hsm { elementName, language, destinations, parameters, type }', async () => {
    const result = await sender.send({
      notificationId: 'n2',
      to: '+573001112233',
      template: { name: 'order_submitted', language: 'es', parameters: ['Ana', 'ord_1'] },
    });
    const [req] = jelou.requests;
    expect(req?.path).toBe('/v2/whatsapp/bot-algesta/hsm');
    expect(req?.body).toEqual({
      elementName: 'order_submitted',
      language: 'es',
      destinations: ['573001112233'],
      parameters: ['Ana', 'ord_1'],
      type: 'text',
    });
    expect(result.messageId).toBe(jelou.accepted[0]?.messageId);
  });

  it('refuses for good, without calling Jelou, a number that is not E.164 or a message with both or neither body', async () => {
    expect(await failure(sender.send({ notificationId: 'n', to: '3001112233', text: 'x' }))).toBeInstanceOf(
      PermanentDeliveryError,
    );
    expect(await failure(sender.send({ notificationId: 'n', to: '+573001112233' }))).toBeInstanceOf(PermanentDeliveryError);
    expect(
      await failure(
        sender.send({
          notificationId: 'n',
          to: '+573001112233',
          text: 'x',
          template: { name: 'order_submitted', language: 'es', parameters: [] },
        }),
      ),
    ).toBeInstanceOf(PermanentDeliveryError);
    expect(jelou.requests).toEqual([]);
  });
});

describe('JelouSender: answers', () => {
  it('429 with Retry-After → transient, carrying the delay; the next send goes through', async () => {
    jelou.failNext(1, 429, 7);
    const err = await failure(sender.send({ notificationId: 'n', to: '+573001112233', text: 'x' }));
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect((err as TransientDeliveryError).retryAfterMs).toBe(7000);
    await expect(sender.send({ notificationId: 'n', to: '+573001112233', text: 'x' })).resolves.toHaveProperty('messageId');
    expect(jelou.accepted).toHaveLength(1);
  });

  it('5xx → transient (Retry-After honoured when given)', async () => {
    jelou.failNext(2, 503);
    const err = await failure(sender.send({ notificationId: 'n', to: '+573001112233', text: 'x' }));
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect((err as TransientDeliveryError).retryAfterMs).toBeUndefined();
    expect(await failure(sender.send({ notificationId: 'n', to: '+573001112233', text: 'x' }))).toBeInstanceOf(
      TransientDeliveryError,
    );
  });

  it('400 invalid number → permanent, with Jelou’s reason', async () => {
    const err = await failure(sender.send({ notificationId: 'n', to: '+573000000000', text: 'x' }));
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect((err as PermanentDeliveryError).reason).toContain('400: message_could_not_be_send');
    expect(jelou.requests[0]?.status).toBe(400);
  });

  it('an unknown template or the wrong number of parameters → permanent', async () => {
    const unknown = await failure(
      sender.send({ notificationId: 'n', to: '+573001112233', template: { name: 'nope', language: 'es', parameters: [] } }),
    );
    expect(unknown).toBeInstanceOf(PermanentDeliveryError);
    expect((unknown as PermanentDeliveryError).reason).toContain('Template does not exist');
    const wrong = await failure(
      sender.send({
        notificationId: 'n',
        to: '+573001112233',
        template: { name: 'order_submitted', language: 'es', parameters: ['only one'] },
      }),
    );
    expect(wrong).toBeInstanceOf(PermanentDeliveryError);
  });

  it('our own credentials or bot refused (401, 404 bot_not_found) → transient, to be replayed once fixed', async () => {
    const badSecret = new JelouSender({ baseUrl: jelou.url, ...CREDENTIALS, clientSecret: 'rotated' });
    expect(await failure(badSecret.send({ notificationId: 'n', to: '+573001112233', text: 'x' }))).toBeInstanceOf(
      TransientDeliveryError,
    );
    const badBot = new JelouSender({ baseUrl: jelou.url, ...CREDENTIALS, botId: 'other-bot' });
    const err = await failure(badBot.send({ notificationId: 'n', to: '+573001112233', text: 'x' }));
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect(err.message).toContain('bot_not_found');
    expect(jelou.requests.map((r) => r.status)).toEqual([401, 404]);
  });

  it('a timeout and an unreachable host → transient', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const { port } = silent.address() as AddressInfo;
    try {
      const slow = new JelouSender({ baseUrl: `http://127.0.0.1:${port}`, ...CREDENTIALS, timeoutMs: 200 });
      const err = await failure(slow.send({ notificationId: 'n', to: '+573001112233', text: 'x' }));
      expect(err).toBeInstanceOf(TransientDeliveryError);
      expect(err.message).toContain('timed out');
    } finally {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
    const gone = new JelouSender({ baseUrl: `http://127.0.0.1:${port}`, ...CREDENTIALS });
    expect(await failure(gone.send({ notificationId: 'n', to: '+573001112233', text: 'x' }))).toBeInstanceOf(
      TransientDeliveryError,
    );
  });
});

describe('HttpMediaFetcher against the fake’s media', () => {
  const JPEG = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46]);

  it('reads the bytes and the content type; refuses http unless allowed, other hosts, and oversize files', async () => {
    const url = jelou.hostMedia('photo.jpg', JPEG, 'image/jpeg');
    const media = await new HttpMediaFetcher({ allowHttp: true }).fetch(url);
    expect(Buffer.from(media.bytes)).toEqual(Buffer.from(JPEG));
    expect(media.contentType).toBe('image/jpeg');
    await expect(new HttpMediaFetcher().fetch(url)).rejects.toThrow(/https/);
    await expect(new HttpMediaFetcher({ allowHttp: true, allowedHosts: ['media.jelou.ai'] }).fetch(url)).rejects.toThrow(/host/);
    await expect(new HttpMediaFetcher({ allowHttp: true, maxBytes: 5 }).fetch(url)).rejects.toThrow(/larger/);
    await expect(new HttpMediaFetcher({ allowHttp: true }).fetch(`${jelou.url}/media/missing.jpg`)).rejects.toThrow(/404/);
  });
});
