import { addDays, colombiaDate } from '../providers/documents';
import type { Dialog, Purpose, Result, UserMessage } from './dialog';
import { PHOTO_LIMIT } from './dialog';
import { addPhoto } from './client-flow';
import { commandWithOrder, is, parseChoice, parseCopAmount, parseDays } from './input';
import { IDLE, longEnough, move, type Move } from './moves';

/** Lead time and validity a quote may state by WhatsApp (the API allows lead times up to 365 days). */
export const LEAD_TIME_DAYS = { min: 0, max: 365 } as const;
export const VALIDITY_DAYS = { min: 1, max: 90 } as const;

/**
 * A provider user: its open invitations (accept = quote, or decline with a reason), a quote (amount
 * in COP, lead time, validity), check-in, and completion with a report and photos. Short commands
 * (`cotizar ord_…`, `rechazar ord_…`, `llegada ord_…`, `completar ord_…`) skip the lists.
 */
export function providerMessage(dialog: Dialog, message: Exclude<UserMessage, { kind: 'other' }>, now: string): Move | undefined {
  if (message.kind === 'location') {
    // Between jobs a shared location is a check-in or check-out (field-location.ts picks the order);
    // in the middle of a quote or a completion it is out of place and the step stays.
    if (dialog.step !== 'idle' && dialog.step !== 'choose-order') return move(dialog, [{ key: 'unsupported-message' }]);
    return move(IDLE, [], { kind: 'field-location', position: message.position });
  }
  if (message.kind === 'image') {
    if (dialog.step !== 'complete-photos' && dialog.step !== 'nte-photos') return move(dialog, [{ key: 'unexpected-photo' }]);
    const photos = addPhoto(dialog.photos, message.media);
    if (photos === dialog.photos) return move(dialog, [{ key: 'too-many-photos', max: PHOTO_LIMIT }]);
    return move({ ...dialog, photos }, [{ key: 'photo-received', count: photos.length }]);
  }
  const text = message.text;
  switch (dialog.step) {
    case 'idle':
      return idle(dialog, text);
    case 'choose-invitation': {
      const i = parseChoice(text, dialog.invitations.length);
      const invitation = i === undefined ? undefined : dialog.invitations[i];
      if (!invitation) return move(dialog, [{ key: 'pick-number', max: dialog.invitations.length }]);
      return move({ step: 'invitation', orderId: invitation.orderId }, [{ key: 'invitation-options', invitation }]);
    }
    case 'invitation':
      if (parseChoice(text, 2) === 0 || is(text, 'accept'))
        return move({ step: 'quote-amount', orderId: dialog.orderId }, [{ key: 'quote-amount', orderId: dialog.orderId }]);
      if (parseChoice(text, 2) === 1 || is(text, 'decline'))
        return move({ step: 'decline-reason', orderId: dialog.orderId }, [{ key: 'decline-reason' }]);
      return move(dialog, [{ key: 'pick-number', max: 2 }]);
    case 'decline-reason': {
      const reason = longEnough(text, 3, 1000);
      if (!reason) return move(dialog, [{ key: 'too-short' }]);
      return move(dialog, [], { kind: 'decline', orderId: dialog.orderId, reason });
    }
    case 'quote-amount': {
      const amount = parseCopAmount(text);
      if (amount === undefined) return move(dialog, [{ key: 'invalid-amount' }]);
      return move({ step: 'quote-lead-time', orderId: dialog.orderId, amount }, [{ key: 'quote-lead-time' }]);
    }
    case 'quote-lead-time': {
      const leadTimeDays = parseDays(text, LEAD_TIME_DAYS.min, LEAD_TIME_DAYS.max);
      if (leadTimeDays === undefined) return move(dialog, [{ key: 'invalid-days', ...LEAD_TIME_DAYS }]);
      return move({ ...dialog, step: 'quote-validity', leadTimeDays }, [{ key: 'quote-validity' }]);
    }
    case 'quote-validity': {
      const days = parseDays(text, VALIDITY_DAYS.min, VALIDITY_DAYS.max);
      if (days === undefined) return move(dialog, [{ key: 'invalid-days', ...VALIDITY_DAYS }]);
      const validUntil = addDays(colombiaDate(new Date(now)), days);
      const { orderId, amount, leadTimeDays } = dialog;
      return move(dialog, [], { kind: 'submit-quote', orderId, amount, leadTimeDays, validUntil });
    }
    case 'choose-order': {
      const i = parseChoice(text, dialog.orders.length);
      const order = i === undefined ? undefined : dialog.orders[i];
      if (!order) return move(dialog, [{ key: 'pick-number', max: dialog.orders.length }]);
      return startAction(dialog.purpose, order.id);
    }
    case 'complete-report': {
      const report = longEnough(text, 3, 4000);
      if (!report) return move(dialog, [{ key: 'too-short' }]);
      return move({ step: 'complete-photos', orderId: dialog.orderId, report, photos: [] }, [{ key: 'complete-photos' }]);
    }
    case 'complete-photos':
      if (!is(text, 'done')) return move(dialog, [{ key: 'complete-photos' }]);
      if (!dialog.photos.length) return move(dialog, [{ key: 'need-photo' }]);
      return move(dialog, [], { kind: 'complete', orderId: dialog.orderId, report: dialog.report, photos: dialog.photos });
    // An NTE increase (issue 17): the new total, why, and the evidence photos.
    case 'nte-amount': {
      const amount = parseCopAmount(text);
      if (amount === undefined) return move(dialog, [{ key: 'invalid-amount' }]);
      return move({ step: 'nte-reason', orderId: dialog.orderId, amount }, [{ key: 'nte-reason' }]);
    }
    case 'nte-reason': {
      const reason = longEnough(text, 3, 1000);
      if (!reason) return move(dialog, [{ key: 'too-short' }]);
      return move({ ...dialog, step: 'nte-photos', reason, photos: [] }, [{ key: 'nte-photos' }]);
    }
    case 'nte-photos': {
      // Without a photo yet, "listo" just asks for one again.
      if (!is(text, 'done') || !dialog.photos.length) return move(dialog, [{ key: 'nte-photos' }]);
      const { orderId, amount, reason, photos } = dialog;
      return move(dialog, [], { kind: 'request-nte-increase', orderId, amount, reason, photos });
    }
    default:
      // A client's step cannot belong to a provider: start over.
      return move(IDLE, [{ key: 'cancelled' }]);
  }
}

function idle(dialog: Dialog, text: string): Move | undefined {
  const cmd = commandWithOrder(text);
  if (cmd) {
    if (isWord(cmd.word, 'accept'))
      return move({ step: 'quote-amount', orderId: cmd.orderId }, [{ key: 'quote-amount', orderId: cmd.orderId }]);
    if (isWord(cmd.word, 'decline')) return move({ step: 'decline-reason', orderId: cmd.orderId }, [{ key: 'decline-reason' }]);
    if (isWord(cmd.word, 'checkIn')) return startAction('check-in', cmd.orderId);
    if (isWord(cmd.word, 'complete')) return startAction('complete', cmd.orderId);
    if (isWord(cmd.word, 'nteIncrease'))
      return move({ step: 'nte-amount', orderId: cmd.orderId }, [{ key: 'nte-amount', orderId: cmd.orderId }]);
    return undefined;
  }
  if (parseChoice(text, 3) === 0 || is(text, 'invitations')) return move(dialog, [], { kind: 'list-invitations' });
  if (parseChoice(text, 3) === 1 || is(text, 'checkIn')) return move(dialog, [], { kind: 'list-assigned', purpose: 'check-in' });
  if (parseChoice(text, 3) === 2 || is(text, 'complete')) return move(dialog, [], { kind: 'list-assigned', purpose: 'complete' });
  return undefined;
}

const isWord = (word: string, w: Parameters<typeof is>[1]) => word !== '' && is(word, w);

function startAction(purpose: Purpose, orderId: string): Move {
  if (purpose === 'check-in') return move(IDLE, [], { kind: 'check-in', orderId });
  return move({ step: 'complete-report', orderId }, [{ key: 'complete-report', orderId }]);
}

export function providerResult(result: Result): Move | undefined {
  switch (result.kind) {
    case 'invitations':
      if (!result.invitations.length) return move(IDLE, [{ key: 'no-invitations' }]);
      return move({ step: 'choose-invitation', invitations: result.invitations }, [
        { key: 'invitations', invitations: result.invitations },
      ]);
    case 'declined':
      return move(IDLE, [{ key: 'declined', orderId: result.orderId }]);
    case 'quote-submitted': {
      const { orderId, amount, leadTimeDays, validUntil } = result;
      return move(IDLE, [{ key: 'quote-submitted', orderId, amount, leadTimeDays, validUntil }]);
    }
    case 'assigned':
      if (!result.orders.length) return move(IDLE, [{ key: 'no-assigned-orders', purpose: result.purpose }]);
      return move({ step: 'choose-order', purpose: result.purpose, orders: result.orders }, [
        { key: 'choose-order', purpose: result.purpose, orders: result.orders },
      ]);
    case 'checked-in':
      return move(IDLE, [
        { key: 'checked-in', orderId: result.orderId, ...(result.distance ? { distance: result.distance } : {}) },
      ]);
    case 'checked-out':
      return move(IDLE, [
        { key: 'checked-out', orderId: result.orderId, ...(result.distance ? { distance: result.distance } : {}) },
      ]);
    case 'outside-site':
      return move(IDLE, [{ key: 'outside-site', orderId: result.orderId, distance: result.distance }]);
    case 'no-field-order':
      return move(IDLE, [{ key: 'no-field-order' }]);
    case 'completed':
      return move(IDLE, [{ key: 'completed', orderId: result.orderId, photos: result.photos }]);
    case 'nte-increase-requested':
      return move(IDLE, [{ key: 'nte-increase-requested', orderId: result.orderId, amount: result.amount }]);
    default:
      return undefined;
  }
}
