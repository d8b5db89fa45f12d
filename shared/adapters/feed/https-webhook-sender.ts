import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { classifyAddress } from '../../domain/feed/address';
import type { OutboundRequest, OutboundResult, WebhookSender } from '../../application/feed/ports';

export interface SenderOptions {
  /** Total time for one request (connect, send, answer). */
  readonly timeoutMs?: number;
  /** Only the embedded stack's own tests (WEBHOOK_ALLOW_PRIVATE_TARGETS): plain http and private addresses. */
  readonly allowPrivateTargets?: boolean;
  /** The resolver (tests give a fake one); node:dns `lookup` with `all: true` otherwise. */
  readonly resolve?: (host: string) => Promise<readonly LookupAddress[]>;
}

/** A refused target: the request never left. */
export class RefusedTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefusedTargetError';
  }
}

const resolveAll = (host: string): Promise<readonly LookupAddress[]> =>
  new Promise((resolve, reject) => dnsLookup(host, { all: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));

/**
 * Posts feed requests to the clients' receivers without letting a receiver's URL reach inside
 * (SSRF). The host is resolved here, once per request, and EVERY address must be public (loopback,
 * RFC 1918, CGNAT, link-local — Azure's metadata service 169.254.169.254 —, unique-local,
 * multicast, IPv4-mapped forms: `domain/feed/address.ts`); the socket then connects to the vetted
 * address through the request's `lookup` hook, so a second resolution (DNS rebinding) cannot switch
 * it, while TLS SNI and the Host header keep the name. Redirects are not followed (a 3xx is a
 * failed attempt), and the request times out.
 */
export class HttpsWebhookSender implements WebhookSender {
  private readonly timeoutMs: number;
  private readonly allowPrivate: boolean;
  private readonly resolve: (host: string) => Promise<readonly LookupAddress[]>;

  constructor(options: SenderOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.allowPrivate = options.allowPrivateTargets ?? false;
    this.resolve = options.resolve ?? resolveAll;
  }

  /** The address to connect to, or why none may be used. */
  async vet(url: URL): Promise<LookupAddress> {
    if (url.protocol !== 'https:' && !(this.allowPrivate && url.protocol === 'http:'))
      throw new RefusedTargetError(`refused: ${url.protocol} is not https`);
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const literal = classifyAddress(host);
    const addresses: readonly LookupAddress[] =
      literal !== 'invalid' ? [{ address: host, family: host.includes(':') ? 6 : 4 }] : await this.resolve(host);
    if (addresses.length === 0) throw new RefusedTargetError(`refused: ${host} resolves to no address`);
    if (!this.allowPrivate) {
      const bad = addresses.find((a) => classifyAddress(a.address) !== 'public');
      if (bad) throw new RefusedTargetError(`refused: ${host} resolves to ${bad.address} (${classifyAddress(bad.address)})`);
    }
    return addresses[0] as LookupAddress;
  }

  async post(req: OutboundRequest): Promise<OutboundResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let url: URL;
    let pinned: LookupAddress;
    try {
      url = new URL(req.url);
      pinned = await this.vet(url);
    } catch (err) {
      return { latencyMs: elapsed(), error: err instanceof Error ? err.message : String(err) };
    }
    // The connection goes to the vetted address whatever the name resolves to now.
    const lookup: LookupFunction = (_host, options, callback) => {
      if ((options as { all?: boolean }).all) (callback as (e: null, a: LookupAddress[]) => void)(null, [pinned]);
      else callback(null, pinned.address, pinned.family);
    };
    const options: RequestOptions = {
      method: 'POST',
      headers: { ...req.headers, 'content-length': String(Buffer.byteLength(req.body)) },
      lookup,
      timeout: this.timeoutMs,
      agent: false,
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<OutboundResult>((resolve) => {
      let settled = false;
      const done = (r: OutboundResult) => {
        if (!settled) {
          settled = true;
          clearTimeout(deadline);
          resolve(r);
        }
      };
      const request = send(url, options, (res) => {
        // The answer's body is not read into memory; only its status counts.
        res.resume();
        res.on('end', () => done({ status: res.statusCode ?? 0, latencyMs: elapsed() }));
        res.on('error', () => done({ status: res.statusCode ?? 0, latencyMs: elapsed() }));
      });
      // `timeout` covers socket idleness only: a whole-request deadline as well.
      const deadline = setTimeout(() => request.destroy(new Error(`timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
      request.on('timeout', () => request.destroy(new Error(`timed out after ${this.timeoutMs} ms`)));
      request.on('error', (err) => done({ latencyMs: elapsed(), error: err.message }));
      request.end(req.body);
    });
  }
}
