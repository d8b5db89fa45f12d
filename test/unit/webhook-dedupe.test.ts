import { describe, expect, it } from 'vitest';
import type { OutgoingMessage } from '../../shared/application/messaging';
import { receiveConnectEvent } from '../../shared/application/integrations/connect-events';
import type { ContractEvent } from '../../shared/application/integrations/ports';
import { inboundEventId, queueInboundWhatsApp } from '../../shared/application/whatsapp/inbound';
import type { InboundWhatsApp } from '../../shared/application/whatsapp/ports';
import { eventKey, staleness, WEBHOOK_WINDOWS, type WebhookReceipts } from '../../shared/application/webhook-events';
import { CLIENT, operator, PROVIDER, world } from '../support/order-world';

/**
 * Partner webhook dedupe with in-memory ports: keys are the sender's exact ids (never a sanitised or
 * truncated form), receipts have no count bound, events outside the sender's window are refused
 * with no effect, and the windows and receipt lifetimes fit together.
 */
class MemoryReceipts implements WebhookReceipts {
  readonly records = new Map<string, { at: Date; ttlSeconds: number }>();
  async has(consumer: string, id: string) {
    return this.records.has(`${consumer}:${id}`);
  }
  async record(consumer: string, id: string, at: Date, ttlSeconds: number) {
    this.records.set(`${consumer}:${id}`, { at, ttlSeconds });
  }
}

const NOW = '2026-03-01T12:00:00.000Z';
const HOUR = 3_600_000;
const ago = (ms: number) => new Date(Date.parse(NOW) - ms).toISOString();

function queue() {
  const published: OutgoingMessage[] = [];
  let failNext = false;
  const receipts = new MemoryReceipts();
  const deps = {
    receipts,
    clock: { now: () => new Date(NOW) },
    publisher: {
      publish: async (messages: readonly OutgoingMessage[]) => {
        if (failNext) {
          failNext = false;
          throw new Error('bus down');
        }
        published.push(...messages);
      },
    },
  };
  const inbound = (eventId: string, at = NOW): InboundWhatsApp => ({
    eventId,
    from: '+573001112233',
    at,
    kind: 'text',
    text: 'hola',
  });
  const send = (eventId: string, at?: string) => queueInboundWhatsApp(deps, inbound(eventId, at), { correlationId: 'c' });
  return { deps, published, receipts, send, failOnce: () => void (failNext = true) };
}

describe('event keys', () => {
  const COSMOS_SAFE = /^[^/\\?#]{1,255}$/;

  it('keep every character of the id: wamid.X and wamid_X differ, and so do ids sharing their first 120 characters', () => {
    expect(eventKey('wamid.X')).not.toBe(eventKey('wamid_X'));
    const prefix = 'wamid.' + 'A'.repeat(114);
    expect(eventKey(prefix + 'B1')).not.toBe(eventKey(prefix + 'B2'));
    expect(eventKey('x'.repeat(100))).not.toBe(eventKey('x'.repeat(101)));
  });

  it('are the id itself when plain and short, else its SHA-256; the two forms never meet', () => {
    expect(eventKey('wamid.HBgM-1:2=')).toBe('id-wamid.HBgM-1:2=');
    expect(eventKey('a/b')).toMatch(/^sha256-[0-9a-f]{64}$/);
    expect(eventKey('x'.repeat(101))).toMatch(/^sha256-[0-9a-f]{64}$/);
    const hashed = eventKey('a/b');
    expect(eventKey(hashed)).toBe(`id-${hashed}`);
    for (const id of ['wamid.X', 'a/b?c#d\\e', 'ñandú', 'x'.repeat(5000), 'docusign:0000-1:envelope-completed'])
      expect(eventKey(id)).toMatch(COSMOS_SAFE);
    // A Service Bus message id holds 128 characters.
    expect(inboundEventId('x'.repeat(100)).length).toBeLessThanOrEqual(128);
  });
});

describe('windows', () => {
  it('each remembers an event longer than it can be accepted', () => {
    for (const w of Object.values(WEBHOOK_WINDOWS))
      expect(w.rememberSeconds).toBeGreaterThan(w.maxAgeSeconds + w.maxAheadSeconds);
  });

  it('refuse what is too old or too far ahead, and what is no date', () => {
    const now = new Date(NOW);
    expect(staleness(WEBHOOK_WINDOWS.jelou, ago(23 * HOUR), now)).toBeUndefined();
    expect(staleness(WEBHOOK_WINDOWS.jelou, ago(25 * HOUR), now)).toContain('24 hours');
    expect(staleness(WEBHOOK_WINDOWS.jelou, ago(-HOUR), now)).toContain('ahead');
    expect(staleness(WEBHOOK_WINDOWS.docusign, ago(14 * 24 * HOUR), now)).toBeUndefined();
    expect(staleness(WEBHOOK_WINDOWS.docusign, ago(16 * 24 * HOUR), now)).toContain('15 days');
    expect(staleness(WEBHOOK_WINDOWS.docusign, 'yesterday', now)).toContain('not a date');
  });
});

describe('Jelou inbound: queued once per exact message id', () => {
  it('wamid.X and wamid_X are two messages: both queued, under different bus ids', async () => {
    const q = queue();
    expect(await q.send('wamid.X')).toEqual({ kind: 'handled', result: 'queued' });
    expect(await q.send('wamid_X')).toEqual({ kind: 'handled', result: 'queued' });
    expect(q.published.map((m) => (m.body.data as InboundWhatsApp).eventId)).toEqual(['wamid.X', 'wamid_X']);
    expect(new Set(q.published.map((m) => m.messageId)).size).toBe(2);
  });

  it('two ids sharing their first 120 characters are two messages', async () => {
    const q = queue();
    const prefix = 'wamid.' + 'HBgMNTczMDAxMTEyMjMzFQIAEhgg'.repeat(5).slice(0, 114);
    await q.send(prefix + '-first');
    await q.send(prefix + '-second');
    expect(q.published).toHaveLength(2);
    expect(new Set(q.published.map((m) => m.messageId)).size).toBe(2);
  });

  it('a replay is a duplicate — also after 250 other messages — and queues nothing', async () => {
    const q = queue();
    await q.send('wamid.first');
    for (let i = 0; i < 250; i++) await q.send(`wamid.other-${i}`);
    expect(await q.send('wamid.first')).toEqual({ kind: 'duplicate' });
    expect(q.published.filter((m) => (m.body.data as InboundWhatsApp).eventId === 'wamid.first')).toHaveLength(1);
    expect(q.receipts.records.get(`webhook-jelou:${eventKey('wamid.first')}`)?.ttlSeconds).toBe(7 * 86_400);
  });

  it('a message from 2 days ago (or an hour ahead) is refused: nothing queued, nothing remembered', async () => {
    const q = queue();
    const old = await q.send('wamid.old', ago(48 * HOUR));
    expect(old.kind).toBe('stale');
    expect((await q.send('wamid.future', ago(-HOUR))).kind).toBe('stale');
    expect(q.published).toHaveLength(0);
    expect(q.receipts.records.size).toBe(0);
  });

  it('a message the bus refused is not remembered: the retry queues it', async () => {
    const q = queue();
    q.failOnce();
    await expect(q.send('wamid.retry')).rejects.toThrow('bus down');
    expect(await q.send('wamid.retry')).toEqual({ kind: 'handled', result: 'queued' });
    expect(q.published).toHaveLength(1);
  });
});

describe('DocuSign Connect: an envelope event acts once, and only while Connect could be delivering it', () => {
  async function contracting() {
    const w = await world(NOW);
    const order = await w.create('P3');
    await w.act(order.id, operator, 'triage');
    await w.act(order.id, operator, 'assign', { providerId: PROVIDER, amount: { amount: 500_000_00, currency: 'COP' } });
    expect((await w.get(order.id)).status).toBe('CONTRACTING');
    const receipts = new MemoryReceipts();
    const event = (generatedDateTime: string): ContractEvent => ({
      eventId: 'docusign:env-1:envelope-completed',
      event: 'envelope-completed',
      sourceEvent: 'envelope-completed',
      envelopeId: 'env-1',
      orderId: order.id,
      generatedDateTime,
    });
    const receive = (e: ContractEvent) => receiveConnectEvent({ ...w.deps, receipts }, { correlationId: 'c' }, e);
    return { w, id: order.id, receipts, event, receive };
  }

  it('generated 30 days ago: refused, the order stays CONTRACTING, nothing remembered', async () => {
    const c = await contracting();
    const before = await c.w.get(c.id);
    expect((await c.receive(c.event(ago(30 * 24 * HOUR)))).kind).toBe('stale');
    const after = await c.w.get(c.id);
    expect(after.status).toBe('CONTRACTING');
    expect(after.version).toBe(before.version);
    expect(c.receipts.records.size).toBe(0);
  });

  it('in the window: signed once; the same event again is a duplicate, remembered 30 days', async () => {
    const c = await contracting();
    expect(await c.receive(c.event(ago(2 * 24 * HOUR)))).toEqual({ kind: 'handled', result: 'signed' });
    const signed = await c.w.get(c.id);
    expect(signed.status).toBe('SCHEDULED');
    expect(await c.receive(c.event(ago(HOUR)))).toEqual({ kind: 'duplicate' });
    expect((await c.w.get(c.id)).version).toBe(signed.version);
    expect([...c.receipts.records.values()].map((r) => r.ttlSeconds)).toEqual([30 * 86_400]);
    expect(c.w.orders.events.filter((e) => e.subject === c.id && e.type === 'order.status-changed').at(-1)?.data).toMatchObject({
      to: 'SCHEDULED',
    });
  });

  it('an event that changes nothing leaves no receipt (the order keeps deciding)', async () => {
    const c = await contracting();
    const other = { ...c.event(NOW), orderId: `ord_${CLIENT.slice(4)}_01JNOSUCHORDER000000000000` };
    expect(await c.receive(other)).toEqual({ kind: 'handled', result: 'ignored' });
    expect(c.receipts.records.size).toBe(0);
  });
});
