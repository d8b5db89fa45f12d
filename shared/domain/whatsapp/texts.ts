import type { OrderStatus, ServiceCategory } from '../orders/order';
import { SERVICE_CATEGORIES } from '../orders/order';
import { formatMoney } from '../shared/money';
import { localDateTime } from '../shared/time';
import type { Locale } from '../users/user';
import type { Distance, OrderSummary, Purpose, Refusal, Reply } from './dialog';

/**
 * The conversation's words, `es-CO` (default, "usted") and `en`. Free text inside WhatsApp's
 * 24-hour window, so no approved template is needed; numbered lists because every phone can type
 * a digit.
 */
type Words = {
  readonly [K in Reply['key']]: (r: Extract<Reply, { key: K }>) => string;
};

const CATEGORY: Record<Locale, Record<ServiceCategory, string>> = {
  'es-CO': {
    electrical: 'Eléctrico',
    plumbing: 'Plomería',
    hvac: 'Aire acondicionado y ventilación',
    civil: 'Obra civil',
    locksmith: 'Cerrajería',
    cleaning: 'Limpieza',
    it: 'Tecnología (TI)',
    other: 'Otro',
  },
  en: {
    electrical: 'Electrical',
    plumbing: 'Plumbing',
    hvac: 'Air conditioning and ventilation (HVAC)',
    civil: 'Civil works',
    locksmith: 'Locksmith',
    cleaning: 'Cleaning',
    it: 'IT',
    other: 'Other',
  },
};

const STATUS: Record<Locale, Record<OrderStatus, string>> = {
  'es-CO': {
    SUBMITTED: 'recibida',
    TRIAGED: 'en revisión',
    REJECTED: 'rechazada',
    QUOTING: 'en cotización',
    AWAITING_APPROVAL: 'esperando aprobación',
    CONTRACTING: 'en contratación',
    SCHEDULED: 'programada',
    IN_PROGRESS: 'en ejecución',
    ON_HOLD: 'en pausa',
    WORK_COMPLETED: 'trabajo terminado',
    VERIFIED: 'verificada',
    INVOICED: 'facturada',
    CLOSED: 'cerrada',
    CANCELLED: 'cancelada',
  },
  en: {
    SUBMITTED: 'submitted',
    TRIAGED: 'triaged',
    REJECTED: 'rejected',
    QUOTING: 'collecting quotes',
    AWAITING_APPROVAL: 'awaiting approval',
    CONTRACTING: 'contracting',
    SCHEDULED: 'scheduled',
    IN_PROGRESS: 'in progress',
    ON_HOLD: 'on hold',
    WORK_COMPLETED: 'work completed',
    VERIFIED: 'verified',
    INVOICED: 'invoiced',
    CLOSED: 'closed',
    CANCELLED: 'cancelled',
  },
};

/** Whole pesos with the locale's thousands separator: `$1.250.000` / `COP 1,250,000`. */
export function formatCop(minor: number, locale: Locale): string {
  return formatMoney({ amount: minor, currency: 'COP' }, locale, 'plain');
}

const numbered = (lines: readonly string[]) => lines.map((l, i) => `${i + 1}. ${l}`).join('\n');

function orderLine(o: OrderSummary, locale: Locale): string {
  const visit = o.visitAt ? ` (${locale === 'en' ? 'visit' : 'visita'} ${localDateTime(o.visitAt)})` : '';
  return `${o.id} — ${o.title} — ${STATUS[locale][o.status]}${visit}`;
}

/** Why a request was refused, as one clause (the sentence is closed by `refused`). */
const ES_REFUSAL: Record<Refusal, string> = {
  'not-found': 'No encontramos esa orden o invitación entre las suyas; revise el número de la orden',
  forbidden: 'Su perfil no permite esa acción',
  'approval-limit': 'El monto supera su límite de aprobación; un coordinador de Algesta puede aprobarlo',
  conflict: 'La orden está en un estado que no permite esa acción',
  'precondition-failed': 'La orden cambió mientras tanto; intente de nuevo',
  invalid: 'Algún dato no es válido para esa orden (por ejemplo, una fecha o un plazo ya vencido)',
  unavailable: 'El servicio no está disponible en este momento; intente de nuevo en unos minutos',
  'photos-failed': 'No pudimos guardar ninguna de las fotos; envíelas de nuevo, por favor',
  'invoice-rules': 'La factura no cumple las reglas del cliente',
  'position-required': 'El cliente exige verificar su ubicación: comparta su ubicación desde WhatsApp para registrar la llegada',
};

const EN_REFUSAL: Record<Refusal, string> = {
  'not-found': 'We could not find that order or invitation among yours; please check the order number',
  forbidden: 'Your profile does not allow that',
  'approval-limit': 'The amount exceeds your approval limit; an Algesta coordinator can approve it',
  conflict: 'The order is in a state that does not allow that',
  'precondition-failed': 'The order changed in the meantime; please try again',
  invalid: 'Some detail is not valid for that order (for example a date or a deadline that has passed)',
  unavailable: 'The service is not available right now; please try again in a few minutes',
  'photos-failed': 'None of the photos could be stored; please send them again',
  'invoice-rules': 'The invoice breaks the client’s rules',
  'position-required': 'The client requires a verified location: share your location on WhatsApp to check in',
};

/** A measured check-in / check-out, told with its distance; outside the radius it says it was flagged. */
const esDistance = (d: (Distance & { flagged: boolean }) | undefined) =>
  !d
    ? ''
    : d.flagged
      ? ` a ${d.distanceMeters} m de la sede (fuera del radio de ${d.radiusMeters} m: un coordinador lo revisará)`
      : ` a ${d.distanceMeters} m de la sede`;
const enDistance = (d: (Distance & { flagged: boolean }) | undefined) =>
  !d
    ? ''
    : d.flagged
      ? ` ${d.distanceMeters} m from the site (outside the ${d.radiusMeters} m radius: a coordinator will review it)`
      : ` ${d.distanceMeters} m from the site`;

const ES_PURPOSE: Record<Purpose, string> = { 'check-in': 'registrar su llegada', complete: 'completar' };
const EN_PURPOSE: Record<Purpose, string> = { 'check-in': 'check in', complete: 'complete' };

const ES: Words = {
  'unknown-number': () =>
    'Hola. Este es el WhatsApp de Algesta, la plataforma de mantenimiento. No encontramos su número entre ' +
    'nuestros usuarios, así que no podemos atenderle por este medio. Si trabaja con un cliente o proveedor ' +
    'de Algesta, pida a su coordinador que registre este teléfono en su perfil. Gracias.',
  'staff-not-supported': () => 'Este canal de WhatsApp es para clientes y proveedores. Por favor use el panel de Algesta.',
  menu: (r) =>
    [
      r.name ? `Hola, ${r.name}. ¿Qué desea hacer?` : 'Hola. ¿Qué desea hacer?',
      r.role === 'client'
        ? numbered(['Abrir una orden de servicio', 'Ver mis órdenes recientes'])
        : numbered(['Ver mis invitaciones a cotizar', 'Registrar mi llegada a un trabajo', 'Completar un trabajo']),
      r.role === 'client'
        ? 'Para consultar una orden escriba: estado ord_…'
        : 'También puede escribir: cotizar ord_…, rechazar ord_…, llegada ord_…, completar ord_…, aumento ord_…, estado ord_…',
      ...(r.role === 'provider'
        ? ['Para registrar llegada o salida con verificación, comparta su ubicación desde el sitio.']
        : []),
      'Escriba "cancelar" en cualquier momento para volver a este menú.',
    ].join('\n'),
  cancelled: () => 'Listo, dejamos eso.',
  'pick-number': (r) => `Por favor responda con un número del 1 al ${r.max}.`,
  'unexpected-photo': () => 'Recibimos una foto, pero en este paso no la esperábamos. Escriba "cancelar" para ver el menú.',
  'unsupported-message': () => 'Por este medio solo podemos leer texto y fotos.',
  'choose-site': (r) =>
    `¿En cuál sede es el servicio?\n${numbered(r.sites.map((s) => (s.city ? `${s.name} (${s.city})` : s.name)))}`,
  'no-sites': () => 'Su empresa aún no tiene sedes registradas en Algesta. Pida a su coordinador que las registre.',
  'choose-category': () => `¿Qué tipo de servicio necesita?\n${numbered(SERVICE_CATEGORIES.map((c) => CATEGORY['es-CO'][c]))}`,
  describe: () => 'Describa el problema en un mensaje: qué pasa, dónde y desde cuándo.',
  'too-short': () => 'Es muy corto. Escriba un poco más, por favor.',
  'send-photos': () => 'Si tiene fotos, envíelas ahora (hasta 10). Cuando termine, escriba "listo".',
  'photo-received': (r) => `Foto ${r.count} recibida.`,
  'too-many-photos': (r) => `Ya tenemos ${r.max} fotos, el máximo. Escriba "listo" para continuar.`,
  'order-created': (r) =>
    [
      `Su orden quedó registrada con el número ${r.orderId}.`,
      r.photosStored ? `Guardamos ${r.photosStored} foto(s).` : '',
      r.photosFailed ? `No pudimos guardar ${r.photosFailed} foto(s); puede adjuntarlas desde el panel.` : '',
      'Le avisaremos de cada avance. Para consultarla escriba: estado ' + r.orderId,
    ]
      .filter(Boolean)
      .join('\n'),
  'order-status': (r) => `Orden ${orderLine(r.order, 'es-CO')}`,
  'recent-orders': (r) => `Sus órdenes más recientes:\n${r.orders.map((o) => `• ${orderLine(o, 'es-CO')}`).join('\n')}`,
  'no-orders': () => 'No encontramos órdenes suyas todavía.',
  invitations: (r) =>
    `Sus invitaciones abiertas (responda con el número):\n${numbered(
      r.invitations.map((i) => `${i.title} — ${i.orderId} — cierra ${localDateTime(i.quoteDeadline)}`),
    )}`,
  'no-invitations': () => 'No tiene invitaciones abiertas en este momento.',
  'invitation-options': (r) =>
    `${r.invitation.title} (${r.invitation.orderId}), cierra ${localDateTime(r.invitation.quoteDeadline)}.\n` +
    numbered(['Aceptar y cotizar', 'Rechazar']),
  'decline-reason': () => '¿Por qué rechaza la invitación? Escriba el motivo en un mensaje.',
  declined: (r) => `Registramos que no cotizará la orden ${r.orderId}. Gracias por avisar.`,
  'quote-amount': (r) => `Cotización para ${r.orderId}. ¿Cuál es el valor total en pesos (COP)? Por ejemplo: 1.250.000`,
  'invalid-amount': () => 'No entendimos el valor. Escriba solo el número en pesos, por ejemplo 1.250.000.',
  'quote-lead-time': () => '¿En cuántos días puede hacer el trabajo (plazo de ejecución)?',
  'quote-validity': () => '¿Por cuántos días es válida la cotización?',
  'invalid-days': (r) => `Escriba un número de días entre ${r.min} y ${r.max}.`,
  'quote-submitted': (r) =>
    `Cotización enviada para ${r.orderId}: ${formatCop(r.amount, 'es-CO')}, plazo ${r.leadTimeDays} día(s), ` +
    `válida hasta ${r.validUntil}. Puede reemplazarla hasta el cierre.`,
  'choose-order': (r) =>
    `¿Qué orden quiere ${ES_PURPOSE[r.purpose]}? Responda con el número:\n${numbered(r.orders.map((o) => orderLine(o, 'es-CO')))}`,
  'no-assigned-orders': (r) => `No tiene órdenes para ${ES_PURPOSE[r.purpose]} en este momento.`,
  'checked-in': (r) => `Llegada registrada en la orden ${r.orderId}${esDistance(r.distance)}. ¡Buen trabajo!`,
  'checked-out': (r) => `Salida registrada en la orden ${r.orderId}${esDistance(r.distance)}. Gracias.`,
  'outside-site': (r) =>
    `No registramos el movimiento en la orden ${r.orderId}: su ubicación está a ${r.distance.distanceMeters} m de la sede ` +
    `y el cliente exige estar a menos de ${r.distance.radiusMeters} m. Comparta su ubicación cuando esté en el sitio.`,
  'no-field-order': () => 'No tiene una orden programada ni un trabajo en curso para registrar llegada o salida.',
  'complete-report': (r) => `Orden ${r.orderId}: escriba un breve informe del trabajo realizado.`,
  'complete-photos': () => 'Envíe las fotos del trabajo terminado (al menos una). Cuando termine, escriba "listo".',
  'need-photo': () => 'Necesitamos al menos una foto del trabajo para completarlo.',
  completed: (r) => `Orden ${r.orderId} completada con ${r.photos} foto(s). El cliente la revisará.`,
  'nte-amount': (r) =>
    `Aumento del tope de la orden ${r.orderId}. ¿Cuál es el nuevo valor total en pesos (COP)? Por ejemplo: 2.500.000`,
  'nte-reason': () => '¿Por qué se necesita más? Escriba el motivo en un mensaje.',
  'nte-photos': () => 'Envíe fotos que lo muestren (al menos una). Cuando termine, escriba "listo".',
  'nte-increase-requested': (r) =>
    `Solicitamos subir el tope de ${r.orderId} a ${formatCop(r.amount, 'es-CO')}. El cliente lo aprobará o rechazará; ` +
    'hasta entonces el tope sigue igual.',
  refused: (r) =>
    `Lo sentimos, no pudimos hacerlo. ${ES_REFUSAL[r.reason]}` +
    `${r.currentState ? ` (estado actual: ${STATUS['es-CO'][r.currentState]})` : ''}.`,
};

const EN: Words = {
  'unknown-number': () =>
    'Hello. This is the WhatsApp line of Algesta, the maintenance platform. We could not find your number ' +
    'among our users, so we cannot help you here. If you work with an Algesta client or provider, please ask ' +
    'your coordinator to add this phone to your profile. Thank you.',
  'staff-not-supported': () => 'This WhatsApp line is for clients and providers. Please use the Algesta dashboard.',
  menu: (r) =>
    [
      r.name ? `Hello ${r.name}. What would you like to do?` : 'Hello. What would you like to do?',
      r.role === 'client'
        ? numbered(['Open a service order', 'See my recent orders'])
        : numbered(['See my invitations to quote', 'Check in at a job', 'Complete a job']),
      r.role === 'client'
        ? 'To ask about an order, type: status ord_…'
        : 'You can also type: quote ord_…, decline ord_…, checkin ord_…, complete ord_…, increase ord_…, status ord_…',
      ...(r.role === 'provider' ? ['To check in or out with a verified location, share your location from the site.'] : []),
      'Type "cancel" at any time to come back to this menu.',
    ].join('\n'),
  cancelled: () => 'All right, we dropped that.',
  'pick-number': (r) => `Please answer with a number from 1 to ${r.max}.`,
  'unexpected-photo': () => 'We received a photo, but we were not expecting one at this step. Type "cancel" for the menu.',
  'unsupported-message': () => 'We can only read text and photos here.',
  'choose-site': (r) =>
    `Which site is the service for?\n${numbered(r.sites.map((s) => (s.city ? `${s.name} (${s.city})` : s.name)))}`,
  'no-sites': () => 'Your company has no sites registered in Algesta yet. Please ask your coordinator to add them.',
  'choose-category': () => `What kind of service do you need?\n${numbered(SERVICE_CATEGORIES.map((c) => CATEGORY.en[c]))}`,
  describe: () => 'Describe the problem in one message: what is happening, where, and since when.',
  'too-short': () => 'That is too short. Please write a little more.',
  'send-photos': () => 'If you have photos, send them now (up to 10). When you are done, type "done".',
  'photo-received': (r) => `Photo ${r.count} received.`,
  'too-many-photos': (r) => `We already have ${r.max} photos, the maximum. Type "done" to continue.`,
  'order-created': (r) =>
    [
      `Your order was registered as ${r.orderId}.`,
      r.photosStored ? `We stored ${r.photosStored} photo(s).` : '',
      r.photosFailed ? `We could not store ${r.photosFailed} photo(s); you can attach them from the dashboard.` : '',
      `We will keep you posted. To ask about it, type: status ${r.orderId}`,
    ]
      .filter(Boolean)
      .join('\n'),
  'order-status': (r) => `Order ${orderLine(r.order, 'en')}`,
  'recent-orders': (r) => `Your most recent orders:\n${r.orders.map((o) => `• ${orderLine(o, 'en')}`).join('\n')}`,
  'no-orders': () => 'We found no orders of yours yet.',
  invitations: (r) =>
    `Your open invitations (answer with the number):\n${numbered(
      r.invitations.map((i) => `${i.title} — ${i.orderId} — closes ${localDateTime(i.quoteDeadline)}`),
    )}`,
  'no-invitations': () => 'You have no open invitations right now.',
  'invitation-options': (r) =>
    `${r.invitation.title} (${r.invitation.orderId}), closes ${localDateTime(r.invitation.quoteDeadline)}.\n` +
    numbered(['Accept and quote', 'Decline']),
  'decline-reason': () => 'Why are you declining? Please write the reason in one message.',
  declined: (r) => `We recorded that you will not quote order ${r.orderId}. Thank you for letting us know.`,
  'quote-amount': (r) => `Quote for ${r.orderId}. What is the total amount in Colombian pesos (COP)? For example: 1,250,000`,
  'invalid-amount': () => 'We did not understand the amount. Type only the number in pesos, for example 1,250,000.',
  'quote-lead-time': () => 'In how many days can you do the work (lead time)?',
  'quote-validity': () => 'For how many days is the quote valid?',
  'invalid-days': (r) => `Type a number of days between ${r.min} and ${r.max}.`,
  'quote-submitted': (r) =>
    `Quote sent for ${r.orderId}: ${formatCop(r.amount, 'en')}, lead time ${r.leadTimeDays} day(s), ` +
    `valid until ${r.validUntil}. You can replace it until the round closes.`,
  'choose-order': (r) =>
    `Which order do you want to ${EN_PURPOSE[r.purpose]}? Answer with the number:\n${numbered(r.orders.map((o) => orderLine(o, 'en')))}`,
  'no-assigned-orders': (r) => `You have no orders to ${EN_PURPOSE[r.purpose]} right now.`,
  'checked-in': (r) => `Check-in recorded on order ${r.orderId}${enDistance(r.distance)}. Good work!`,
  'checked-out': (r) => `Check-out recorded on order ${r.orderId}${enDistance(r.distance)}. Thank you.`,
  'outside-site': (r) =>
    `Nothing was recorded on order ${r.orderId}: your location is ${r.distance.distanceMeters} m from the site and the ` +
    `client requires being within ${r.distance.radiusMeters} m. Share your location once you are on site.`,
  'no-field-order': () => 'You have no scheduled order or job in progress to check in or out of.',
  'complete-report': (r) => `Order ${r.orderId}: please write a short report of the work done.`,
  'complete-photos': () => 'Send photos of the finished work (at least one). When you are done, type "done".',
  'need-photo': () => 'We need at least one photo of the work to complete it.',
  completed: (r) => `Order ${r.orderId} completed with ${r.photos} photo(s). The client will review it.`,
  'nte-amount': (r) =>
    `Raising the NTE of order ${r.orderId}. What is the new total amount in Colombian pesos (COP)? For example: 2,500,000`,
  'nte-reason': () => 'Why is more needed? Please write the reason in one message.',
  'nte-photos': () => 'Send photos that show it (at least one). When you are done, type "done".',
  'nte-increase-requested': (r) =>
    `We asked to raise the NTE of ${r.orderId} to ${formatCop(r.amount, 'en')}. The client will approve or reject it; ` +
    'until then the NTE stays as it is.',
  refused: (r) =>
    `Sorry, we could not do that. ${EN_REFUSAL[r.reason]}${r.currentState ? ` (current state: ${STATUS.en[r.currentState]})` : ''}.`,
};

const WORDS: Record<Locale, Words> = { 'es-CO': ES, en: EN };

/** The reply's text in the user's locale. */
export function render(reply: Reply, locale: Locale): string {
  const words = WORDS[locale] ?? ES;
  return (words[reply.key] as (r: Reply) => string)(reply);
}
