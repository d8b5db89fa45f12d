import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { JelouSandbox } from '../../../local/sandboxes/jelou';
import { HttpMediaFetcher } from '../../../shared/adapters/whatsapp/http-media-fetcher';
import { JelouSender } from '../../../shared/adapters/whatsapp/jelou-sender';
import { parseJelouInbound, signJelouBody, verifyJelouSignature } from '../../../shared/adapters/whatsapp/jelou-webhook';
import { handleInboundWhatsApp } from '../../../shared/application/whatsapp/conversations';
import { TransientDeliveryError } from '../../../shared/application/whatsapp/ports';
import { JPEG, PHONES, world, type World } from './world';

/**
 * Both directions over HTTP: the fake Jelou posts signed `message_event`s to a webhook (here a
 * minimal one with the order of checks the real endpoint should keep: size, signature, payload,
 * handling), the conversation runs, and its replies go back through the Jelou adapter to the fake.
 */
const SECRET = 'jelou-signing-secret';
const CREDENTIALS = { botId: 'bot-algesta', clientId: 'algesta', clientSecret: 'secret' };
const MAX_BODY = 64 * 1024;

let jelou: JelouSandbox | undefined;
let webhook: Server | undefined;
afterEach(async () => {
  await jelou?.close();
  webhook?.closeAllConnections();
  await new Promise((r) => (webhook ? webhook.close(r) : r(undefined)));
});

async function rawBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function setup(): Promise<{ w: World; jelou: JelouSandbox }> {
  const w = await world();
  jelou = await JelouSandbox.start(CREDENTIALS);
  const deps = {
    ...w.deps,
    sender: new JelouSender({ baseUrl: jelou.url, ...CREDENTIALS }),
    mediaFetcher: new HttpMediaFetcher({ allowHttp: true }),
  };
  webhook = createServer((req, res) => {
    void (async () => {
      const raw = await rawBody(req);
      const answer = (status: number) => res.writeHead(status).end();
      if (!raw) return answer(413);
      const header = req.headers['x-jelou-signature'];
      if (!verifyJelouSignature(raw, Array.isArray(header) ? header[0] : header, SECRET)) return answer(401);
      const parsed = parseJelouInbound(raw);
      if (parsed.kind === 'invalid') return answer(400);
      if (parsed.kind === 'ignored') return answer(200);
      try {
        await handleInboundWhatsApp(deps, parsed.inbound);
        answer(200);
      } catch (err) {
        answer(err instanceof TransientDeliveryError ? 503 : 500);
      }
    })();
  });
  await new Promise<void>((r) => webhook!.listen(0, '127.0.0.1', r));
  jelou.setWebhook(`http://127.0.0.1:${(webhook.address() as AddressInfo).port}/api/webhooks/jelou`, SECRET);
  return { w, jelou };
}

const textsTo = (j: JelouSandbox, phone: string) => j.accepted.filter((m) => `+${m.to}` === phone).map((m) => m.text);

describe('Jelou → webhook → conversation → Jelou', () => {
  it('a client opens an order with a photo served by Jelou’s storage; every reply reaches Jelou', async () => {
    const { w, jelou } = await setup();
    const photo = jelou.hostMedia('p1.jpg', JPEG, 'image/jpeg');
    for (const text of ['hola', '1', '1', '3', 'El aire de la recepción gotea'])
      expect((await jelou.sendInbound({ from: PHONES.client, text })).status).toBe(200);
    expect((await jelou.sendInbound({ from: PHONES.client, image: { url: photo } })).status).toBe(200);
    expect((await jelou.sendInbound({ from: PHONES.client, text: 'listo' })).status).toBe(200);
    const [order] = [...w.orders.orders.values()].map((o) => o.value);
    expect(order).toMatchObject({ channel: 'whatsapp', title: 'El aire de la recepción gotea' });
    expect([...w.attachments.items.values()]).toMatchObject([
      { orderId: order!.id, status: 'STORED', contentType: 'image/jpeg' },
    ]);
    const replies = textsTo(jelou, PHONES.client);
    expect(replies).toHaveLength(7);
    expect(replies.at(-1)).toContain(order!.id);
  });

  it('a forged, re-serialized or missing signature is refused with 401 and has no effect; a replay has none either', async () => {
    const { w, jelou } = await setup();
    const spec = { from: PHONES.client, text: 'hola', eventId: 'wamid.fixed' };
    expect((await jelou.sendInbound(spec, { signature: `sha256=${'0'.repeat(64)}` })).status).toBe(401);
    expect((await jelou.sendInbound(spec, { signature: null })).status).toBe(401);
    const { body } = jelou.inboundEnvelope(spec);
    expect((await jelou.sendInbound(spec, { rawBody: JSON.stringify(body, null, 1) })).status).toBe(401);
    expect(w.conversations.puts).toBe(0);
    expect(jelou.accepted).toEqual([]);

    expect((await jelou.sendInbound(spec)).status).toBe(200);
    expect((await jelou.sendInbound(spec)).status).toBe(200);
    expect(textsTo(jelou, PHONES.client)).toHaveLength(1);
  });

  it('Jelou rate-limits the reply: 503, and the redelivery sends it once', async () => {
    const { jelou } = await setup();
    jelou.failNext(1, 429, 2);
    const spec = { from: PHONES.provider, text: 'hola', eventId: 'wamid.limited' };
    expect((await jelou.sendInbound(spec)).status).toBe(503);
    expect(jelou.accepted).toEqual([]);
    expect((await jelou.sendInbound(spec)).status).toBe(200);
    expect((await jelou.sendInbound(spec)).status).toBe(200);
    expect(textsTo(jelou, PHONES.provider)).toEqual([expect.stringMatching(/^Hola, Luis\./)]);
  });

  it('an oversized body is refused with 413, an unknown event acknowledged, a malformed one 400', async () => {
    const { jelou } = await setup();
    expect((await jelou.sendInbound({ from: PHONES.client, text: 'x'.repeat(MAX_BODY) })).status).toBe(413);
    expect((await jelou.sendInbound({ from: 'not-a-phone', text: 'x' })).status).toBe(400);
    const closed = JSON.stringify({
      ...jelou.inboundEnvelope({ from: PHONES.client, text: 'x' }).body,
      event_type: 'conversation_closed',
    });
    const ignored = await jelou.sendInbound(
      { from: PHONES.client },
      { rawBody: closed, signature: signJelouBody(closed, SECRET) },
    );
    expect(ignored.status).toBe(200);
    expect(jelou.accepted).toEqual([]);
    // A message of a kind the conversation cannot read (audio) is answered, politely.
    expect(
      (await jelou.sendInbound({ from: PHONES.client, raw: { type: 'audio', content: { url: 'https://x/a.ogg' } } })).status,
    ).toBe(200);
    expect(textsTo(jelou, PHONES.client)).toEqual(['Por este medio solo podemos leer texto y fotos.']);
  });
});
