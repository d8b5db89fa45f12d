import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../local/seed';
import { eventually, orderActions, readOrder, startTestStack, typedClients } from '../support/stack';

/**
 * The local console in a real browser: headless Chromium (Debian's `chromium` package, driven by
 * playwright-core through its `executablePath`; no browser download) clicks through "open an order
 * by WhatsApp → sign the contract → read the e-mail" on the real local stack. The operator's,
 * provider's and client's steps between the WhatsApp order and the contract go through the API with
 * the stack's tokens; the clicks are the console's.
 *
 * Without Chromium the test is skipped and its name says why. `CONSOLE_SCREENSHOT=docs/console.png`
 * also saves a screenshot of the simulator's conversation (the one in the README).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
const TITLE = HAS_CHROMIUM
  ? 'the local console in Chromium'
  : `the local console in Chromium — SKIPPED: no browser at ${CHROMIUM}; install Debian's package (apt-get install -y chromium) or set CHROMIUM_PATH`;
if (!HAS_CHROMIUM) console.warn(`console-browser.test.ts: ${TITLE}`);

let stack: Awaited<ReturnType<typeof startTestStack>>;
let browser: Browser;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  if (!HAS_CHROMIUM) return;
  stack = await startTestStack();
  browser = await chromium.launch({ executablePath: CHROMIUM });
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.url });
  page = await context.newPage();
  // A blocked resource or a script error (a CSP violation among them) is a failure of the console.
  page.on('console', (m) => void (m.type() === 'error' && problems.push(m.text())));
  page.on('pageerror', (e) => void problems.push(e.message));
  page.on('response', (r) => void (r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`)));
});
afterAll(async () => {
  await browser?.close();
  await stack?.dispose();
});

/** Types one WhatsApp message in the simulator; answers the conversation's replies after it. */
async function say(text: string): Promise<string[]> {
  const before = await page.locator('ol.chat li.out').count();
  await page.getByRole('textbox', { name: 'Message' }).fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
  await page.waitForLoadState();
  await expect.poll(() => page.locator('ol.chat li.out').count()).toBeGreaterThan(before);
  return (await page.locator('ol.chat li.out').allInnerTexts()).slice(before);
}

/** A link of the console's navigation. */
const nav = (name: string) => page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name, exact: true });

/** Reloads until the locator shows something (the workflows run behind the pages). */
async function untilVisible(locator: ReturnType<Page['locator']>): Promise<void> {
  await eventually(async () => {
    if ((await locator.count()) > 0) return true;
    await page.reload();
    return undefined;
  });
}

describe.skipIf(!HAS_CHROMIUM)(TITLE, () => {
  it('open an order by WhatsApp → sign its contract → read the e-mail, all by clicking through the console', async () => {
    const as = typedClients(stack.url);
    const act = orderActions(as);
    const t = stack.tokens;

    // Home: the API reference link and a token per role, with a working copy button.
    await page.goto(`${stack.url}/console`);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).innerText()).toBe('Algesta local console');
    expect(await page.getByRole('link', { name: 'API reference' }).getAttribute('href')).toBe('/api/docs');
    expect(await page.getByLabel('Token of the demo operator').inputValue()).toBe(t.operator);
    await page.locator('button[data-copy="token-operator"]').click();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(t.operator);

    // The simulator, as the demo client's phone: menu → new order → site 1 → category 3 → text → done.
    await nav('WhatsApp').click();
    await page.getByLabel('Seeded phone').selectOption(DEMO.phones.client);
    expect((await say('Hola')).join('\n')).toMatch(/1/);
    await say('1');
    await say('1');
    await say('3');
    await say('El aire de la recepción gotea');
    const opened = (await say('listo')).join('\n');
    const orderId = /ord_[A-Za-z0-9_]+/.exec(opened)?.[0];
    expect(orderId, opened).toBeDefined();
    // What the client typed is in the conversation too, in order.
    const chat = await page.locator('ol.chat li').allInnerTexts();
    expect(chat.findIndex((l) => l.includes('El aire de la recepción gotea'))).toBeLessThan(
      chat.findIndex((l) => l.includes(orderId!)),
    );
    if (process.env.CONSOLE_SCREENSHOT) {
      await mkdir(dirname(process.env.CONSOLE_SCREENSHOT), { recursive: true });
      await page.screenshot({ path: process.env.CONSOLE_SCREENSHOT, fullPage: true });
    }

    // The operator's and the provider's part, by API: triage, quotes, selection; the client approves.
    const order = await readOrder(as, t.client, orderId!);
    expect(order).toMatchObject({ channel: 'whatsapp', status: 'SUBMITTED', title: 'El aire de la recepción gotea' });
    await act(orderId!, 'triage', t.operator, { category: 'hvac' });
    await act(orderId!, 'request-quotes', t.operator, { quoteDeadline: new Date(Date.now() + 3_600_000).toISOString() });
    const quote = await as(t.provider).POST('/api/v1/orders/{orderId}/quotes', {
      params: { path: { orderId: orderId! } },
      body: {
        amount: { amount: 850_000_00, currency: 'COP' },
        leadTimeDays: 2,
        validUntil: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10),
      },
    });
    expect(quote.response.status).toBe(201);
    await act(orderId!, 'select-quote', t.operator, { quoteId: quote.data!.id });
    await act(orderId!, 'approve', t.client);

    // DocuSign: the contract's envelope waits for signature; Sign.
    await nav('DocuSign').click();
    const row = page.getByRole('row').filter({ hasText: orderId! });
    await untilVisible(row.getByRole('button', { name: /^Sign / }));
    await row.getByRole('button', { name: /^Sign / }).click();
    await expect
      .poll(() => page.getByRole('status').innerText())
      .toMatch(/^Signed envelope .+ DocuSign Connect posted envelope-completed: HTTP 200\.$/);
    expect(await row.getByRole('cell').nth(4).innerText()).toBe('completed');

    // The mailbox: the client's "contract signed" e-mail, opened and read.
    await nav('Mailbox').click();
    const mail = page
      .getByRole('row')
      .filter({ hasText: 'client@demo.algesta.local' })
      .filter({ hasText: 'Contrato firmado: El aire de la recepción gotea' });
    await untilVisible(mail);
    await mail.getByRole('link').click();
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Contrato firmado: El aire de la recepción gotea');
    const body = page.frameLocator('iframe.mail').locator('body');
    await expect.poll(() => body.innerText()).toContain('está firmado');
    expect(await page.locator('pre.mail-text').innerText()).toContain('El proveedor programará la visita');
    expect((await readOrder(as, t.client, orderId!)).status).toBe('SCHEDULED');

    expect(problems).toEqual([]);
  });
});
