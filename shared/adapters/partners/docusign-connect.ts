import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { ContractEvent, ContractEventKind } from '../../application/integrations/ports';

/**
 * DocuSign Connect (webhook) messages: the HMAC check and the JSON SIM payload. Pure functions; the
 * webhook endpoint reads the raw body and the keys and calls them.
 *
 * Connect signs the exact bytes it sends: HMAC-SHA256 with each of the account's Connect keys,
 * base64, in `X-DocuSign-Signature-1`, `-2`, ... A message is authentic when any header matches the
 * HMAC under any configured key (keys are rotated by adding the new one before removing the old).
 */
const SIGNATURE_HEADER = /^x-docusign-signature-(\d+)$/i;
/** Connect sends at most this many keys' signatures; more headers than that are not looked at. */
const MAX_SIGNATURES = 100;

export function verifyConnectSignature(
  rawBody: Uint8Array,
  headers: Readonly<Record<string, string | undefined>>,
  hmacKeys: readonly string[],
): boolean {
  const signatures = Object.entries(headers)
    .filter(([name, value]) => SIGNATURE_HEADER.test(name) && typeof value === 'string' && value.trim() !== '')
    .slice(0, MAX_SIGNATURES)
    .map(([, value]) => Buffer.from((value as string).trim(), 'utf8'));
  const keys = hmacKeys.filter((k) => k.length > 0);
  if (signatures.length === 0 || keys.length === 0) return false;

  let valid = false;
  for (const key of keys) {
    const expected = Buffer.from(createHmac('sha256', key).update(rawBody).digest('base64'), 'utf8');
    for (const provided of signatures) {
      // Every pair is compared (no early exit), in constant time for equal lengths; a length
      // mismatch (a truncated or padded value) can never be equal.
      if (provided.length === expected.length && timingSafeEqual(provided, expected)) valid = true;
    }
  }
  return valid;
}

/** The value of the `docusign-connect-hmac-keys` secret: keys separated by commas or newlines. */
export function parseHmacKeyList(value: string): string[] {
  return value
    .split(/[,\n]/)
    .map((k) => k.trim())
    .filter((k) => k.length > 0);
}

export class InvalidConnectEventError extends Error {
  constructor(detail: string) {
    super(`not a DocuSign Connect JSON SIM message: ${detail}`);
    this.name = 'InvalidConnectEventError';
  }
}

const textCustomField = z.object({ name: z.string(), value: z.string().optional() }).loose();

/** The JSON SIM envelope message (Connect 2.0), as far as we read it (also the webhook's documented body). */
export const connectMessage = z
  .object({
    event: z.string().min(1),
    apiVersion: z.string().optional(),
    uri: z.string().optional(),
    retryCount: z.union([z.number(), z.string()]).optional(),
    configurationId: z.union([z.number(), z.string()]).optional(),
    // When Connect generated the message: the only time the HMAC covers (the webhook's window).
    generatedDateTime: z
      .string()
      .min(1)
      .refine((v) => !Number.isNaN(Date.parse(v)), 'not a date-time'),
    data: z
      .object({
        accountId: z.string().optional(),
        userId: z.string().optional(),
        envelopeId: z.string().min(1),
        envelopeSummary: z
          .object({
            status: z.string().optional(),
            customFields: z
              .object({ textCustomFields: z.array(textCustomField).optional() })
              .loose()
              .optional(),
          })
          .loose()
          .optional(),
      })
      .loose(),
  })
  .loose();

const TERMINAL: ReadonlySet<string> = new Set(['envelope-completed', 'envelope-declined', 'envelope-voided']);

/** Parses a Connect JSON SIM message (after its signature was verified). */
export function parseConnectEvent(rawBody: Uint8Array): ContractEvent {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(rawBody));
  } catch {
    throw new InvalidConnectEventError('the body is not UTF-8 JSON');
  }
  const parsed = connectMessage.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidConnectEventError(issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid');
  }
  const message = parsed.data;
  const envelopeId = message.data.envelopeId;
  const terminal = TERMINAL.has(message.event);
  const orderId = message.data.envelopeSummary?.customFields?.textCustomFields?.find((f) => f.name === 'orderId')?.value;
  return {
    eventId: terminal
      ? `docusign:${envelopeId}:${message.event}`
      : `docusign:${envelopeId}:${message.event}:${message.generatedDateTime}`,
    event: terminal ? (message.event as ContractEventKind) : 'other',
    sourceEvent: message.event,
    envelopeId,
    ...(orderId ? { orderId } : {}),
    generatedDateTime: message.generatedDateTime,
  };
}
