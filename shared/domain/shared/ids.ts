/**
 * Identifier formats. Ids are a type prefix and a ULID (time-ordered, 26 Crockford base32 chars).
 * An order id also carries its client's ULID, because orders are partitioned by client: any caller
 * holding an order id can point-read it (one operation) without a lookup. See docs/data-model.md.
 */
const ULID = '[0-9A-HJKMNP-TV-Z]{26}';

export const ID_PREFIX = {
  client: 'cli',
  site: 'sit',
  order: 'ord',
  provider: 'prv',
  event: 'evt',
  document: 'doc',
  attachment: 'att',
  plan: 'pln',
} as const;
export type IdKind = keyof typeof ID_PREFIX;

const simpleId = (prefix: string) => new RegExp(`^${prefix}_${ULID}$`);
const orderIdPattern = new RegExp(`^${ID_PREFIX.order}_(${ULID})_(${ULID})$`);

export function isId(kind: Exclude<IdKind, 'order'>, value: string): boolean {
  return simpleId(ID_PREFIX[kind]).test(value);
}

export function makeId(kind: Exclude<IdKind, 'order'>, ulid: string): string {
  return `${ID_PREFIX[kind]}_${ulid}`;
}

export function makeOrderId(clientId: string, ulid: string): string {
  return `${ID_PREFIX.order}_${clientId.slice(ID_PREFIX.client.length + 1)}_${ulid}`;
}

/** The client that owns an order id, or undefined when the string is not an order id. */
export function clientIdOfOrder(orderId: string): string | undefined {
  const m = orderIdPattern.exec(orderId);
  return m ? `${ID_PREFIX.client}_${m[1]}` : undefined;
}

export function isOrderId(value: string): boolean {
  return orderIdPattern.test(value);
}
