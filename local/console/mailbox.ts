import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The e-mails the local SendGrid stand-in wrote (`SandboxMailer`: one `.eml` per notification in
 * the mailbox folder), read back as a mail client would: parsed with postal-mime (MIME parts,
 * transfer encodings, RFC 2047 headers), not with a parser of our own that would only understand
 * what our writer happens to write today.
 */
export interface MailSummary {
  /** The file name without `.eml` (the notification id): the key of the console's links. */
  readonly id: string;
  /** When the file was written (the mailer renames it into place when complete). */
  readonly writtenAt: Date;
  readonly subject: string;
  readonly from: string;
  readonly to: string;
  readonly date?: string;
}

export interface Mail extends MailSummary {
  readonly html?: string;
  readonly text?: string;
  readonly headers: readonly { readonly key: string; readonly value: string }[];
}

/** At most this many, newest first: a long local session writes thousands. */
export const MAILBOX_PAGE = 200;

/** Newest first; none when the folder does not exist yet (nothing was sent). */
export async function listMail(dir: string, limit = MAILBOX_PAGE): Promise<{ total: number; mails: MailSummary[] }> {
  const files = await emlFiles(dir);
  const dated = await Promise.all(
    files.map(async (name) => ({ name, writtenAt: (await stat(join(dir, name)).catch(() => undefined))?.mtime })),
  );
  const newest = dated
    .filter((f): f is { name: string; writtenAt: Date } => f.writtenAt !== undefined)
    .sort((a, b) => b.writtenAt.getTime() - a.writtenAt.getTime() || b.name.localeCompare(a.name))
    .slice(0, limit);
  const mails = await Promise.all(newest.map(async (f) => summary(await parse(dir, f.name, f.writtenAt))));
  return { total: files.length, mails: mails.filter((m): m is Mail => m !== undefined).map(summaryOnly) };
}

/**
 * One e-mail by id. The id is looked up among the folder's file names, never joined into a path,
 * so no request can read outside the mailbox.
 */
export async function readMail(dir: string, id: string): Promise<Mail | undefined> {
  const name = (await emlFiles(dir)).find((f) => f === `${id}.eml`);
  if (!name) return undefined;
  const writtenAt = (await stat(join(dir, name))).mtime;
  return summary(await parse(dir, name, writtenAt));
}

async function emlFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((f) => f.endsWith('.eml'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

type Parsed = { name: string; writtenAt: Date; email: import('postal-mime').Email };

async function parse(dir: string, name: string, writtenAt: Date): Promise<Parsed | undefined> {
  // Loaded on first use: only someone who opens the mailbox pays for the parser.
  const { default: PostalMime } = await import('postal-mime');
  const raw = await readFile(join(dir, name)).catch(() => undefined);
  if (!raw) return undefined;
  return { name, writtenAt, email: await PostalMime.parse(raw) };
}

function summary(parsed: Parsed | undefined): Mail | undefined {
  if (!parsed) return undefined;
  const { email } = parsed;
  return {
    id: parsed.name.slice(0, -'.eml'.length),
    writtenAt: parsed.writtenAt,
    subject: email.subject ?? '(no subject)',
    from: addresses(email.from ? [email.from] : []),
    to: addresses(email.to ?? []),
    ...(email.date ? { date: email.date } : {}),
    ...(email.html !== undefined ? { html: email.html } : {}),
    ...(email.text !== undefined ? { text: email.text } : {}),
    headers: email.headers.map((h) => ({ key: h.key, value: h.value })),
  };
}

function summaryOnly(m: Mail): MailSummary {
  return { id: m.id, writtenAt: m.writtenAt, subject: m.subject, from: m.from, to: m.to, ...(m.date ? { date: m.date } : {}) };
}

type Address = import('postal-mime').Address;

function addresses(list: readonly Address[]): string {
  return list
    .map((a) => (a.group ? `${a.name}: ${addresses(a.group)};` : a.name ? `${a.name} <${a.address}>` : a.address))
    .join(', ');
}
