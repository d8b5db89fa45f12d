import { randomUUID } from 'node:crypto';

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's `x-correlation-id` when it is well-formed, else a new one. */
export function correlationIdFrom(header: string | null | undefined): string {
  return header && CORRELATION_ID.test(header) ? header : randomUUID();
}
