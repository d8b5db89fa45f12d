import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RETRY_SCHEDULE, type RetrySchedule } from '../../shared/application/events/retry';
import { DEMO } from '../../local/seed';
import {
  apiClient,
  createOrder,
  eventually,
  orderActions,
  quotedOrder,
  readOrder,
  startTestStack,
  typedClients,
  type TypedClients,
} from '../support/stack';

/**
 * The local console over plain HTTP, on the real local stack: every page answers, what users typed
 * (an order title, a WhatsApp message) comes back escaped, its forms act through the real paths
 * (a signed Jelou webhook, DocuSign Connect, the bus's replay), and it refuses requests that are not
 * addressed to this machine and forms posted from another origin. The browser walk-through is
 * console-browser.test.ts.
 */
const HOSTILE = '<script>alert("x")</script> Aire';
const SHORT: RetrySchedule = { maxAttempts: 10, firstDelayMs: 20, maxDelayMs: 100, maxRetryAfterMs: 100, jitter: 0 };
let schedule: RetrySchedule = RETRY_SCHEDULE;

let stack: Awaited<ReturnType<typeof startTestStack>>;
let api: ReturnType<typeof apiClient>;
let as: TypedClients;
let origin: string;

beforeAll(async () => {
  stack = await startTestStack({}, { retrySchedule: () => schedule });
  api = apiClient(`${stack.url}/api`);
  as = typedClients(stack.url);
  origin = stack.url;
});
afterAll(async () => {
  await stack?.dispose();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** A raw request (fetch will not send another `Host`). */
function call(method: string, path: string, opts: { headers?: Record<string, string>; form?: Record<string, string> } = {}) {
  const body = opts.form ? new URLSearchParams(opts.form).toString() : undefined;
  const url = new URL(path, stack.url);
  return new Promise<Answer>((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        headers: {
          ...(body !== undefined
            ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)) }
            : {}),
          ...opts.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: flat(Buffer.concat(chunks).toString('utf8')) }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The markup with its layout whitespace collapsed (and `<x />` as `<x>`), for assertions on it. */
const flat = (text: string) => text.replace(/\s+/g, ' ').replace(/ ?\/>/g, '>').replace(/> /g, '>').replace(/ </g, '<');

const get = (path: string) => call('GET', path);
/** A console form posted as the browser posts it from the console's own page. */
const post = (path: string, form: Record<string, string>) => call('POST', path, { form, headers: { origin } });

/** No markup of ours from user data: the hostile value appears only escaped. */
function expectEscaped(page: string, needle = 'alert(&quot;x&quot;)') {
  expect(page).not.toContain('<script>alert');
  expect(page).toContain(`&lt;script&gt;${needle}`);
}

describe('the local console (HTTP)', () => {
  it('the home page lists every page, the API reference and a token per demo role; static files; security headers', async () => {
    const home = await get('/console');
    expect(home.status).toBe(200);
    expect(home.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(home.headers['content-security-policy']).toContain("script-src 'self'");
    expect(home.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(home.headers['x-frame-options']).toBe('DENY');
    for (const href of [
      '/console/mailbox',
      '/console/whatsapp',
      '/console/docusign',
      '/console/partners',
      '/console/dead-letters',
      '/api/docs',
    ])
      expect(home.text).toContain(`href="${href}"`);
    for (const [role, token] of Object.entries(stack.tokens)) {
      expect(home.text).toContain(`id="token-${role}" type="text" readonly value="${token}"`);
      // The token works against the API.
      expect((await api('GET', '/v1/me', { token })).status).toBe(200);
    }
    expect(home.text).toMatch(/<caption>Development tokens/);
    expect(home.text).not.toMatch(/style="|<style|<script>/); // nothing inline
    const css = await get('/console/console.css');
    expect([css.status, css.headers['content-type']]).toEqual([200, 'text/css; charset=utf-8']);
    expect(css.text).toContain(':focus-visible');
    expect((await get('/console/console.js')).headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await get('/console/nope')).status).toBe(404);
    expect((await call('PUT', '/console', { headers: { origin } })).status).toBe(405);
    // The API's own routes are untouched.
    expect((await api('GET', '/health/ready')).status).toBe(200);
  });

  it('refuses requests not addressed to this machine (DNS rebinding) and forms from another origin (CSRF)', async () => {
    for (const host of ['evil.example', 'evil.example:7071', '127.0.0.1.evil.example', 'localhost.evil.example'])
      expect((await call('GET', '/console', { headers: { host } })).status, host).toBe(403);
    for (const host of ['localhost:7071', 'localhost', '127.0.0.1:1234', '[::1]:7071', 'app.localhost:7071'])
      expect((await call('GET', '/console', { headers: { host } })).status, host).toBe(200);
    const refused = await call('GET', '/console', { headers: { host: 'evil.example' } });
    expect(refused.text).not.toContain(stack.tokens.admin);

    const form = { phone: DEMO.phones.client, text: 'Hola' };
    const outboxBefore = (await get(`/console/whatsapp?phone=${encodeURIComponent(DEMO.phones.client)}`)).text;
    const foreign: Record<string, string>[] = [
      { origin: 'http://evil.example' },
      { origin: 'null' },
      { referer: 'http://evil.example/page' },
      {},
      { origin: `${origin}.evil.example` },
    ];
    for (const headers of foreign) {
      const answer = await call('POST', '/console/whatsapp', { form, headers });
      expect(answer.status, JSON.stringify(headers)).toBe(403);
    }
    // Nothing was sent.
    expect((await get(`/console/whatsapp?phone=${encodeURIComponent(DEMO.phones.client)}`)).text).toBe(outboxBefore);
    // Same origin by Referer (when a browser drops Origin) passes.
    const viaReferer = await call('POST', '/console/whatsapp', {
      form: { phone: '', other: '+573110000001', text: 'hola' },
      headers: { referer: `${origin}/console/whatsapp` },
    });
    expect(viaReferer.status).toBe(303);
  });

  it('WhatsApp: a message typed as any phone goes out as a signed Jelou webhook; the conversation shows it and the reply, escaped', async () => {
    const stranger = '+573119990001';
    const sent = await post('/console/whatsapp', { phone: '', other: '+57 311 999 0001', text: HOSTILE });
    expect(sent.status).toBe(303);
    expect(sent.headers.location).toBe(`/console/whatsapp?phone=${encodeURIComponent(stranger)}`);
    const page = await get(sent.headers.location as string);
    expect(page.status).toBe(200);
    expectEscaped(page.text);
    // The webhook verified the signature and queued it: the bot answered the unknown number once.
    const chat = page.text.slice(page.text.indexOf('<ol class="chat"'));
    expect(chat.match(/<li class="out">/g)).toHaveLength(1);
    expect(chat.indexOf('class="in"')).toBeLessThan(chat.indexOf('class="out"'));
    expect(page.text).not.toContain('webhook answered');

    // A seeded phone: the client's menu.
    const client = await post('/console/whatsapp', { phone: DEMO.phones.client, other: '', text: 'Hola' });
    const conversation = await get(client.headers.location as string);
    expect(conversation.text).toMatch(/<li class="out">[\s\S]*1/);
    expect(conversation.text).toContain(`<option value="${DEMO.phones.client}" selected>`);

    // Not a phone number: the form says so, nothing is sent.
    const bad = await post('/console/whatsapp', { phone: '', other: '<b>x</b>', text: 'x' });
    expect(bad.status).toBe(303);
    const again = await get(bad.headers.location as string);
    expect(again.text).toContain('Choose a seeded phone or type a number');
  });

  it('WhatsApp: "Share location" posts Jelou’s location message; the provider without a visit is told so', async () => {
    const page = await get(`/console/whatsapp?phone=${encodeURIComponent(DEMO.phones.provider)}`);
    expect(page.text).toContain(`value="${DEMO.siteLocations[0].location.lat}"`);
    const shared = await post('/console/whatsapp', {
      phone: DEMO.phones.provider,
      other: '',
      text: '',
      share: 'location',
      lat: '4.647',
      lon: '-74.0638',
    });
    expect(shared.status).toBe(303);
    const conversation = await get(shared.headers.location as string);
    expect(conversation.text).toContain('📍 4.647, -74.0638');
    expect(conversation.text).toContain('No tiene una orden programada ni un trabajo en curso');
    const bad = await post('/console/whatsapp', {
      phone: DEMO.phones.provider,
      other: '',
      text: '',
      share: 'location',
      lat: '91',
      lon: '0',
    });
    expect((await get(bad.headers.location as string)).text).toContain('Give a latitude');
  });

  it('mailbox and partners: the e-mails and the Asana task of an order with a hostile title, newest first, escaped', async () => {
    await createOrder(as, stack.tokens.client, { title: HOSTILE, description: 'x', externalRef: 'QS-7001' });
    const list = await eventually(async () => {
      const page = await get('/console/mailbox');
      return page.text.includes('&lt;script&gt;') ? page : undefined;
    });
    expect(list.status).toBe(200);
    expectEscaped(list.text);
    expect(list.text).toMatch(/<caption>E-mails, newest first/);
    const link = /<a href="(\/console\/mailbox\/[^"]+)">[^<]*&lt;script&gt;/.exec(list.text)?.[1];
    expect(link).toBeDefined();
    const mail = await get(link!.replace(/&amp;/g, '&'));
    expect(mail.status).toBe(200);
    // The HTML part in a sandboxed frame, as an attribute value: the template's own escaping, escaped again.
    expect(mail.text).toMatch(/<iframe class="mail" title="HTML part of the e-mail" sandbox srcdoc="[^"]*&amp;lt;script&amp;gt;/);
    expect(mail.text).toMatch(/<pre class="mail-text">[^<]*&lt;script&gt;alert/);
    expectEscaped(mail.text);
    // The newest e-mail comes first.
    await createOrder(as, stack.tokens.client, { title: 'Newer order', description: 'x' });
    await eventually(async () => {
      const rows = [...(await get('/console/mailbox')).text.matchAll(/<a href="\/console\/mailbox\/[^"]+">([^<]*)<\/a>/g)];
      return rows[0]?.[1]?.includes('Newer order') ? true : undefined;
    });
    expect((await get('/console/mailbox/..%2F..%2Fetc%2Fpasswd')).status).toBe(404);

    const partners = await eventually(async () => {
      const page = await get('/console/partners');
      return page.text.includes('QS-7001') && page.text.includes('&lt;script&gt;') ? page : undefined;
    });
    expect(partners.text).toMatch(/<caption>Asana tasks<\/caption>/);
    expect(partners.text).toMatch(/<caption>Qsystems tickets<\/caption>[\s\S]*QS-7001[\s\S]*SUBMITTED/);
    expectEscaped(partners.text);
  });

  it('DocuSign: the envelope of an approved order waits with a Sign button; signing (same origin only) completes the contract', async () => {
    const id = await quotedOrder(as, stack.tokens, HOSTILE);
    await orderActions(as)(id, 'approve', stack.tokens.client);
    const envelopeId = await eventually(async () => (await readOrder(as, stack.tokens.operator, id)).contract?.envelopeId);
    const page = await get('/console/docusign');
    expect(page.status).toBe(200);
    expect(page.text).toContain(`<code>${id}</code>`);
    expect(page.text).toContain(`<input type="hidden" name="envelopeId" value="${envelopeId}">`);
    expect(page.text).toMatch(/<caption>Envelopes, waiting for signature first<\/caption>/);

    const forged = await call('POST', '/console/docusign/sign', {
      form: { envelopeId },
      headers: { origin: 'http://evil.example' },
    });
    expect(forged.status).toBe(403);
    expect(stack.services.sandboxes!.docusign.envelope(envelopeId)?.status).toBe('sent');

    const signed = await post('/console/docusign/sign', { envelopeId });
    expect(signed.status).toBe(303);
    const after = await get(signed.headers.location as string);
    expect(after.text).toContain(`Signed envelope ${envelopeId}. DocuSign Connect posted envelope-completed: HTTP 200.`);
    expect(stack.services.sandboxes!.docusign.envelope(envelopeId)?.status).toBe('completed');
    await eventually(async () => ((await readOrder(as, stack.tokens.client, id)).status === 'SCHEDULED' ? true : undefined));
    // Signed twice: the page says so, nothing else happens.
    const twice = await post('/console/docusign/sign', { envelopeId });
    expect((await get(twice.headers.location as string)).text).toContain('is already completed');
  });

  it('dead letters: a message the workflow gave up on is listed and replayed from the console (the dlq command code)', async () => {
    const ds = stack.services.sandboxes!.docusign;
    const id = await quotedOrder(as, stack.tokens, 'Caída de DocuSign');
    // DocuSign in maintenance, answering Retry-After 11 s: each attempt fails without opening the
    // circuit (partner-outage.test.ts), and the shortened schedule spends the 10 attempts at once.
    ds.failNext(1_000, 503, { retryAfterSeconds: 11, match: { path: /\/envelopes$/ } });
    schedule = SHORT;
    await orderActions(as)(id, 'approve', stack.tokens.client);
    const bus = stack.services.bus!;
    const dead = await eventually(
      async () => (await bus.deadLetters('orders-workflow')).find((d) => d.applicationProperties.subject === id),
      30_000,
    );
    const page = await get('/console/dead-letters');
    expect(page.text).toMatch(/<caption>Dead-lettered messages<\/caption>/);
    expect(page.text).toContain(`<code>${dead.messageId}</code>`);
    expect(page.text).toContain('order.contract-requested');

    const forged = await call('POST', '/console/dead-letters/replay', {
      form: { subscription: 'orders-workflow', messageId: dead.messageId },
      headers: { origin: 'http://evil.example' },
    });
    expect(forged.status).toBe(403);
    expect((await bus.deadLetters('orders-workflow')).map((d) => d.messageId)).toContain(dead.messageId);

    ds.recover();
    schedule = RETRY_SCHEDULE;
    const replayed = await post('/console/dead-letters/replay', { subscription: 'orders-workflow', messageId: dead.messageId });
    expect(replayed.headers.location).toBe('/console/dead-letters?replayed=1');
    expect((await get(replayed.headers.location as string)).text).toContain('Replayed 1 message(s).');
    await eventually(async () => (await readOrder(as, stack.tokens.operator, id)).contract?.envelopeId, 25_000);
    expect(await bus.deadLetters('orders-workflow')).toEqual([]);
    expect((await post('/console/dead-letters/replay', { subscription: 'nope', messageId: 'x' })).status).toBe(400);
  });
});
