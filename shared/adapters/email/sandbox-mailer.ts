import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EmailSender, OutgoingEmail } from '../../application/notifications/notifications';

/**
 * The e-mail sandbox for local runs and tests: each message becomes an `.eml` file (RFC 5322,
 * multipart/alternative) in the mailbox folder, named by notification id, that any mail client
 * opens. Written atomically (temp file + rename), so a reader never sees half a message.
 */
export class SandboxMailer implements EmailSender {
  constructor(
    private readonly mailboxDir: string,
    private readonly from = 'Algesta <no-reply@algesta.local>',
  ) {}

  async send(email: OutgoingEmail): Promise<void> {
    await mkdir(this.mailboxDir, { recursive: true });
    const file = join(this.mailboxDir, `${email.notificationId}.eml`);
    await writeFile(`${file}.tmp`, toEml(email, this.from), 'utf8');
    await rename(`${file}.tmp`, file);
  }
}

function encodeHeader(value: string): string {
  // RFC 2047 for non-ASCII subjects and names (Spanish text is the default locale).
  return /^[\x20-\x7e]*$/.test(value) ? value : `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

export function toEml(email: OutgoingEmail, from: string): string {
  const boundary = `algesta-${email.notificationId.replace(/[^A-Za-z0-9]/g, '').slice(-24)}`;
  const to = email.toName ? `${encodeHeader(email.toName)} <${email.to}>` : email.to;
  const part = (type: string, body: string) =>
    [
      `--${boundary}`,
      `Content-Type: ${type}; charset=utf-8`,
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from(body, 'utf8').toString('base64'),
    ].join('\r\n');
  return [
    `From: ${from}`,
    `To: ${to}`,
    `Subject: ${encodeHeader(email.subject)}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <${email.notificationId}@algesta.local>`,
    `X-Algesta-Notification-Id: ${email.notificationId}`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    '',
    part('text/plain', email.text),
    part('text/html', email.html),
    `--${boundary}--`,
    '',
  ].join('\r\n');
}
