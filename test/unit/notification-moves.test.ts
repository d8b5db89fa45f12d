import { describe, expect, it } from 'vitest';
import {
  canMove,
  isFinal,
  isSettled,
  NOTIFICATION_STATUSES,
  NotificationMoveError,
  withStatus,
  type Notification,
  type NotificationStatus,
} from '../../shared/domain/notifications/notification';
import { coversCity, ineligibilityReasons } from '../../shared/domain/providers/eligibility';

const base: Notification = {
  id: 'evt_1.email.u1',
  eventId: 'evt_1',
  eventType: 'order.submitted',
  recipientUserId: 'u1',
  channel: 'email',
  locale: 'es-CO',
  template: 'order-submitted',
  subject: 's',
  status: 'queued',
  history: [{ status: 'queued', at: '2026-01-01T00:00:00Z' }],
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  correlationId: 'c',
};
const at = (status: NotificationStatus): Notification => ({ ...base, status });

describe('the notification state table (one domain module)', () => {
  it('allows exactly the moves the sender and the delivery reports make', () => {
    const allowed = NOTIFICATION_STATUSES.flatMap((from) =>
      NOTIFICATION_STATUSES.filter((to) => canMove(from, to)).map((to) => `${from}→${to}`),
    );
    expect(allowed.sort()).toEqual(
      [
        'queued→sending',
        'queued→failed',
        'queued→delivered',
        'queued→bounced',
        'sending→sent',
        'sending→queued',
        'sending→failed',
        'sending→delivered',
        'sending→bounced',
        'sent→delivered',
        'sent→bounced',
        'sent→failed',
      ].sort(),
    );
  });

  it('final statuses are the ones with no move out; settled ones are never sent again', () => {
    expect(NOTIFICATION_STATUSES.filter(isFinal)).toEqual(['delivered', 'failed', 'bounced']);
    expect(NOTIFICATION_STATUSES.filter((s) => isSettled({ status: s }))).toEqual(['sent', 'delivered', 'failed', 'bounced']);
  });

  it('withStatus records an allowed move in the history and refuses any other', () => {
    const sending = withStatus(base, 'sending', '2026-01-01T00:00:01Z');
    expect(sending.status).toBe('sending');
    expect(sending.history.map((h) => h.status)).toEqual(['queued', 'sending']);
    expect(() => withStatus(at('delivered'), 'bounced', '2026-01-02T00:00:00Z')).toThrow(NotificationMoveError);
    expect(() => withStatus(at('sent'), 'sending', '2026-01-02T00:00:00Z')).toThrow(/from sent to sending/);
    expect(() => withStatus(at('queued'), 'sent', '2026-01-02T00:00:00Z')).toThrow(NotificationMoveError);
  });
});

describe('provider coverage of a city (one rule, used by eligibility and the provider list)', () => {
  it('compares cities without case, accents or surrounding spaces', () => {
    expect(coversCity({ cities: ['Bogotá', 'Medellín'] }, ' bogota ')).toBe(true);
    expect(coversCity({ cities: ['Bogotá'] }, 'Cali')).toBe(false);
  });

  it('is the rule eligibility gives as its reason', () => {
    const provider = {
      status: 'APPROVED',
      categories: ['plumbing'],
      cities: ['Bogotá'],
      documents: [],
    } as unknown as Parameters<typeof ineligibilityReasons>[0];
    const reasons = ineligibilityReasons(provider, { category: 'plumbing', city: 'Cali', visitDate: '2026-01-05' });
    expect(reasons).toContain('does not cover Cali');
    const here = ineligibilityReasons(provider, { category: 'plumbing', city: 'BOGOTA', visitDate: '2026-01-05' });
    expect(here).not.toContain('does not cover BOGOTA');
  });
});
