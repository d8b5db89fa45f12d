import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OutgoingWhatsApp, WhatsAppSender } from '../../application/notifications/channels';

/** One line of the outbox: what would have gone to Jelou, and when. */
export interface SandboxWhatsAppEntry extends OutgoingWhatsApp {
  readonly messageId: string;
  readonly at: string;
}

export const OUTBOX_FILE = 'outbox.jsonl';

/**
 * The WhatsApp sandbox for local runs and tests: every message becomes one JSON line appended to
 * `<dir>/outbox.jsonl`. Each line goes out in a single `write` on a file opened for appending, so
 * lines from concurrent processes never interleave (O_APPEND on a local file system); within this
 * process the writes are also queued. A reader ignores a last line without its newline (a write
 * cut short), so it never sees half a message.
 */
export class SandboxWhatsApp implements WhatsAppSender {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get file(): string {
    return join(this.dir, OUTBOX_FILE);
  }

  async send(message: OutgoingWhatsApp): Promise<{ readonly messageId: string }> {
    const entry: SandboxWhatsAppEntry = {
      ...message,
      messageId: `sandbox-${message.notificationId}`,
      at: this.now().toISOString(),
    };
    const line = Buffer.from(`${JSON.stringify(entry)}\n`, 'utf8');
    const write = this.queue.then(() => appendLine(this.dir, this.file, line));
    this.queue = write.catch(() => undefined);
    await write;
    return { messageId: entry.messageId };
  }
}

async function appendLine(dir: string, file: string, line: Buffer): Promise<void> {
  await mkdir(dir, { recursive: true });
  const handle = await open(file, 'a');
  try {
    const { bytesWritten } = await handle.write(line, 0, line.length);
    if (bytesWritten !== line.length) throw new Error(`short write to ${file}: ${bytesWritten} of ${line.length} bytes`);
  } finally {
    await handle.close();
  }
}

/** The outbox's messages in the order they were sent (none when the file does not exist yet). */
export async function readWhatsAppOutbox(dir: string): Promise<SandboxWhatsAppEntry[]> {
  let text: string;
  try {
    text = await readFile(join(dir, OUTBOX_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  return complete
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as SandboxWhatsAppEntry);
}
