import { MAX_FILE_BYTES } from '../../domain/files/file-types';
import type { FetchedMedia, MediaFetcher } from '../../application/whatsapp/ports';

export interface HttpMediaFetcherOptions {
  /** Hosts media may come from (Jelou's storage); empty = any host. */
  readonly allowedHosts?: readonly string[];
  /** Plain http only for the local fake; production media URLs are https. */
  readonly allowHttp?: boolean;
  readonly maxBytes?: number;
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

/**
 * Fetches the bytes behind an inbound media URL: https only (unless told otherwise), optionally only
 * from known hosts, no more than the upload limit (20 MB) read — a server that lies about or omits
 * `Content-Length` is cut off at the limit, not trusted.
 */
export class HttpMediaFetcher implements MediaFetcher {
  constructor(private readonly options: HttpMediaFetcherOptions = {}) {}

  async fetch(url: string): Promise<FetchedMedia> {
    const target = new URL(url);
    if (target.protocol !== 'https:' && !(this.options.allowHttp && target.protocol === 'http:'))
      throw new Error(`media URL must be https: ${target.protocol}`);
    const hosts = this.options.allowedHosts ?? [];
    if (hosts.length && !hosts.includes(target.hostname)) throw new Error(`media host not allowed: ${target.hostname}`);
    const max = this.options.maxBytes ?? MAX_FILE_BYTES;
    const response = await (this.options.fetch ?? fetch)(target, {
      redirect: 'error',
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 15_000),
    });
    if (!response.ok || !response.body) throw new Error(`media download answered ${response.status}`);
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (declared > max) throw new Error(`media larger than ${max} bytes`);
    const bytes = await readAtMost(response.body, max);
    return { bytes, contentType: (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '' };
  }
}

async function readAtMost(body: ReadableStream<Uint8Array>, max: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel();
      throw new Error(`media larger than ${max} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}
