/**
 * How a feed request is signed (docs/webhooks.md, "Verifying a request"), as Stripe signs its
 * webhooks: `Algesta-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]`, each `v1` the hex
 * HMAC-SHA256 of `<t>.<raw body>` under one signing secret of the endpoint — during a rotation's
 * overlap one per secret, so a receiver holding either the old or the new secret verifies. The
 * timestamp is signed with the body: a captured request replayed later fails the receiver's
 * tolerance check. The HMAC itself is computed by the application (node:crypto).
 */
export const SIGNATURE_HEADER = 'Algesta-Signature';
export const EVENT_ID_HEADER = 'Algesta-Event-Id';
export const EVENT_TYPE_HEADER = 'Algesta-Event-Type';
export const ATTEMPT_HEADER = 'Algesta-Delivery-Attempt';
export const SIGNATURE_SCHEME = 'v1';
/** The tolerance we recommend to receivers, and use in our own verifier. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** What is signed: the timestamp, a dot, the exact body bytes sent. */
export const signedPayload = (timestamp: number, body: string): string => `${timestamp}.${body}`;

export function signatureHeader(timestamp: number, hexSignatures: readonly string[]): string {
  return [`t=${timestamp}`, ...hexSignatures.map((s) => `${SIGNATURE_SCHEME}=${s}`)].join(',');
}

/** The header's parts; undefined when it has no timestamp. Unknown schemes are ignored (future versions). */
export function parseSignatureHeader(header: string): { readonly timestamp: number; readonly v1: readonly string[] } | undefined {
  let timestamp: number | undefined;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2) as [string, string | undefined];
    if (value === undefined) continue;
    if (key === 't' && /^\d+$/.test(value)) timestamp = Number(value);
    if (key === SIGNATURE_SCHEME && /^[0-9a-f]{64}$/.test(value)) v1.push(value);
  }
  return timestamp === undefined ? undefined : { timestamp, v1 };
}
