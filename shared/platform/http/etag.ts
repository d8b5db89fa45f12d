/**
 * HTTP entity tags are quoted strings (RFC 9110). Cosmos DB's `_etag` values are already quoted;
 * anything else is quoted here, so that the tag a client echoes in `If-Match` is the stored one.
 */
export function toHttpEtag(storeEtag: string): string {
  return storeEtag.startsWith('"') ? storeEtag : `"${storeEtag}"`;
}

/** The first tag of an `If-Match` header, or undefined for none or `*` (which any version matches). */
export function ifMatchTag(header: string | null): string | undefined {
  if (!header) return undefined;
  const first = header.split(',')[0]?.trim();
  if (!first || first === '*') return undefined;
  return first.startsWith('W/') ? first.slice(2) : first;
}
