import type { Locale } from '../users/user';

/**
 * Message templates as typed code, one text per locale (`es-CO` default, `en`), for both channels:
 * an e-mail (subject, HTML and text alike) and a WhatsApp template message (the Jelou/Meta template
 * name, its language and its numbered parameters — the approved template bodies are in
 * docs/notifications.md). Every value is escaped for HTML; nothing a user typed becomes markup.
 */
export interface RenderedEmail {
  readonly subject: string;
  readonly html: string;
  readonly text: string;
}

export interface RenderedWhatsApp {
  readonly name: string;
  readonly language: string;
  readonly parameters: readonly string[];
}

/** Everything a message may mention; each template names the fields it needs. */
export interface MessageVars {
  readonly recipientName: string;
  readonly orderId: string;
  readonly title: string;
  readonly priority: string;
  readonly reason: string;
  readonly amount: string;
  readonly visitAt: string;
  readonly quoteDeadline: string;
  readonly clock: string;
  readonly dueAt: string;
  readonly providerName: string;
  readonly documentType: string;
  readonly expiresAt: string;
  readonly daysLeft: string;
  readonly decision: string;
  /** A webhook endpoint's URL (the client event feed). */
  readonly endpointUrl: string;
  /** The approval tier an approval event names (issue 17). */
  readonly tierName: string;
}

type Text = (v: MessageVars) => { subject: string; lines: string[] };

interface TemplateDefinition {
  /** The fields the template's WhatsApp parameters carry, in order ({{1}}, {{2}}, …). */
  readonly whatsapp: readonly (keyof MessageVars)[];
  readonly text: { readonly [L in Locale]: Text };
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

const SIGNATURE = 'Algesta';

/** Greeting, body, the order reference when there is one, signature. */
function build(locale: Locale, v: MessageVars, subject: string, body: string[], withOrder = true) {
  const hello = locale === 'en' ? `Hello ${v.recipientName},` : `Hola ${v.recipientName},`;
  const ref = withOrder ? [locale === 'en' ? `Order: ${v.orderId}` : `Orden: ${v.orderId}`] : [];
  return { subject, lines: [hello, ...body, ...ref, SIGNATURE] };
}

export const TEMPLATES = {
  'order-submitted': {
    whatsapp: ['recipientName', 'title', 'orderId'],
    text: {
      'es-CO': (v) =>
        build('es-CO', v, `Orden recibida: ${v.title}`, [
          `Recibimos la orden de mantenimiento "${v.title}" (prioridad ${v.priority}).`,
        ]),
      en: (v) =>
        build('en', v, `Order received: ${v.title}`, [
          `We received the maintenance order "${v.title}" (priority ${v.priority}).`,
        ]),
    },
  },
  'order-awaiting-triage': {
    whatsapp: ['recipientName', 'title', 'priority', 'orderId'],
    text: {
      'es-CO': (v) =>
        build('es-CO', v, `Nueva orden por clasificar: ${v.title}`, [
          `La orden "${v.title}" (prioridad ${v.priority}) espera clasificación.`,
        ]),
      en: (v) =>
        build('en', v, `New order to triage: ${v.title}`, [
          `The order "${v.title}" (priority ${v.priority}) is waiting for triage.`,
        ]),
    },
  },
  'quotes-requested': {
    whatsapp: ['recipientName', 'title', 'quoteDeadline', 'orderId'],
    text: {
      'es-CO': (v) =>
        build('es-CO', v, `Invitación a cotizar: ${v.title}`, [
          `Te invitamos a cotizar la orden "${v.title}".`,
          `Envía tu cotización antes de ${v.quoteDeadline}.`,
        ]),
      en: (v) =>
        build('en', v, `Invitation to quote: ${v.title}`, [
          `You are invited to quote the order "${v.title}".`,
          `Send your quote before ${v.quoteDeadline}.`,
        ]),
    },
  },
  'quote-received': {
    whatsapp: ['recipientName', 'providerName', 'title', 'orderId'],
    text: {
      'es-CO': (v) =>
        build('es-CO', v, `Cotización recibida: ${v.title}`, [`${v.providerName} envió una cotización para "${v.title}".`]),
      en: (v) => build('en', v, `Quote received: ${v.title}`, [`${v.providerName} sent a quote for "${v.title}".`]),
    },
  },
  'quote-awaiting-approval': {
    whatsapp: ['recipientName', 'title', 'amount', 'orderId'],
    text: {
      'es-CO': (v) =>
        build('es-CO', v, `Cotización por aprobar: ${v.title}`, [
          `La cotización seleccionada para "${v.title}" por ${v.amount} espera tu aprobación.`,
        ]),
      en: (v) =>
        build('en', v, `Quote awaiting approval: ${v.title}`, [
          `The selected quote for "${v.title}" of ${v.amount} awaits your approval.`,
        ]),
    },
  },
  'order-approved': {
    whatsapp: ['recipientName', 'title', 'amount', 'orderId'],
    text: {
      'es-CO': (v) =>
        build('es-CO', v, `Orden aprobada: ${v.title}`, [
          `La orden "${v.title}" fue aprobada por ${v.amount}. Sigue la firma del contrato.`,
        ]),
      en: (v) =>
        build('en', v, `Order approved: ${v.title}`, [
          `The order "${v.title}" was approved for ${v.amount}. The contract signature comes next.`,
        ]),
    },
  },
  'contract-sent': {
    whatsapp: ['recipientName', 'title', 'orderId'],
    text: {
      'es-CO': (v) =>
        build('es-CO', v, `Contrato para firmar: ${v.title}`, [
          `Enviamos el contrato de la orden "${v.title}" para firma electrónica (DocuSign).`,
        ]),
      en: (v) =>
        build('en', v, `Contract to sign: ${v.title}`, [
          `The contract for the order "${v.title}" was sent for electronic signature (DocuSign).`,
        ]),
    },
  },
  'contract-signed': {
    whatsapp: ['recipientName', 'title', 'orderId'],
    text: {
      'es-CO': (v) =>
        build('es-CO', v, `Contrato firmado: ${v.title}`, [
          `El contrato de la orden "${v.title}" está firmado. El proveedor programará la visita.`,
        ]),
      en: (v) =>
        build('en', v, `Contract signed: ${v.title}`, [
          `The contract for the order "${v.title}" is signed. The provider will schedule the visit.`,
        ]),
    },
  },
  'visit-scheduled': {
    whatsapp: ['recipientName', 'title', 'visitAt', 'orderId'],
    text: {
      'es-CO': (v) =>
        build('es-CO', v, `Visita programada: ${v.title}`, [`La visita para "${v.title}" quedó programada para ${v.visitAt}.`]),
      en: (v) => build('en', v, `Visit scheduled: ${v.title}`, [`The visit for "${v.title}" is scheduled for ${v.visitAt}.`]),
    },
  },
  'checked-in': {
    whatsapp: ['recipientName', 'title', 'orderId'],
    text: {
      'es-CO': (v) => build('es-CO', v, `Técnico en sitio: ${v.title}`, [`El técnico llegó al sitio para "${v.title}".`]),
      en: (v) => build('en', v, `Technician on site: ${v.title}`, [`The technician arrived on site for "${v.title}".`]),
    },
  },
  'on-hold': {
    whatsapp: ['recipientName', 'title', 'reason', 'orderId'],
    text: {
      'es-CO': (v) => build('es-CO', v, `Orden en espera: ${v.title}`, [`La orden "${v.title}" quedó en espera: ${v.reason}.`]),
      en: (v) => build('en', v, `Order on hold: ${v.title}`, [`The order "${v.title}" is on hold: ${v.reason}.`]),
    },
  },
  'work-completed': {
    whatsapp: ['recipientName', 'title', 'orderId'],
    text: {
      'es-CO': (v) => build('es-CO', v, `Trabajo terminado: ${v.title}`, [`El proveedor terminó el trabajo de "${v.title}".`]),
      en: (v) => build('en', v, `Work completed: ${v.title}`, [`The provider completed the work on "${v.title}".`]),
    },
  },
  'verification-requested': {
    whatsapp: ['recipientName', 'title', 'orderId'],
    text: {
      'es-CO': (v) =>
        build('es-CO', v, `Verifica el trabajo: ${v.title}`, [
          `El trabajo de "${v.title}" está terminado. Verifícalo o pide un reproceso.`,
        ]),
      en: (v) =>
        build('en', v, `Please verify the work: ${v.title}`, [
          `The work on "${v.title}" is completed. Verify it or request rework.`,
        ]),
    },
  },
  'rework-requested': {
    whatsapp: ['recipientName', 'title', 'reason', 'orderId'],
    text: {
      'es-CO': (v) =>
        build('es-CO', v, `Reproceso solicitado: ${v.title}`, [`El cliente pidió un reproceso de "${v.title}": ${v.reason}.`]),
      en: (v) => build('en', v, `Rework requested: ${v.title}`, [`The client requested rework on "${v.title}": ${v.reason}.`]),
    },
  },
  invoiced: {
    whatsapp: ['recipientName', 'title', 'amount', 'orderId'],
    text: {
      'es-CO': (v) => build('es-CO', v, `Factura recibida: ${v.title}`, [`El proveedor facturó ${v.amount} por "${v.title}".`]),
      en: (v) => build('en', v, `Invoice received: ${v.title}`, [`The provider invoiced ${v.amount} for "${v.title}".`]),
    },
  },
  // Issue 17: field and invoice controls
  'geofence-flagged': {
    whatsapp: ['recipientName', 'title', 'reason', 'orderId'],
    text: {
      'es-CO': (v) =>
        build('es-CO', v, `Registro fuera de la sede: ${v.title}`, [
          `El proveedor registró llegada o salida de "${v.title}" fuera del radio de la sede (distancia / radio: ${v.reason}).`,
        ]),
      en: (v) =>
        build('en', v, `Check-in outside the site: ${v.title}`, [
          `The provider checked in or out of "${v.title}" outside the site's radius (distance / radius: ${v.reason}).`,
        ]),
    },
  },
  'invoice-held': {
    whatsapp: ['recipientName', 'title', 'amount', 'reason', 'orderId'],
    text: {
      'es-CO': (v) =>
        build('es-CO', v, `Factura retenida para revisión: ${v.title}`, [
          `La factura de ${v.amount} por "${v.title}" quedó retenida: ${v.reason}. Apruébela o rechácela.`,
        ]),
      en: (v) =>
        build('en', v, `Invoice held for review: ${v.title}`, [
          `The ${v.amount} invoice for "${v.title}" is held: ${v.reason}. Approve or reject it.`,
        ]),
    },
  },
  'invoice-approved': {
    whatsapp: ['recipientName', 'title', 'amount', 'orderId'],
    text: {
      'es-CO': (v) =>
        build('es-CO', v, `Factura aprobada para pago: ${v.title}`, [
          `Su factura de ${v.amount} por "${v.title}" quedó aprobada para pago.`,
        ]),
      en: (v) =>
        build('en', v, `Invoice approved for payment: ${v.title}`, [
          `Your ${v.amount} invoice for "${v.title}" is approved for payment.`,
        ]),
    },
  },
  'invoice-rejected': {
    whatsapp: ['recipientName', 'title', 'reason', 'orderId'],
    text: {
      'es-CO': (v) =>
        build('es-CO', v, `Factura rechazada: ${v.title}`, [
          `Su factura por "${v.title}" fue rechazada: ${v.reason}. Envíe una factura corregida.`,
        ]),
      en: (v) =>
        build('en', v, `Invoice rejected: ${v.title}`, [
          `Your invoice for "${v.title}" was rejected: ${v.reason}. Please send a corrected one.`,
        ]),
    },
  },
  'order-closed': {
    whatsapp: ['recipientName', 'title', 'orderId'],
    text: {
      'es-CO': (v) => build('es-CO', v, `Orden cerrada: ${v.title}`, [`La orden "${v.title}" quedó cerrada. Gracias.`]),
      en: (v) => build('en', v, `Order closed: ${v.title}`, [`The order "${v.title}" is closed. Thank you.`]),
    },
  },
  'order-cancelled': {
    whatsapp: ['recipientName', 'title', 'reason', 'orderId'],
    text: {
      'es-CO': (v) => build('es-CO', v, `Orden cancelada: ${v.title}`, [`La orden "${v.title}" fue cancelada: ${v.reason}.`]),
      en: (v) => build('en', v, `Order cancelled: ${v.title}`, [`The order "${v.title}" was cancelled: ${v.reason}.`]),
    },
  },
  'sla-at-risk': {
    whatsapp: ['recipientName', 'title', 'clock', 'dueAt', 'orderId'],
    text: {
      'es-CO': (v) =>
        build('es-CO', v, `ANS en riesgo: ${v.title}`, [
          `El plazo "${v.clock}" de la orden "${v.title}" vence ${v.dueAt} (75 % consumido).`,
        ]),
      en: (v) =>
        build('en', v, `SLA at risk: ${v.title}`, [
          `The "${v.clock}" deadline of the order "${v.title}" is due ${v.dueAt} (75 % used).`,
        ]),
    },
  },
  'sla-breached': {
    whatsapp: ['recipientName', 'title', 'clock', 'dueAt', 'orderId'],
    text: {
      'es-CO': (v) =>
        build('es-CO', v, `ANS incumplido: ${v.title}`, [`El plazo "${v.clock}" de la orden "${v.title}" venció ${v.dueAt}.`]),
      en: (v) =>
        build('en', v, `SLA breached: ${v.title}`, [`The "${v.clock}" deadline of the order "${v.title}" passed ${v.dueAt}.`]),
    },
  },
  'document-reviewed': {
    whatsapp: ['recipientName', 'documentType', 'decision', 'reason'],
    text: {
      'es-CO': (v) =>
        build(
          'es-CO',
          v,
          `Documento revisado: ${v.documentType}`,
          [`Tu documento "${v.documentType}" fue ${v.decision}. ${v.reason}`.trim()],
          false,
        ),
      en: (v) =>
        build(
          'en',
          v,
          `Document reviewed: ${v.documentType}`,
          [`Your document "${v.documentType}" was ${v.decision}. ${v.reason}`.trim()],
          false,
        ),
    },
  },
  'document-expiring': {
    whatsapp: ['recipientName', 'documentType', 'expiresAt', 'daysLeft'],
    text: {
      'es-CO': (v) =>
        build(
          'es-CO',
          v,
          `Documento por vencer: ${v.documentType}`,
          [
            `Tu documento "${v.documentType}" vence el ${v.expiresAt} (faltan ${v.daysLeft} días). Sube la renovación para seguir recibiendo órdenes.`,
          ],
          false,
        ),
      en: (v) =>
        build(
          'en',
          v,
          `Document expiring: ${v.documentType}`,
          [
            `Your document "${v.documentType}" expires on ${v.expiresAt} (${v.daysLeft} days left). Upload the renewal to keep receiving orders.`,
          ],
          false,
        ),
    },
  },
  'provider-approved': {
    whatsapp: ['recipientName', 'providerName'],
    text: {
      'es-CO': (v) =>
        build(
          'es-CO',
          v,
          'Proveedor aprobado',
          [`${v.providerName} fue aprobado. Ya puedes recibir invitaciones a cotizar.`],
          false,
        ),
      en: (v) =>
        build('en', v, 'Provider approved', [`${v.providerName} was approved. You can now receive invitations to quote.`], false),
    },
  },
  'provider-suspended': {
    whatsapp: ['recipientName', 'providerName', 'reason'],
    text: {
      'es-CO': (v) => build('es-CO', v, 'Proveedor suspendido', [`${v.providerName} fue suspendido: ${v.reason}.`], false),
      en: (v) => build('en', v, 'Provider suspended', [`${v.providerName} was suspended: ${v.reason}.`], false),
    },
  },
  'webhook-endpoint-disabled': {
    whatsapp: ['recipientName', 'endpointUrl', 'dueAt'],
    text: {
      'es-CO': (v) =>
        build(
          'es-CO',
          v,
          'Endpoint de webhooks deshabilitado',
          [
            `El endpoint ${v.endpointUrl} falló sin interrupción desde ${v.dueAt} y fue deshabilitado: no recibe más eventos.`,
            'Corríjalo, habilítelo de nuevo y reenvíe las entregas fallidas (docs/webhooks.md).',
          ],
          false,
        ),
      en: (v) =>
        build(
          'en',
          v,
          'Webhook endpoint disabled',
          [
            `The endpoint ${v.endpointUrl} failed continuously since ${v.dueAt} and was disabled: it receives no more events.`,
            'Fix it, enable it again and replay the failed deliveries (docs/webhooks.md).',
          ],
          false,
        ),
    },
  },
  // ---- approval chains and NTE increases (issue 17) ----
  'approval-requested': {
    whatsapp: ['recipientName', 'title', 'amount', 'orderId'],
    text: {
      'es-CO': (v) =>
        build('es-CO', v, `Aprobación pendiente: ${v.title}`, [
          `La orden "${v.title}" por ${v.amount} espera tu aprobación${v.tierName ? ` (nivel ${v.tierName})` : ''}.`,
          ...(v.dueAt ? [`Si no respondes antes de ${v.dueAt}, pasará al siguiente nivel.`] : []),
        ]),
      en: (v) =>
        build('en', v, `Approval pending: ${v.title}`, [
          `The order "${v.title}" of ${v.amount} awaits your approval${v.tierName ? ` (tier ${v.tierName})` : ''}.`,
          ...(v.dueAt ? [`If there is no answer by ${v.dueAt}, it moves to the next tier.`] : []),
        ]),
    },
  },
  'approval-escalated': {
    whatsapp: ['recipientName', 'title', 'amount', 'orderId'],
    text: {
      'es-CO': (v) =>
        build('es-CO', v, `Aprobación escalada: ${v.title}`, [
          `El nivel anterior no respondió a tiempo: la orden "${v.title}" por ${v.amount} espera ahora tu aprobación.`,
        ]),
      en: (v) =>
        build('en', v, `Approval escalated: ${v.title}`, [
          `The previous tier did not answer in time: the order "${v.title}" of ${v.amount} now awaits your approval.`,
        ]),
    },
  },
  'nte-increase-requested': {
    whatsapp: ['recipientName', 'title', 'amount', 'reason', 'orderId'],
    text: {
      'es-CO': (v) =>
        build('es-CO', v, `Solicitud de aumento del tope: ${v.title}`, [
          `El proveedor pide subir el tope de "${v.title}" a ${v.amount}: ${v.reason}.`,
        ]),
      en: (v) =>
        build('en', v, `NTE increase requested: ${v.title}`, [
          `The provider asks to raise the NTE of "${v.title}" to ${v.amount}: ${v.reason}.`,
        ]),
    },
  },
  'nte-increase-approved': {
    whatsapp: ['recipientName', 'title', 'amount', 'orderId'],
    text: {
      'es-CO': (v) =>
        build('es-CO', v, `Aumento del tope aprobado: ${v.title}`, [`El nuevo tope de "${v.title}" es ${v.amount}.`]),
      en: (v) => build('en', v, `NTE increase approved: ${v.title}`, [`The new NTE of "${v.title}" is ${v.amount}.`]),
    },
  },
  'nte-increase-rejected': {
    whatsapp: ['recipientName', 'title', 'reason', 'orderId'],
    text: {
      'es-CO': (v) =>
        build('es-CO', v, `Aumento del tope rechazado: ${v.title}`, [
          `No se aprobó subir el tope de "${v.title}": ${v.reason}. El tope sigue igual.`,
        ]),
      en: (v) =>
        build('en', v, `NTE increase rejected: ${v.title}`, [
          `Raising the NTE of "${v.title}" was not approved: ${v.reason}. The NTE stays as it was.`,
        ]),
    },
  },
  // A plan's order fell back to triage: its pre-approved provider is not eligible (docs/plans.md).
  'plan-provider-ineligible': {
    whatsapp: ['recipientName', 'title', 'reason', 'orderId'],
    text: {
      'es-CO': (v) =>
        build('es-CO', v, `Plan sin proveedor elegible: ${v.title}`, [
          `La orden del plan "${v.title}" espera clasificación: el proveedor preferido no es elegible (${v.reason}).`,
        ]),
      en: (v) =>
        build('en', v, `Plan provider not eligible: ${v.title}`, [
          `The plan's order "${v.title}" awaits triage: its preferred provider is not eligible (${v.reason}).`,
        ]),
    },
  },
} as const satisfies Record<string, TemplateDefinition>;

export type TemplateName = keyof typeof TEMPLATES;

export function renderEmail(template: TemplateName, vars: MessageVars, locale: Locale): RenderedEmail {
  const { subject, lines } = (TEMPLATES[template] as TemplateDefinition).text[locale](vars);
  return {
    subject,
    html: `<!doctype html><html><body>${lines.map((p) => `<p>${escapeHtml(p)}</p>`).join('')}</body></html>`,
    text: lines.join('\n\n') + '\n',
  };
}

/** Jelou/Meta template names are lower snake case; languages are `es_CO` / `en`. */
export function renderWhatsApp(template: TemplateName, vars: MessageVars, locale: Locale): RenderedWhatsApp {
  return {
    name: `algesta_${template.replace(/-/g, '_')}`,
    language: locale === 'en' ? 'en' : 'es_CO',
    parameters: (TEMPLATES[template] as TemplateDefinition).whatsapp.map((k) => vars[k] || '-'),
  };
}
