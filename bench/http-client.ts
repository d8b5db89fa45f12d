import { Agent, request } from 'node:http';

export interface CallOptions {
  readonly body?: unknown;
  readonly token?: string;
  readonly headers?: Record<string, string>;
}
export type Call = (method: string, path: string, opts?: CallOptions) => Promise<{ status: number; body: any }>;

/**
 * The benchmark's HTTP client: `node:http` with a keep-alive agent, the same transport the Cosmos
 * SDK uses for the baseline. Not `fetch`: undici's WHATWG layer costs ≈ 0.25 ms a request in this
 * process (measured, docs/performance.md), which would be billed to the API although a dashboard's
 * browser pays it on its own machine.
 */
export function httpClient(baseUrl: string, defaultToken: string): { call: Call; close(): void } {
  const base = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const call: Call = (method, path, opts = {}) =>
    new Promise((resolve, reject) => {
      const data = opts.body === undefined ? undefined : JSON.stringify(opts.body);
      const req = request(
        {
          agent,
          host: base.hostname,
          port: base.port,
          method,
          path: `${base.pathname.replace(/\/$/, '')}${path}`,
          headers: {
            authorization: `Bearer ${opts.token ?? defaultToken}`,
            ...(data ? { 'content-type': 'application/json' } : {}),
            ...opts.headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
          });
        },
      );
      req.on('error', reject);
      req.end(data);
    });
  return { call, close: () => agent.destroy() };
}
