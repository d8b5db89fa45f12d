import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * What every partner sandbox shares: a `node:http` server, a record of the requests it received
 * (secrets redacted) for contract assertions, and switches that make it misbehave for outage tests.
 * Failures and hangs answer without touching the sandbox's state, like a gateway in front of a
 * partner that is down; `loseResponses` processes the request and then drops the connection, like
 * a response lost on the way back — the case idempotent creation exists for.
 */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query. */
  readonly path: string;
  /** Lower-case names; credentials replaced by `***` (an authorization header keeps its scheme). */
  readonly headers: Readonly<Record<string, string>>;
  /** Parsed JSON, the form's fields, or the text; secrets in it redacted. */
  readonly body: unknown;
  readonly outcome: 'handled' | 'failed' | 'hung' | 'lost';
  readonly status?: number;
}

export interface RequestMatch {
  readonly method?: string;
  readonly path?: RegExp;
}

export interface FailureOptions {
  /** `Retry-After` in seconds. */
  readonly retryAfterSeconds?: number;
  /** `Retry-After` as an HTTP date. */
  readonly retryAfterDate?: Date;
  readonly body?: unknown;
  /** Only requests that match (default: every request). */
  readonly match?: RequestMatch;
}

export interface SandboxControls {
  readonly url: string;
  readonly port: number;
  readonly requests: readonly RecordedRequest[];
  /** The next `n` matching requests answer `status` (default 503) without being processed. */
  failNext(n: number, status?: number, options?: FailureOptions): void;
  /** Matching requests are held `ms` and then answered 503 unprocessed; `n` of them (default: all until `recover`). */
  hang(ms: number, options?: { readonly count?: number; readonly match?: RequestMatch }): void;
  /** The next `n` matching requests are processed, then their connection is dropped without an answer. */
  loseResponses(n: number, options?: { readonly match?: RequestMatch }): void;
  /** Ends every failure, hang and loss. */
  recover(): void;
  clearRequests(): void;
  close(): Promise<void>;
}

export interface SandboxRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: Buffer;
}

export interface SandboxResponse {
  readonly status: number;
  readonly json?: unknown;
  readonly body?: string | Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
}

export type SandboxHandler = (req: SandboxRequest) => Promise<SandboxResponse> | SandboxResponse;

export interface HttpSandboxOptions {
  readonly port?: number;
  readonly host?: string;
  readonly handle: SandboxHandler;
  /** Header names (lower case) whose values are credentials, besides `authorization`. */
  readonly secretHeaders?: readonly string[];
  /** Body fields (top level) whose values are credentials. */
  readonly secretFields?: readonly string[];
}

interface Injected {
  remaining: number;
  readonly match?: RequestMatch;
}

export async function startHttpSandbox(opts: HttpSandboxOptions): Promise<SandboxControls> {
  const requests: RecordedRequest[] = [];
  let failures: (Injected & { status: number; options: FailureOptions })[] = [];
  let hangs: (Injected & { ms: number })[] = [];
  let losses: Injected[] = [];
  const sockets = new Set<Socket>();

  const take = <T extends Injected>(list: T[], req: IncomingMessage): T | undefined => {
    const found = list.find((f) => f.remaining > 0 && matches(f.match, req));
    if (found) found.remaining--;
    return found;
  };

  const server = createServer((req, res) => {
    void serve(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'sandbox failure' }));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawBody = await readAll(req);
    const record = (outcome: RecordedRequest['outcome'], status?: number) =>
      requests.push({
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: redactHeaders(req.headers, opts.secretHeaders ?? []),
        body: redactBody(rawBody, req.headers['content-type'], opts.secretFields ?? []),
        outcome,
        ...(status !== undefined ? { status } : {}),
      });

    const failure = take(failures, req);
    if (failure) {
      record('failed', failure.status);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (failure.options.retryAfterSeconds !== undefined) headers['retry-after'] = String(failure.options.retryAfterSeconds);
      if (failure.options.retryAfterDate) headers['retry-after'] = failure.options.retryAfterDate.toUTCString();
      res.writeHead(failure.status, headers);
      res.end(JSON.stringify(failure.options.body ?? { error: 'sandbox-injected-failure' }));
      return;
    }
    const hang = take(hangs, req);
    if (hang) {
      record('hung', 503);
      await new Promise((r) => setTimeout(r, hang.ms));
      if (!res.destroyed) {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'sandbox-hang' }));
      }
      return;
    }
    const lose = take(losses, req);
    const url = new URL(req.url ?? '/', 'http://sandbox.local');
    const answer = await opts.handle({ method: req.method ?? 'GET', url, headers: req.headers, rawBody });
    if (lose) {
      record('lost', answer.status);
      req.socket.destroy();
      return;
    }
    record('handled', answer.status);
    const headers: Record<string, string> = { ...answer.headers };
    let body: string | Uint8Array = '';
    if (answer.json !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(answer.json);
    } else if (answer.body !== undefined) body = answer.body;
    res.writeHead(answer.status, headers);
    res.end(body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    port,
    requests,
    failNext: (n, status = 503, options = {}) =>
      void failures.push({ remaining: n, status, options, ...(options.match ? { match: options.match } : {}) }),
    hang: (ms, options = {}) =>
      void hangs.push({ remaining: options.count ?? Infinity, ms, ...(options.match ? { match: options.match } : {}) }),
    loseResponses: (n, options = {}) => void losses.push({ remaining: n, ...(options.match ? { match: options.match } : {}) }),
    recover: () => {
      failures = [];
      hangs = [];
      losses = [];
    },
    clearRequests: () => void requests.splice(0),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function matches(match: RequestMatch | undefined, req: IncomingMessage): boolean {
  if (!match) return true;
  if (match.method && match.method.toUpperCase() !== req.method) return false;
  return !match.path || match.path.test((req.url ?? '/').split('?')[0] ?? '/');
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function redactHeaders(headers: IncomingHttpHeaders, secret: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    if (name === 'authorization') out[name] = `${text.split(' ')[0] ?? ''} ***`;
    else out[name] = secret.includes(name) ? '***' : text;
  }
  return out;
}

function redactBody(raw: Buffer, contentType: string | undefined, secretFields: readonly string[]): unknown {
  if (raw.length === 0) return undefined;
  const text = raw.toString('utf8');
  const redact = (o: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, secretFields.includes(k) ? '***' : v]));
  if (contentType?.includes('application/x-www-form-urlencoded')) return redact(Object.fromEntries(new URLSearchParams(text)));
  try {
    const json: unknown = JSON.parse(text);
    return json && typeof json === 'object' && !Array.isArray(json) ? redact(json as Record<string, unknown>) : json;
  } catch {
    return text.length > 2_000 ? `${text.slice(0, 2_000)}…` : text;
  }
}

/** Parses a JSON request body; undefined when it is not JSON. */
export function jsonBody(req: SandboxRequest): unknown {
  try {
    return JSON.parse(req.rawBody.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The bearer credential of a request, if any. */
export function bearer(headers: IncomingHttpHeaders): string | undefined {
  const value = headers.authorization;
  return value?.startsWith('Bearer ') ? value.slice('Bearer '.length) : undefined;
}
