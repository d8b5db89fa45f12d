/**
 * Reading what people type on a phone: lower case, no accents, no stray punctuation; numbered
 * choices; amounts as Colombians write them (`1.250.000`, `$1,250,000`); order ids in any case.
 */

/** Lower case, accents removed, spaces collapsed, trailing punctuation dropped. */
export function normalize(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[.!?¡¿]+$/u, '')
    .trim();
}

const WORDS = {
  cancel: ['cancelar', 'cancel', 'salir', 'exit', 'menu', 'inicio', 'start'],
  greeting: ['hola', 'hello', 'hi', 'buenas', 'buenos dias', 'buenas tardes', 'ayuda', 'help'],
  done: ['listo', 'done', 'ya', 'fin', 'termine', 'finish', 'ok listo'],
  newOrder: ['nueva', 'nueva orden', 'abrir', 'abrir orden', 'new', 'new order', 'open order'],
  recentOrders: ['estado', 'status', 'mis ordenes', 'ordenes', 'orders', 'my orders'],
  invitations: ['invitaciones', 'invitations'],
  checkIn: ['llegada', 'llegue', 'check-in', 'checkin', 'check in'],
  complete: ['completar', 'terminar', 'complete'],
  accept: ['aceptar', 'cotizar', 'accept', 'quote', 'si'],
  decline: ['rechazar', 'declinar', 'decline', 'no'],
  nteIncrease: ['aumento', 'adicional', 'increase', 'nte'],
} as const;

export type Word = keyof typeof WORDS;

/** True when the whole message is one of the word's spellings. */
export function is(text: string, word: Word): boolean {
  return (WORDS[word] as readonly string[]).includes(normalize(text));
}

/** `3`, `3.`, `3)` or `opcion 3` → index 2 when 1 ≤ 3 ≤ max; otherwise undefined. */
export function parseChoice(text: string, max: number): number | undefined {
  const m = /^(?:opcion |option |#)?(\d{1,3})[.)]?$/.exec(normalize(text));
  const n = m ? Number(m[1]) : NaN;
  return Number.isInteger(n) && n >= 1 && n <= max ? n - 1 : undefined;
}

const ULID = '[0-9A-HJKMNP-TV-Z]{26}';
const ORDER_ID = new RegExp(`\\bord_(${ULID})_(${ULID})\\b`, 'i');

/** The first order id in the text, in its canonical (upper-case ULID) spelling. */
export function findOrderId(text: string): string | undefined {
  const m = ORDER_ID.exec(text.trim());
  return m ? `ord_${(m[1] as string).toUpperCase()}_${(m[2] as string).toUpperCase()}` : undefined;
}

/** `<command> ord_…`: the command word (normalized) and the order id, or undefined. */
export function commandWithOrder(text: string): { word: string; orderId: string } | undefined {
  const orderId = findOrderId(text);
  if (!orderId) return undefined;
  const word = normalize(text.replace(ORDER_ID, ' '));
  return { word, orderId };
}

/** Pesos are whole: a COP amount typed by a person, in minor units (centavos), or undefined. */
export function parseCopAmount(text: string): number | undefined {
  const compact = normalize(text)
    .replace(/^\$|^cop|cop$|pesos$/g, '')
    .replace(/\s/g, '');
  const grouped = /^\d{1,3}([.,]\d{3})+$/.test(compact);
  if (!grouped && !/^\d+$/.test(compact)) return undefined;
  const pesos = Number(compact.replace(/[.,]/g, ''));
  // Up to a trillion pesos: beyond that a typo is likelier than a maintenance quote.
  return Number.isSafeInteger(pesos) && pesos > 0 && pesos <= 1_000_000_000_000 ? pesos * 100 : undefined;
}

/** A whole number of days within [min, max] (`5`, `5 dias`, `5 days`), or undefined. */
export function parseDays(text: string, min: number, max: number): number | undefined {
  const m = /^(\d{1,3})(?: ?(?:dias?|days?|d))?$/.exec(normalize(text));
  const n = m ? Number(m[1]) : NaN;
  return Number.isInteger(n) && n >= min && n <= max ? n : undefined;
}

/** A title for an order from its description: the first line, at most 80 characters. */
export function titleFrom(description: string): string {
  const first = (description.trim().split('\n')[0] ?? '').trim();
  return first.length <= 80 ? first : `${first.slice(0, 79).trimEnd()}…`;
}
