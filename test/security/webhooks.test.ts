import { createHmac, generateKeyPairSync, createSign } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_JELOU_WEBHOOK_SECRET } from '../../local/stack';
import { loadOrCreateSendGridWebhookKey, type SendGridWebhookKey } from '../../local/webhook-keys';
import { signJelouBody } from '../../shared/adapters/whatsapp/jelou-webhook';
import { startSecurityStack, writeSignal, type SecurityStack } from '../support/security/setup';

/**
 * The partner webhooks, one generated set of cases over the three: unsigned, forged (another key),
 * tampered (signed, then changed), oversized, replayed, and stale (by the signature's timestamp, or
 * by the signed body's own time where the signature covers none) → refused, and nothing written. Every signature endpoint must have a signer here.
 */
let s: SecurityStack;
let sendgrid: SendGridWebhookKey;
beforeAll(async () => {
  s = await startSecurityStack();
  sendgrid = await loadOrCreateSendGridWebhookKey(join(s.stack.dataDir, 'sendgrid-webhook'));
}, 120_000);
afterAll(async () => {
  await s?.stack.dispose();
});

interface Signer {
  readonly path: string;
  /** A well-formed message of no consequence (ids nobody knows). */
  sample(): string;
  sign(raw: string, at?: number): Record<string, string>;
  forge(raw: string): Record<string, string>;
  /** Whether the signature covers a timestamp (then a stale one is refused). */
  readonly timestamped: boolean;
  /**
   * Where the signature covers no time: a well-formed event whose signed body dates it outside the
   * sender's window (refused with 400).
   */
  staleSample?(): string;
}

const now = () => Math.floor(Date.now() / 1000);
const otherEc = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

const SIGNERS: Record<string, Signer> = {
  'webhooks-sendgrid': {
    path: '/webhooks/sendgrid',
    timestamped: true,
    sample: () =>
      JSON.stringify([{ email: 'x@example.com', event: 'delivered', sg_message_id: 'sec-unknown.1', timestamp: now() }]),
    sign: (raw, at = now()) => ({
      'x-twilio-email-event-webhook-timestamp': String(at),
      'x-twilio-email-event-webhook-signature': sendgrid.sign(String(at), raw),
    }),
    forge: (raw) => {
      const at = String(now());
      const sig = createSign('sha256')
        .update(at + raw)
        .sign(otherEc.privateKey, 'base64');
      return { 'x-twilio-email-event-webhook-timestamp': at, 'x-twilio-email-event-webhook-signature': sig };
    },
  },
  'webhooks-jelou': {
    path: '/webhooks/jelou',
    timestamped: false,
    sample: () => JSON.stringify({ event: 'status', messageId: 'sec-unknown', status: 'delivered' }),
    staleSample: () =>
      JSON.stringify({
        object: 'message_event',
        event_type: 'message',
        timestamp: Date.now() - 2 * 86_400_000,
        contact: { id: '573119990000' },
        value: { id: 'wamid.sec-stale', type: 'text', content: { body: 'Hola' } },
      }),
    sign: (raw) => ({ 'x-jelou-signature': signJelouBody(raw, LOCAL_JELOU_WEBHOOK_SECRET) }),
    forge: (raw) => ({ 'x-jelou-signature': signJelouBody(raw, 'not-the-secret') }),
  },
  'webhooks-docusign': {
    path: '/webhooks/docusign',
    timestamped: false,
    sample: () =>
      JSON.stringify({
        event: 'envelope-completed',
        apiVersion: 'v2.1',
        retryCount: 0,
        generatedDateTime: new Date().toISOString(),
        data: { envelopeId: '00000000-0000-0000-0000-00000000dead' },
      }),
    staleSample: () =>
      JSON.stringify({
        event: 'envelope-completed',
        apiVersion: 'v2.1',
        retryCount: 0,
        generatedDateTime: new Date(Date.now() - 30 * 86_400_000).toISOString(),
        data: { envelopeId: '00000000-0000-0000-0000-00000000dead' },
      }),
    sign: (raw) => ({
      'x-docusign-signature-1': createHmac('sha256', s.stack.services.sandboxes!.credentials.docusign.hmacKey)
        .update(raw)
        .digest('base64'),
    }),
    forge: (raw) => ({ 'x-docusign-signature-1': createHmac('sha256', 'not-the-key').update(raw).digest('base64') }),
  },
};

type Case = {
  name: string;
  build(w: Signer): { raw: string; headers: Record<string, string> };
  expect: (status: number) => boolean;
};
const refused401 = (st: number) => st === 401;
const CASES: Case[] = [
  { name: 'unsigned', build: (w) => ({ raw: w.sample(), headers: {} }), expect: refused401 },
  { name: 'forged (another key)', build: (w) => ({ raw: w.sample(), headers: w.forge(w.sample()) }), expect: refused401 },
  {
    name: 'tampered (signed, then changed)',
    build: (w) => {
      const raw = w.sample();
      return { raw: raw.replace('sec-unknown', 'sec-tampered').replace('dead', 'beef'), headers: w.sign(raw) };
    },
    expect: refused401,
  },
  {
    name: 'signature of an empty body',
    build: (w) => ({ raw: w.sample(), headers: w.sign('') }),
    expect: refused401,
  },
  {
    name: 'oversized (2 MB, validly signed)',
    build: (w) => {
      const raw = JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) });
      return { raw, headers: w.sign(raw) };
    },
    expect: (st) => st === 413 || st === 401,
  },
];

const post = (w: Signer, raw: string, headers: Record<string, string>) =>
  s.api('POST', `/api${w.path}`.replace('/api/webhooks', '/webhooks'), {
    rawBody: raw,
    headers: { 'content-type': 'application/json', ...headers },
  });

describe('webhooks', () => {
  it('every signature endpoint has a signer here', () => {
    const webhooks = s.endpoints.filter((e) => e.auth === 'signature').map((e) => e.name);
    expect(webhooks.sort()).toEqual(Object.keys(SIGNERS).sort());
  });

  const matrix = Object.keys(SIGNERS).flatMap((w) => CASES.map((c) => [w, c.name] as const));
  it.each(matrix)('%s: %s → refused, nothing written', async (w, c) => {
    const signer = SIGNERS[w]!;
    const kase = CASES.find((k) => k.name === c)!;
    const before = await writeSignal(s);
    const { raw, headers } = kase.build(signer);
    const r = await post(signer, raw, headers);
    expect(kase.expect(r.status), `${w} ${c}: ${r.status} ${r.text.slice(0, 200)}`).toBe(true);
    expect(await writeSignal(s)).toEqual(before);
  });

  it.each(Object.keys(SIGNERS))(
    '%s: a validly signed message is accepted (the refusals above are not vacuous), a replay changes nothing',
    async (w) => {
      const signer = SIGNERS[w]!;
      const raw = signer.sample();
      const headers = signer.sign(raw);
      const first = await post(signer, raw, headers);
      expect(first.status, `${w}: ${first.text}`).not.toBe(401);
      expect(first.status, `${w}: ${first.text}`).toBeLessThan(500);
      const before = await writeSignal(s);
      for (let i = 0; i < 3; i++) {
        const again = await post(signer, raw, headers);
        expect(again.status, `${w} replay ${i}`).toBe(first.status);
      }
      expect(await writeSignal(s)).toEqual(before);
    },
  );

  it.each(Object.keys(SIGNERS).filter((w) => SIGNERS[w]!.staleSample))(
    '%s: validly signed, but dated outside the sender’s window in its body → 400, nothing written',
    async (w) => {
      const signer = SIGNERS[w]!;
      const raw = signer.staleSample!();
      const before = await writeSignal(s);
      const r = await post(signer, raw, signer.sign(raw));
      expect(r.status, `${w}: ${r.text}`).toBe(400);
      expect(await writeSignal(s)).toEqual(before);
    },
  );

  it.each(Object.keys(SIGNERS).filter((w) => SIGNERS[w]!.timestamped))(
    '%s: stale (captured an hour ago, replayed) → 401',
    async (w) => {
      const signer = SIGNERS[w]!;
      const raw = signer.sample();
      const before = await writeSignal(s);
      for (const at of [now() - 3600, now() + 3600]) {
        const r = await post(signer, raw, signer.sign(raw, at));
        expect(r.status, `${w} at ${at}: ${r.text}`).toBe(401);
      }
      expect(await writeSignal(s)).toEqual(before);
    },
  );
});
