import type { Container, SqlQuerySpec } from '@azure/cosmos';
import { InvalidInputError } from '../../application/errors';
import type { Page, PageRequest } from '../../application/ports';
import { isUnavailable, statusOf, translateError, type StoredDoc } from './documents';

/**
 * Continuation-token paging. The SDK's token is wrapped with a fingerprint of the query it belongs
 * to, so a token replayed against other filters (or tampered with) is a 400, not a wrong page.
 * A page costs one query whose size is bounded by `limit`, whatever the amount of data.
 */
interface TokenBody {
  readonly v: 1;
  readonly q: string;
  readonly t: string;
}

function fingerprint(spec: SqlQuerySpec, partitionKey: string | undefined): string {
  const text = JSON.stringify([spec.query, spec.parameters ?? [], partitionKey ?? '*']);
  // FNV-1a: a cheap, stable fingerprint; tokens are not secrets, this only catches misuse.
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36);
}

const invalidToken = () =>
  new InvalidInputError('invalid continuation token', [{ field: 'continuationToken', message: 'not a token this list issued' }]);

function decode(token: string, expected: string): string {
  let body: TokenBody;
  try {
    body = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as TokenBody;
  } catch {
    throw invalidToken();
  }
  if (!body || body.v !== 1 || body.q !== expected || typeof body.t !== 'string') throw invalidToken();
  return body.t;
}

function encode(sdkToken: string, fp: string): string {
  const body: TokenBody = { v: 1, q: fp, t: sdkToken };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

export async function queryPage(
  container: Container,
  spec: SqlQuerySpec,
  page: PageRequest,
  partitionKey?: string,
): Promise<Page<StoredDoc>> {
  const fp = fingerprint(spec, partitionKey);
  const continuationToken = page.continuationToken ? decode(page.continuationToken, fp) : undefined;
  try {
    const iterator = container.items.query<StoredDoc>(spec, {
      maxItemCount: page.limit,
      ...(continuationToken ? { continuationToken } : {}),
      ...(partitionKey !== undefined ? { partitionKey } : {}),
    });
    const result = await iterator.fetchNext();
    const next = result.continuationToken;
    return { items: result.resources, ...(next ? { continuationToken: encode(next, fp) } : {}) };
  } catch (err) {
    // A token that passed the fingerprint but that the SDK or the server cannot resume from.
    if (continuationToken && !isUnavailable(err) && (statusOf(err) === 400 || statusOf(err) === undefined)) throw invalidToken();
    return translateError(err, 'query');
  }
}

/**
 * Every page of a (cross-partition) query, for scans that go through all of it (the outbox
 * republish, the feed's open-lane scan): at most `pageSize` documents in memory at a time; empty
 * pages (the SDK yields some across partitions) are skipped.
 */
export async function* queryPages(
  container: Container,
  spec: SqlQuerySpec,
  pageSize: number,
  what: string,
): AsyncIterable<StoredDoc[]> {
  const query = container.items.query<StoredDoc>(spec, { maxItemCount: pageSize });
  while (query.hasMoreResults()) {
    let page: StoredDoc[];
    try {
      page = (await query.fetchNext()).resources;
    } catch (err) {
      return translateError(err, what);
    }
    if (page.length > 0) yield page;
  }
}
