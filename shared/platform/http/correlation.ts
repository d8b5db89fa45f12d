import { randomBytes, randomUUID } from 'node:crypto';

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The caller's `x-correlation-id` when it is well-formed, else a new one. */
export function correlationIdFrom(header: string | null | undefined): string {
  return header && CORRELATION_ID.test(header) ? header : randomUUID();
}

/** The incoming W3C trace context when valid, else a new root span's. */
export function traceparentFrom(...candidates: (string | null | undefined)[]): string {
  for (const c of candidates) if (c && TRACEPARENT.test(c)) return c;
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}
