/** E.164: a plus, a country code not starting with 0, at most 15 digits in all. */
const E164 = /^\+[1-9]\d{7,14}$/;

export function isE164(phone: string): boolean {
  return E164.test(phone);
}

/**
 * A WhatsApp number as partners spell it (`573001234567`, `+57 300 123 4567`) in E.164, or
 * undefined when it is not a phone number at all.
 */
export function toE164(raw: string): string | undefined {
  const compact = raw.trim().replace(/[\s\-().]/g, '');
  const candidate = compact.startsWith('+') ? compact : `+${compact}`;
  return isE164(candidate) ? candidate : undefined;
}

/** The international number without the plus: how Jelou names WhatsApp users and destinations. */
export function withoutPlus(e164: string): string {
  return e164.startsWith('+') ? e164.slice(1) : e164;
}
