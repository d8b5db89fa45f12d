import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JelouSandbox } from '../../local/sandboxes/jelou';
import { DEMO } from '../../local/seed';
import { LOCAL_JELOU_WEBHOOK_SECRET } from '../../local/stack';
import { loadOrCreateSendGridWebhookKey, type SendGridWebhookKey } from '../../local/webhook-keys';
import { readWhatsAppOutbox } from '../../shared/adapters/whatsapp/sandbox-whatsapp';
import { replyNotificationId } from '../../shared/application/whatsapp/event-ids';
import {
  apiClient,
  createOrder,
  eventually,
  orderActions,
  quotedOrder,
  readOrder,
  startTestStack,
  typedClients,
} from '../support/stack';
import { children, kill, runningStack, startHost } from '../support/host-process';

/**
 * The three partner webhooks on the local host, each with correctly signed requests: distinct
 * events are each handled once (ids that a sanitised or truncated key would merge), a replay has no
 * second effect — also after the host was killed and restarted — and an event older than its
 * sender's window is refused with no effect. Effects are counted at the end: replies in the WhatsApp
 * outbox per event id, the order's history, the notification's status history.
 */
const CLIENT_PHONE = '+573001112233'; // the demo client's profile: every message gets a reply
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let stack: Awaited<ReturnType<typeof startTestStack>>;
let api: ReturnType<typeof apiClient>;
let as: ReturnType<typeof typedClients>;
let act: ReturnType<typeof orderActions>;
let t: Record<'admin' | 'operator' | 'client' | 'provider', string>;
let jelou: JelouSandbox;
let sendgrid: SendGridWebhookKey;

beforeAll(async () => {
  stack = await startTestStack();
  api = apiClient(`${stack.url}/api`);
  as = typedClients(stack.url);
  act = orderActions(as);
  t = stack.tokens;
  jelou = await JelouSandbox.start({ botId: 'bot-algesta', clientId: 'algesta', clientSecret: 'secret' });
  jelou.setWebhook(`${stack.url}/api/webhooks/jelou`, LOCAL_JELOU_WEBHOOK_SECRET);
  sendgrid = await loadOrCreateSendGridWebhookKey(join(stack.dataDir, 'sendgrid-webhook'));
}, 120_000);
afterAll(async () => {
  await jelou?.close();
  await stack?.dispose();
});

/** Replies the conversation sent for one inbound event (their notification ids derive from it). */
async function repliesFor(outboxDir: string, eventId: string): Promise<number> {
  const first = replyNotificationId(eventId, 0);
  const prefix = first.slice(0, -1);
  return (await readWhatsAppOutbox(outboxDir)).filter((m) => m.notificationId.startsWith(prefix)).length;
}
const outboxDir = () => join(stack.dataDir, 'sandbox', 'whatsapp');
const settle = () => new Promise((r) => setTimeout(r, 1500)); // time enough for the bus to deliver a queued event

describe('Jelou webhook', () => {
  it('wamid.X and wamid_X, and two ids sharing their first 120 characters, are four messages: each answered once', async () => {
    const long = `wamid.${'HBgMNTczMDAxMTEyMjMzFQIAEhggM0VCMEM2'.repeat(4).slice(0, 114)}`;
    const ids = ['wamid.X', 'wamid_X', `${long}-first`, `${long}-second`];
    for (const eventId of ids) {
      const r = await jelou.sendInbound({ from: CLIENT_PHONE, text: 'Hola', eventId });
      expect(r.status, r.body).toBe(200);
      expect(JSON.parse(r.body)).toEqual({ status: 'queued' });
      await eventually(async () => ((await repliesFor(outboxDir(), eventId)) > 0 ? true : undefined));
    }
    await settle();
    for (const eventId of ids) expect(await repliesFor(outboxDir(), eventId), eventId).toBe(1);
  });

  it('a replay of a handled message is a duplicate: no second reply', async () => {
    const spec = { from: CLIENT_PHONE, text: 'Hola', eventId: 'wamid.replayed' };
    expect((await jelou.sendInbound(spec)).status).toBe(200);
    await eventually(async () => ((await repliesFor(outboxDir(), spec.eventId)) > 0 ? true : undefined));
    for (let i = 0; i < 3; i++) {
      const again = await jelou.sendInbound(spec);
      expect(again.status).toBe(200);
      expect(JSON.parse(again.body)).toEqual({ status: 'duplicate' });
    }
    await settle();
    expect(await repliesFor(outboxDir(), spec.eventId)).toBe(1);
  });

  it('a signed message timestamped 2 days ago (or 1 hour ahead) is refused with 400 and never answered', async () => {
    const before = (await readWhatsAppOutbox(outboxDir())).length;
    const stale = await jelou.sendInbound({
      from: CLIENT_PHONE,
      text: 'Hola',
      eventId: 'wamid.stale',
      timestamp: Date.now() - 2 * DAY,
    });
    expect(stale.status, stale.body).toBe(400);
    expect(JSON.parse(stale.body)).toMatchObject({ type: 'https://api.algesta.co/problems/validation-error' });
    const ahead = await jelou.sendInbound({
      from: CLIENT_PHONE,
      text: 'Hola',
      eventId: 'wamid.ahead',
      timestamp: Date.now() + HOUR,
    });
    expect(ahead.status, ahead.body).toBe(400);
    await settle();
    expect(await repliesFor(outboxDir(), 'wamid.stale')).toBe(0);
    expect(await repliesFor(outboxDir(), 'wamid.ahead')).toBe(0);
    expect((await readWhatsAppOutbox(outboxDir())).length).toBe(before);
  });
});

describe('DocuSign Connect webhook', () => {
  const order = (id: string) => readOrder(as, t.operator, id);

  async function contracting(): Promise<{ id: string; envelopeId: string }> {
    const id = await quotedOrder(as, t, 'Contrato viejo');
    await act(id, 'approve', t.client);
    const envelopeId = await eventually(async () => (await order(id)).contract?.envelopeId);
    return { id, envelopeId };
  }

  /** The sandbox's own Connect message for the envelope, generated `age` ago, signed with the account's key. */
  function generatedAgo(envelopeId: string, ageMs: number): { rawBody: string; headers: Record<string, string> } {
    const docusign = stack.services.sandboxes!.docusign;
    const message = JSON.parse(docusign.connectMessage(envelopeId, 'envelope-completed').rawBody.toString('utf8'));
    const rawBody = JSON.stringify({ ...message, generatedDateTime: new Date(Date.now() - ageMs).toISOString() });
    const key = stack.services.sandboxes!.credentials.docusign.hmacKey;
    return {
      rawBody,
      headers: {
        'content-type': 'application/json',
        'x-docusign-signature-1': createHmac('sha256', key).update(rawBody).digest('base64'),
      },
    };
  }

  it('an envelope-completed generated 30 days ago is refused and the order stays CONTRACTING; the real one signs once', async () => {
    const { id, envelopeId } = await contracting();
    const before = await order(id);
    const stale = generatedAgo(envelopeId, 30 * DAY);
    const refused = await api('POST', '/webhooks/docusign', stale);
    expect(refused.status, refused.text).toBe(400);
    expect(refused.body).toMatchObject({ type: 'https://api.algesta.co/problems/validation-error' });
    expect(refused.text).toContain('15 days');
    const after = await order(id);
    expect(after.status).toBe('CONTRACTING');
    expect(after.version).toBe(before.version);

    // Not vacuous: the same envelope's news, generated now, signs the contract — once.
    const delivery = await stack.services.sandboxes!.docusign.complete(envelopeId);
    expect(delivery.status).toBe(200);
    expect((await order(id)).status).toBe('SCHEDULED');
    const replay = await stack.services.sandboxes!.docusign.redeliver(
      stack.services.sandboxes!.docusign.deliveries.indexOf(delivery),
    );
    expect(replay.status).toBe(200);
    const again = await api('POST', '/webhooks/docusign', generatedAgo(envelopeId, HOUR));
    expect(again.body).toEqual({ outcome: 'duplicate' });
    const history = (
      await as(t.operator).GET('/api/v1/orders/{orderId}/history', { params: { path: { orderId: id }, query: { limit: 100 } } })
    ).data!.items;
    expect(history.filter((h) => h.action === 'contract-signed')).toHaveLength(1);
  });
});

describe('SendGrid Event Webhook', () => {
  function signedPost(body: string) {
    const timestamp = String(Math.floor(Date.now() / 1000));
    return api('POST', '/webhooks/sendgrid', {
      rawBody: body,
      headers: {
        'content-type': 'application/json',
        'x-twilio-email-event-webhook-timestamp': timestamp,
        'x-twilio-email-event-webhook-signature': sendgrid.sign(timestamp, body),
      },
    });
  }

  it('applied counts what changed: 1 for the report, 0 for its replay and for a report on a final record', async () => {
    const orderId = (await createOrder(as, t.client, { title: 'Entrega', description: 'x' })).id;
    const notes = async () =>
      (await as(t.client).GET('/api/v1/notifications', { params: { query: { orderId, limit: 100 } } })).data!.items;
    const note = await eventually(async () => (await notes()).find((n) => n.status === 'sent'));
    const report = (event: string, sgEventId: string) => ({
      email: 'client@demo.algesta.local',
      event,
      sg_event_id: sgEventId,
      timestamp: Math.floor(Date.now() / 1000),
      notificationId: note.id,
      recipientUserId: DEMO.users.client,
    });
    const body = JSON.stringify([report('delivered', `sg-${orderId}-1`)]);
    expect((await signedPost(body)).body).toEqual({ received: 1, applied: 1 });
    expect((await signedPost(body)).body).toEqual({ received: 1, applied: 0 });
    expect((await signedPost(JSON.stringify([report('bounce', `sg-${orderId}-2`)]))).body).toEqual({ received: 1, applied: 0 });
    const final = (await notes()).find((n) => n.id === note.id)!;
    expect(final.status).toBe('delivered');
    expect(final.history.filter((h) => h.status === 'delivered')).toHaveLength(1);
  });
});

describe('the webhooks’ own problem texts', () => {
  it('in the OpenAPI document and in a 401: their signature and their body limit, never the bearer token or 1 MB', async () => {
    // Raw: the document's own answer has no schema for the typed client to give it a type.
    const doc = (await api('GET', '/v1/openapi.json')).body;
    const texts = (path: string) => doc.paths[path].post.responses as Record<string, { description: string }>;
    const limits: Record<string, string> = {
      '/api/webhooks/jelou': '64 KiB',
      '/api/webhooks/docusign': '1 MiB',
      '/api/webhooks/sendgrid': '1 MiB',
    };
    for (const [path, limit] of Object.entries(limits)) {
      const r = texts(path);
      expect(r['401']!.description, path).not.toMatch(/bearer/i);
      expect(r['413']!.description, path).toContain(limit);
      expect(r['413']!.description, path).not.toContain('1 MB');
      expect(r['400']!.description, path).not.toMatch(/Idempotency|validation-error or/);
    }
    const unsigned = await jelou.sendInbound({ from: CLIENT_PHONE, text: 'Hola' }, { signature: null });
    expect(unsigned.status).toBe(401);
    expect(JSON.parse(unsigned.body).detail).toContain('X-Jelou-Signature');
    const raw = await fetch(`${stack.url}/api/webhooks/docusign`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(raw.status).toBe(401);
    expect(raw.headers.get('www-authenticate')).toBeNull();
    expect(((await raw.json()) as { detail: string }).detail).toContain('X-DocuSign-Signature');
  });
});

describe('after SIGKILL and a restart', () => {
  let dataDir: string | undefined;
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('a replayed Jelou message is still a duplicate: one reply in all', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'algesta-webhook-restart-'));
    const fake = await JelouSandbox.start({ botId: 'bot-algesta', clientId: 'algesta', clientSecret: 'secret' });
    try {
      const first = await startHost(dataDir);
      const outbox = (await runningStack(dataDir)).outboxes.whatsapp;
      fake.setWebhook(`${first.url}/api/webhooks/jelou`, LOCAL_JELOU_WEBHOOK_SECRET);
      const spec = { from: CLIENT_PHONE, text: 'Hola', eventId: 'wamid.before-restart', timestamp: Date.now() };
      expect((await fake.sendInbound(spec)).status).toBe(200);
      await eventually(async () => ((await repliesFor(outbox, spec.eventId)) > 0 ? true : undefined), 30_000);
      await kill(first.child);

      const second = await startHost(dataDir);
      fake.setWebhook(`${second.url}/api/webhooks/jelou`, LOCAL_JELOU_WEBHOOK_SECRET);
      const replay = await fake.sendInbound(spec); // the same signed bytes
      expect(replay.status).toBe(200);
      expect(JSON.parse(replay.body)).toEqual({ status: 'duplicate' });
      // A new message after the replay: once it is answered, the bus has had its chance at the replay.
      const next = { from: CLIENT_PHONE, text: 'Hola', eventId: 'wamid.after-restart' };
      expect((await fake.sendInbound(next)).status).toBe(200);
      await eventually(async () => ((await repliesFor(outbox, next.eventId)) > 0 ? true : undefined), 30_000);
      await settle();
      expect(await repliesFor(outbox, spec.eventId)).toBe(1);
      expect(await repliesFor(outbox, next.eventId)).toBe(1);
      await kill(second.child);
    } finally {
      await fake.close();
    }
  }, 180_000);
});
