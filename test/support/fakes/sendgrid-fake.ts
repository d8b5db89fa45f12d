import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for SendGrid's v3 Mail Send API (`POST /v3/mail/send`), as documented: bearer
 * API key, a JSON body with `personalizations`, `from`, `subject` and `content`; 202 with an
 * `X-Message-Id` on success; `{ errors: [{ message, field }] }` with 400/401/413; 429 with
 * `Retry-After`; 5xx. It checks what SendGrid checks and records what it received.
 */
export interface ReceivedMail {
  readonly headers: IncomingHttpHeaders;
  readonly body: any;
}

export interface SendGridFake {
  readonly url: string;
  readonly received: ReceivedMail[];
  /** The next `count` requests get this answer instead of 202. */
  failNext(count: number, status: number, body?: unknown, headers?: Record<string, string>): void;
  close(): Promise<void>;
}

export async function startSendGridFake(apiKey: string): Promise<SendGridFake> {
  const received: ReceivedMail[] = [];
  const failures: { status: number; body?: unknown; headers?: Record<string, string> }[] = [];
  let seq = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers });
        res.end(body !== undefined ? JSON.stringify(body) : undefined);
      };
      if (req.method !== 'POST' || req.url !== '/v3/mail/send') return reply(404, { errors: [{ message: 'not found' }] });
      if (req.headers.authorization !== `Bearer ${apiKey}`)
        return reply(401, {
          errors: [{ message: 'The provided authorization grant is invalid, expired, or revoked', field: null }],
        });
      let body: any;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return reply(400, { errors: [{ message: 'Bad Request', field: null }] });
      }
      received.push({ headers: req.headers, body });
      const failure = failures.shift();
      if (failure) return reply(failure.status, failure.body, failure.headers);
      const to = body?.personalizations?.[0]?.to?.[0]?.email;
      if (typeof to !== 'string' || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(to))
        return reply(400, { errors: [{ message: 'Does not contain a valid address.', field: 'personalizations.0.to.0.email' }] });
      if (!body.from?.email || !body.subject || !Array.isArray(body.content) || body.content.length === 0)
        return reply(400, { errors: [{ message: 'The from, subject and content parameters are required.', field: null }] });
      reply(202, undefined, { 'x-message-id': `fake-${++seq}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    failNext: (count, status, body, headers) => {
      for (let i = 0; i < count; i++)
        failures.push({ status, ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) });
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
