/**
 * The local console at `/console` on the local host (docs/local-host.md, "The console"): the
 * mailbox, a WhatsApp simulator, DocuSign envelopes to sign, the Asana/Qsystems/assets sandboxes'
 * records, the dead-letter queues with replay, links to the API reference and the demo tokens.
 *
 * Local tooling only: the local host mounts it ahead of the Functions routing (`localRoutes`), the
 * Functions entry never imports it, so it is not in `dist/` (test/integration/bundle-contents.test.ts).
 * No authentication: it refuses requests not addressed to this machine and forms posted from
 * another origin (guard.ts).
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Role } from '../../shared/domain/access/principal';
import { listDeadLetters, replayDeadLetters, UsageError } from '../bus/dlq-commands';
import type { LocalBus } from '../bus/local-bus';
import type { LocalRoutes } from '../host/http-host';
import type { Sandboxes } from '../sandboxes';
import { refuseCrossOrigin, refuseForeignHost } from './guard';
import { listMail, readMail } from './mailbox';
import {
  deadLettersPage,
  docusignPage,
  errorPage,
  homePage,
  mailboxPage,
  mailPage,
  noSandboxesPage,
  partnersPage,
  whatsappPage,
} from './pages';
import { normalizePhone, WhatsAppSimulator } from './whatsapp';

export interface ConsoleOptions {
  /** The host's own URL (`http://127.0.0.1:7071`), known once it listens. */
  readonly apiUrl: () => string;
  readonly tokens: () => Readonly<Record<Role, string>>;
  /** `SANDBOX_DIR`'s outboxes (local/stack-file.ts `outboxesOf`). */
  readonly outboxes: { readonly mailbox: string; readonly whatsapp: string };
  readonly sandboxes?: Sandboxes;
  readonly bus?: () => LocalBus | undefined;
  /** `JELOU_WEBHOOK_SECRET` and `JELOU_BOT_ID`: without a secret the simulator cannot sign. */
  readonly jelou: { readonly secret?: string; readonly botId: string };
  /** The seeded phones the simulator offers. */
  readonly phones: readonly { readonly label: string; readonly phone: string }[];
  /** Where "Share location" starts (a demo site's coordinates), so a check-in lands inside its radius. */
  readonly location?: { readonly lat: number; readonly lon: number };
}

const PREFIX = '/console';
const MAX_FORM_BYTES = 64 * 1024;
const STATIC: Record<string, { type: string; body: Buffer }> = {
  '/console/console.css': { type: 'text/css; charset=utf-8', body: readFileSync(new URL('./console.css', import.meta.url)) },
  '/console/console.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(new URL('./console.js', import.meta.url)) },
};

/**
 * Scripts and styles from the console only, nothing inline; the e-mail frame (srcdoc) inherits this
 * policy, so a mail's HTML can load nothing either. No framing of the console by other pages.
 */
const CSP =
  "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function createConsole(opts: ConsoleOptions): LocalRoutes {
  const simulator = opts.jelou.secret
    ? new WhatsAppSimulator({
        dir: opts.outboxes.whatsapp,
        webhookUrl: () => `${opts.apiUrl()}/api/webhooks/jelou`,
        secret: opts.jelou.secret,
        botId: opts.jelou.botId,
      })
    : undefined;

  async function route(req: IncomingMessage, url: URL): Promise<Answer> {
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const q = url.searchParams;

    if (method === 'GET') {
      const file = STATIC[path];
      if (file) return { status: 200, type: file.type, body: file.body };
      if (path === PREFIX)
        return ok(
          homePage({
            tokens: opts.tokens(),
            apiUrl: opts.apiUrl(),
            ...(opts.sandboxes
              ? {
                  sandboxes: {
                    DocuSign: opts.sandboxes.docusign.url,
                    Asana: opts.sandboxes.asana.url,
                    Assets: opts.sandboxes.assets.url,
                    Qsystems: opts.sandboxes.qsystems.url,
                  },
                }
              : {}),
          }),
        );
      if (path === `${PREFIX}/mailbox`)
        return ok(mailboxPage({ ...(await listMail(opts.outboxes.mailbox)), dir: opts.outboxes.mailbox }));
      const mail = /^\/console\/mailbox\/([^/]+)$/.exec(path);
      if (mail) {
        const found = await readMail(opts.outboxes.mailbox, decodeURIComponent(mail[1] ?? ''));
        if (!found) throw new HttpError(404, 'No such e-mail in the mailbox.');
        return ok(mailPage(found));
      }
      if (path === `${PREFIX}/whatsapp`) return whatsapp(q.get('phone') ?? undefined, q.get('error') ?? undefined);
      if (path === `${PREFIX}/docusign`) {
        if (!opts.sandboxes) return ok(noSandboxesPage('DocuSign envelopes', `${PREFIX}/docusign`));
        const docusign = opts.sandboxes.docusign;
        const signed = q.get('signed');
        return ok(
          docusignPage({
            envelopes: docusign.envelopes(),
            signUrl: (id) => docusign.signUrl(id),
            ...(signed ? { message: `Signed envelope ${signed}. ${q.get('connect') ?? ''}`.trim() } : {}),
            ...(q.get('error') ? { error: q.get('error') ?? '' } : {}),
          }),
        );
      }
      if (path === `${PREFIX}/partners`) {
        if (!opts.sandboxes) return ok(noSandboxesPage('Asana, Qsystems, assets', `${PREFIX}/partners`));
        const s = opts.sandboxes;
        return ok(partnersPage({ tasks: s.asana.tasks(), tickets: s.qsystems.tickets(), records: s.assets.records() }));
      }
      if (path === `${PREFIX}/dead-letters`) {
        const bus = opts.bus?.();
        const replayed = q.get('replayed');
        return ok(
          deadLettersPage({
            entries: bus ? await listDeadLetters(bus) : undefined,
            ...(replayed ? { message: `Replayed ${replayed} message(s).` } : {}),
            ...(q.get('error') ? { error: q.get('error') ?? '' } : {}),
          }),
        );
      }
      throw new HttpError(404, 'No such console page.');
    }

    if (method === 'POST') {
      const refusal = refuseCrossOrigin(req.headers);
      if (refusal) throw new HttpError(refusal.status, refusal.reason);
      const form = await readForm(req);
      if (path === `${PREFIX}/whatsapp`) return sendWhatsApp(form);
      if (path === `${PREFIX}/docusign/sign`) return sign(form.get('envelopeId') ?? '');
      if (path === `${PREFIX}/dead-letters/replay`) return replay(form);
      throw new HttpError(404, 'No such console form.');
    }
    throw new HttpError(405, 'The console answers GET and POST only.');
  }

  async function whatsapp(phone: string | undefined, error: string | undefined): Promise<Answer> {
    const selected = phone ? normalizePhone(phone) : undefined;
    return ok(
      whatsappPage({
        phones: opts.phones,
        others: simulator ? await simulator.phones() : [],
        ...(selected ? { selected } : {}),
        conversation: simulator && selected ? await simulator.conversation(selected) : [],
        ...(error ? { error } : {}),
        enabled: simulator !== undefined,
        location: opts.location ?? { lat: 0, lon: 0 },
      }),
    );
  }

  async function sendWhatsApp(form: URLSearchParams): Promise<Answer> {
    if (!simulator) throw new HttpError(409, 'The simulator needs JELOU_WEBHOOK_SECRET.');
    const typed = (form.get('other') ?? '').trim();
    const phone = normalizePhone(typed || (form.get('phone') ?? ''));
    const text = (form.get('text') ?? '').trim();
    if (!phone)
      return seeOther(
        `${PREFIX}/whatsapp?error=${encodeURIComponent('Choose a seeded phone or type a number like +573001234567.')}`,
      );
    const back = `${PREFIX}/whatsapp?phone=${encodeURIComponent(phone)}`;
    const share = form.get('share') === 'location';
    const [lat, lon] = [Number(form.get('lat') ?? ''), Number(form.get('lon') ?? '')];
    if (share && !(Math.abs(lat) <= 90 && Math.abs(lon) <= 180 && form.get('lat') && form.get('lon')))
      return seeOther(`${back}&error=${encodeURIComponent('Give a latitude (-90…90) and a longitude (-180…180).')}`);
    if (!share && !text) return seeOther(`${back}&error=${encodeURIComponent('Type a message.')}`);
    const sent = share ? await simulator.shareLocation(phone, lat, lon) : await simulator.send(phone, text);
    return seeOther(
      sent.status === 200 ? back : `${back}&error=${encodeURIComponent(`The webhook answered ${sent.status}: ${sent.answer}`)}`,
    );
  }

  async function sign(envelopeId: string): Promise<Answer> {
    const docusign = opts.sandboxes?.docusign;
    if (!docusign) throw new HttpError(409, 'The DocuSign sandbox is not running: real DocuSign is configured.');
    const envelope = docusign.envelope(envelopeId);
    if (!envelope) throw new HttpError(404, 'No such envelope.');
    if (envelope.status !== 'sent')
      return seeOther(`${PREFIX}/docusign?error=${encodeURIComponent(`Envelope ${envelopeId} is already ${envelope.status}.`)}`);
    const delivery = await docusign.complete(envelopeId);
    const connect =
      delivery.status !== undefined
        ? `DocuSign Connect posted ${delivery.event}: HTTP ${delivery.status}.`
        : `DocuSign Connect could not post ${delivery.event}: ${delivery.error ?? 'no webhook'}.`;
    return seeOther(`${PREFIX}/docusign?signed=${encodeURIComponent(envelopeId)}&connect=${encodeURIComponent(connect)}`);
  }

  async function replay(form: URLSearchParams): Promise<Answer> {
    const bus = opts.bus?.();
    if (!bus) throw new HttpError(409, 'The local bus is not running.');
    const subscription = form.get('subscription') || undefined;
    const messageId = form.get('all') ? undefined : form.get('messageId') || undefined;
    if (!messageId && !form.get('all')) throw new HttpError(400, 'Say which message to replay, or all.');
    try {
      const count = await replayDeadLetters(bus, {
        ...(subscription ? { subscription } : {}),
        ...(messageId ? { messageId } : {}),
      });
      return seeOther(`${PREFIX}/dead-letters?replayed=${count}`);
    } catch (err) {
      if (err instanceof UsageError) throw new HttpError(400, err.message);
      throw err;
    }
  }

  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://console.local');
    if (url.pathname !== PREFIX && !url.pathname.startsWith(`${PREFIX}/`)) return false;
    let answer: Answer;
    const foreign = refuseForeignHost(req.headers);
    try {
      if (foreign) throw new HttpError(foreign.status, foreign.reason);
      answer = await route(req, url);
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500;
      const text = err instanceof HttpError ? err.message : `The console failed: ${(err as Error).message}`;
      answer = { status, type: 'text/html; charset=utf-8', body: Buffer.from(errorPage(status, text)) };
    }
    send(res, req.method === 'HEAD', answer);
    return true;
  };
}

interface Answer {
  readonly status: number;
  readonly type?: string;
  readonly body?: Buffer;
  readonly location?: string;
}

const ok = (body: string): Answer => ({ status: 200, type: 'text/html; charset=utf-8', body: Buffer.from(body) });
const seeOther = (location: string): Answer => ({ status: 303, location });

function send(res: ServerResponse, head: boolean, answer: Answer): void {
  res.statusCode = answer.status;
  res.setHeader('content-security-policy', CSP);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('referrer-policy', 'same-origin');
  res.setHeader('cache-control', 'no-store');
  if (answer.location) res.setHeader('location', answer.location);
  if (answer.type) res.setHeader('content-type', answer.type);
  const body = answer.body ?? Buffer.alloc(0);
  res.setHeader('content-length', String(body.length));
  res.end(head ? undefined : body);
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded')
    throw new HttpError(415, 'Console forms are application/x-www-form-urlencoded.');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw new HttpError(413, 'The form is too large.');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
