import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { signJelouBody } from '../../shared/adapters/whatsapp/jelou-webhook';
import { readWhatsAppOutbox, type SandboxWhatsAppEntry } from '../../shared/adapters/whatsapp/sandbox-whatsapp';
import { jelouInboundEnvelope, type InboundSpec } from '../sandboxes/jelou';

/**
 * The console's WhatsApp simulator: it types as a phone by posting what Jelou would post — the
 * documented `message_event`, signed `X-Jelou-Signature` with the webhook secret — to the real
 * webhook function over HTTP, and keeps what it sent in `<whatsapp outbox>/console-inbound.jsonl`
 * so the conversation (those messages and the bot's replies from the sandbox outbox) survives a
 * restart.
 */
export const INBOUND_LOG = 'console-inbound.jsonl';

export interface SimulatorOptions {
  /** `SANDBOX_DIR/whatsapp`: the outbox the local Jelou stand-in writes, and the inbound log. */
  readonly dir: string;
  /** The webhook function's URL on this host (`…/api/webhooks/jelou`). */
  readonly webhookUrl: () => string;
  /** `JELOU_WEBHOOK_SECRET`: what the function verifies the signature with. */
  readonly secret: string;
  readonly botId: string;
}

export interface InboundRecord {
  readonly at: string;
  /** E.164. */
  readonly from: string;
  readonly text: string;
  readonly eventId: string;
  /** The webhook's answer: status and body. */
  readonly status: number;
  readonly answer: string;
}

export type ConversationLine =
  | { readonly direction: 'in'; readonly at: string; readonly text: string; readonly status: number; readonly answer: string }
  | { readonly direction: 'out'; readonly at: string; readonly entry: SandboxWhatsAppEntry };

const PHONE = /^\+?[1-9]\d{7,14}$/;

/** `+57 300 111-2233` → `+573001112233`; undefined when it is not a phone number. */
export function normalizePhone(input: string): string | undefined {
  const compact = input.replace(/[\s().-]/g, '');
  return PHONE.test(compact) ? `+${compact.replace(/^\+/, '')}` : undefined;
}

export class WhatsAppSimulator {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: SimulatorOptions) {}

  /**
   * Sends one signed message as `phone` and waits (at most `waitMs`) for the bot's replies, so a page
   * loaded afterwards shows them: the conversation runs on the bus, after the webhook answered. A
   * move may answer with several messages, so it waits until none has come for a moment.
   */
  async send(phone: string, text: string, waitMs = 5_000): Promise<InboundRecord> {
    return this.post(phone, { from: phone, text, name: 'Local console' }, text, waitMs);
  }

  /**
   * Shares a location as `phone` (issue 17: a provider's check-in / check-out): Jelou's location
   * message, `coordinates: { lat, long }` (docs/whatsapp.md). The log shows it as a pin.
   */
  async shareLocation(phone: string, lat: number, lon: number, waitMs = 5_000): Promise<InboundRecord> {
    const raw = { type: 'location', content: { coordinates: { lat, long: lon } } };
    return this.post(phone, { from: phone, raw, name: 'Local console' }, `📍 ${lat}, ${lon}`, waitMs);
  }

  private async post(phone: string, spec: InboundSpec, text: string, waitMs: number): Promise<InboundRecord> {
    const before = (await this.outbox()).filter((m) => m.to === phone).length;
    const { eventId, body } = jelouInboundEnvelope(spec, this.opts.botId);
    const raw = JSON.stringify(body);
    const at = new Date().toISOString();
    const res = await fetch(this.opts.webhookUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-jelou-signature': signJelouBody(raw, this.opts.secret) },
      body: raw,
    });
    const record: InboundRecord = { at, from: phone, text, eventId, status: res.status, answer: await res.text() };
    await this.append(record);
    if (res.ok) await this.settle(phone, before, waitMs);
    return record;
  }

  /** Every phone that wrote or was written to, most recent first. */
  async phones(): Promise<string[]> {
    const lines = [
      ...(await this.inbound()).map((r) => ({ phone: r.from, at: r.at })),
      ...(await this.outbox()).map((m) => ({ phone: m.to, at: m.at })),
    ].sort((a, b) => b.at.localeCompare(a.at));
    return [...new Set(lines.map((l) => l.phone))];
  }

  /** What `phone` sent through the console and what was sent to it, oldest first. */
  async conversation(phone: string): Promise<ConversationLine[]> {
    const lines: ConversationLine[] = [
      ...(await this.inbound())
        .filter((r) => r.from === phone)
        .map((r) => ({ direction: 'in' as const, at: r.at, text: r.text, status: r.status, answer: r.answer })),
      ...(await this.outbox()).filter((m) => m.to === phone).map((entry) => ({ direction: 'out' as const, at: entry.at, entry })),
    ];
    // Stable: a reply written in the same millisecond as the message stays after it.
    return lines.sort((a, b) => a.at.localeCompare(b.at));
  }

  private outbox(): Promise<SandboxWhatsAppEntry[]> {
    return readWhatsAppOutbox(this.opts.dir);
  }

  private async inbound(): Promise<InboundRecord[]> {
    let text: string;
    try {
      text = await readFile(join(this.opts.dir, INBOUND_LOG), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return text
      .slice(0, text.lastIndexOf('\n') + 1)
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as InboundRecord);
  }

  private append(record: InboundRecord): Promise<void> {
    const write = this.queue.then(async () => {
      await mkdir(this.opts.dir, { recursive: true });
      const handle = await open(join(this.opts.dir, INBOUND_LOG), 'a');
      try {
        await handle.write(`${JSON.stringify(record)}\n`);
      } finally {
        await handle.close();
      }
    });
    this.queue = write.catch(() => undefined);
    return write;
  }

  private async settle(phone: string, before: number, waitMs: number): Promise<void> {
    const count = async () => (await this.outbox()).filter((m) => m.to === phone).length;
    const until = Date.now() + waitMs;
    let seen = before;
    while (Date.now() < until && seen === before) {
      await sleep(100);
      seen = await count();
    }
    if (seen === before) return; // no reply (an unknown number gets one, once)
    for (;;) {
      await sleep(300);
      const now = await count();
      if (now === seen || Date.now() > until + waitMs) return;
      seen = now;
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
