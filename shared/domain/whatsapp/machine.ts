import type { Dialog, DialogInput, DialogState, Party, Reply, Request, Result, Step, UserMessage } from './dialog';
import { DIALOG_TTL_MS } from './dialog';
import { clientMessage, clientResult } from './client-flow';
import { commandWithOrder, is } from './input';
import { IDLE, menu, move, type Move } from './moves';
import { providerMessage, providerResult } from './provider-flow';

/** Requests that only read: a refusal of one leaves the dialog where it was. */
const READS: readonly Request['kind'][] = ['order-status', 'recent-orders', 'list-sites', 'list-invitations', 'list-assigned'];

/**
 * One turn of the conversation. Pure: `now` is given, nothing is read or written. The unknown
 * number is told once what this number is and nothing more, however often it writes.
 */
export function advance(current: DialogState | undefined, input: DialogInput, party: Party, now: string): Step {
  if (party.role === 'unknown') {
    if (input.kind === 'result' || current?.dialog.step === 'stranger-told')
      return { state: current ?? at(IDLE, now), replies: [] };
    return { state: at({ step: 'stranger-told' }, now), replies: [{ key: 'unknown-number' }] };
  }
  if (party.role === 'staff')
    return { state: at(IDLE, now), replies: input.kind === 'message' ? [{ key: 'staff-not-supported' }] : [] };

  const dialog = live(current, now);
  const m = input.kind === 'message' ? onMessage(dialog, input.message, party, now) : onResult(dialog, input.result, party);
  const state = current && m.dialog === current.dialog ? current : at(m.dialog, now);
  return m.request ? { state, replies: m.replies, request: m.request } : { state, replies: m.replies };
}

function at(dialog: Dialog, now: string): DialogState {
  return { dialog, since: now };
}

/** The stored dialog, unless it was left half-way for longer than the window (then start over). */
function live(current: DialogState | undefined, now: string): Dialog {
  if (!current || current.dialog.step === 'stranger-told') return IDLE;
  const stale = current.dialog.step !== 'idle' && Date.parse(now) - Date.parse(current.since) > DIALOG_TTL_MS;
  return stale ? IDLE : current.dialog;
}

function onMessage(dialog: Dialog, message: UserMessage, party: Party, now: string): Move {
  if (message.kind === 'other') return move(dialog, [{ key: 'unsupported-message' }]);
  // A shared location means something only to a provider on its way to (or leaving) a job.
  if (message.kind === 'location' && party.role !== 'provider') return move(dialog, [{ key: 'unsupported-message' }]);
  if (message.kind === 'text') {
    if (is(message.text, 'cancel')) return move(IDLE, [{ key: 'cancelled' }, menu(party)]);
    // "estado ord_…" answers from any step without losing it; a bare order id only when idle.
    const cmd = commandWithOrder(message.text);
    if (cmd && (cmd.word === 'estado' || cmd.word === 'status' || (cmd.word === '' && dialog.step === 'idle')))
      return move(dialog, [], { kind: 'order-status', orderId: cmd.orderId });
  }
  const next =
    message.kind === 'location' || party.role !== 'client'
      ? providerMessage(dialog, message, now)
      : clientMessage(dialog, message);
  return next ?? move(IDLE, [menu(party)]);
}

function onResult(dialog: Dialog, result: Result, party: Party): Move {
  switch (result.kind) {
    case 'order-status':
      return move(dialog, [{ key: 'order-status', order: result.order }]);
    case 'recent-orders':
      return move(dialog, [result.orders.length ? { key: 'recent-orders', orders: result.orders } : { key: 'no-orders' }]);
    case 'refused': {
      const reply: Reply = {
        key: 'refused',
        reason: result.reason,
        ...(result.currentState ? { currentState: result.currentState } : {}),
      };
      return READS.includes(result.request) ? move(dialog, [reply]) : move(IDLE, [reply]);
    }
    default:
      return (party.role === 'client' ? clientResult(result) : providerResult(result)) ?? move(dialog);
  }
}
