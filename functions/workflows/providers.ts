import type { EventHandlers } from '../../shared/application/events/consumer';
import { checkProviderCompliance, recordInvitations, recordOrderOutcome } from '../../shared/application/providers/providers';
import { refreshProviderOrderViews } from '../../shared/application/orders/provider-views';
import { lifecycleDeps, providerDeps } from '../http/deps';
import { registerWorkflow } from './register';

/**
 * The providers workflow: the compliance watch's scheduled checks, invitations from
 * `order.quotes-requested`, and the scorecard kept from order events.
 */
registerWorkflow('providers-workflow', async (): Promise<EventHandlers> => {
  const [d, views] = await Promise.all([providerDeps(), lifecycleDeps()]);
  const call = (e: { correlationId: string; traceparent?: string }) => ({
    correlationId: e.correlationId,
    ...(e.traceparent ? { traceparent: e.traceparent } : {}),
  });
  return {
    'provider.compliance-check-due': (e) => checkProviderCompliance(d, call(e), e.data.providerId),
    'order.quotes-requested': async (e) => {
      await recordInvitations(d, e.data);
      await refreshProviderOrderViews(views, e.data.clientId, e.data.orderId);
    },
    // The providers' order listing follows every change of an order they are invited to or assigned.
    'order.status-changed': (e) => refreshProviderOrderViews(views, e.data.clientId, e.data.orderId).then(() => undefined),
    'order.sla-at-risk': (e) => refreshProviderOrderViews(views, e.data.clientId, e.data.orderId).then(() => undefined),
    'order.sla-breached': (e) => refreshProviderOrderViews(views, e.data.clientId, e.data.orderId).then(() => undefined),
    'order.quote-submitted': (e) => recordOrderOutcome(d, call(e), e.data.providerId, e.id, { kind: 'quote-submitted' }),
    'order.quote-selected': (e) => recordOrderOutcome(d, call(e), e.data.providerId, e.id, { kind: 'quote-won' }),
    'order.work-completed': (e) =>
      recordOrderOutcome(d, call(e), e.data.providerId, e.id, {
        kind: 'work-completed',
        onSiteOnTime: e.data.onSiteOnTime,
        resolvedOnTime: e.data.resolvedOnTime,
      }),
    'order.rated': (e) => recordOrderOutcome(d, call(e), e.data.providerId, e.id, { kind: 'rated', score: e.data.score }),
    'order.rework-requested': (e) => recordOrderOutcome(d, call(e), e.data.providerId, e.id, { kind: 'rework-requested' }),
  };
});
