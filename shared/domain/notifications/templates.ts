import type { Locale } from '../users/user';

/**
 * Message templates as code, typed by their variables, one text per locale. Values are escaped for
 * HTML; the text part carries the same content for clients that show plain text.
 */
export interface RenderedEmail {
  readonly subject: string;
  readonly html: string;
  readonly text: string;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

function email(subject: string, paragraphs: readonly string[]): RenderedEmail {
  return {
    subject,
    html: `<!doctype html><html><body>${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('')}</body></html>`,
    text: paragraphs.join('\n\n') + '\n',
  };
}

export interface OrderSubmittedVars {
  readonly recipientName: string;
  readonly orderId: string;
  readonly title: string;
  readonly priority: string;
  readonly forRequester: boolean;
}

export const TEMPLATES = {
  'order-submitted': (v: OrderSubmittedVars, locale: Locale): RenderedEmail =>
    locale === 'en'
      ? email(`Order received: ${v.title}`, [
          `Hello ${v.recipientName},`,
          v.forRequester
            ? `We received your maintenance order "${v.title}" (priority ${v.priority}).`
            : `A new maintenance order "${v.title}" (priority ${v.priority}) is waiting for triage.`,
          `Order: ${v.orderId}`,
          'Algesta',
        ])
      : email(`Orden recibida: ${v.title}`, [
          `Hola ${v.recipientName},`,
          v.forRequester
            ? `Recibimos tu orden de mantenimiento "${v.title}" (prioridad ${v.priority}).`
            : `Una nueva orden de mantenimiento "${v.title}" (prioridad ${v.priority}) espera clasificación.`,
          `Orden: ${v.orderId}`,
          'Algesta',
        ]),
} as const;

export type TemplateName = keyof typeof TEMPLATES;
