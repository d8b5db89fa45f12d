import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OUTBOX_FILE, readWhatsAppOutbox, SandboxWhatsApp } from '../../shared/adapters/whatsapp/sandbox-whatsapp';

/** The WhatsApp sandbox: one JSON line per message in `<dir>/outbox.jsonl`, read back whole. */
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
const tempDir = async () => {
  const d = await mkdtemp(join(tmpdir(), 'wa-outbox-'));
  dirs.push(d);
  return join(d, 'whatsapp');
};

describe('SandboxWhatsApp', () => {
  it('appends each message as one line with its notification id, text or template, and a message id', async () => {
    const dir = await tempDir();
    const sandbox = new SandboxWhatsApp(dir, () => new Date('2026-02-02T15:00:00.000Z'));
    expect(await readWhatsAppOutbox(dir)).toEqual([]);
    expect(await sandbox.send({ notificationId: 'n1', to: '+573001112233', text: 'Hola ñandú' })).toEqual({
      messageId: 'sandbox-n1',
    });
    await sandbox.send({
      notificationId: 'n2',
      to: '+573001112233',
      template: { name: 'order_submitted', language: 'es', parameters: ['A', 'B'] },
    });
    expect(await readWhatsAppOutbox(dir)).toEqual([
      { notificationId: 'n1', to: '+573001112233', text: 'Hola ñandú', messageId: 'sandbox-n1', at: '2026-02-02T15:00:00.000Z' },
      {
        notificationId: 'n2',
        to: '+573001112233',
        template: { name: 'order_submitted', language: 'es', parameters: ['A', 'B'] },
        messageId: 'sandbox-n2',
        at: '2026-02-02T15:00:00.000Z',
      },
    ]);
  });

  it('keeps every line whole under concurrent sends from two senders on the same folder', async () => {
    const dir = await tempDir();
    const a = new SandboxWhatsApp(dir);
    const b = new SandboxWhatsApp(dir);
    const long = 'x'.repeat(20_000);
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        (i % 2 ? a : b).send({ notificationId: `n${i}`, to: '+573001112233', text: `${i} ${long}` }),
      ),
    );
    const lines = await readWhatsAppOutbox(dir);
    expect(lines).toHaveLength(60);
    expect(new Set(lines.map((l) => l.notificationId)).size).toBe(60);
    expect(lines.every((l) => l.text === `${l.notificationId.slice(1)} ${long}`)).toBe(true);
  });

  it('the reader ignores a last line cut short', async () => {
    const dir = await tempDir();
    await new SandboxWhatsApp(dir).send({ notificationId: 'n1', to: '+573001112233', text: 'ok' });
    await appendFile(join(dir, OUTBOX_FILE), '{"notificationId":"n2","to":"+57');
    expect((await readWhatsAppOutbox(dir)).map((l) => l.notificationId)).toEqual(['n1']);
  });
});
