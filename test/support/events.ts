import type { DomainEvent } from '../../shared/domain/shared/events';

/** A valid `order.submitted` event (registry-conformant), for tests of the spine. */
export function submittedEvent(id = 'evt_1', overrides: Partial<DomainEvent> = {}): DomainEvent {
  return {
    id,
    type: 'order.submitted',
    source: 'algesta/orders',
    subject: 'ord_1',
    time: '2026-03-01T12:00:00.000Z',
    dataVersion: 1,
    correlationId: 'corr-9',
    data: {
      orderId: 'ord_1',
      clientId: 'cli_1',
      siteId: 'sit_1',
      category: 'hvac',
      priority: 'P1',
      title: 'Fuga <b>grave</b>',
      requesterUserId: 'u-client',
      channel: 'dashboard',
    },
    ...overrides,
  };
}
